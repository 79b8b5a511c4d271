public import JSON
import MagnumObjects
public import OsloMessaging

/// The conductor's RPC serializer, Magnum's `MagnumObjectSerializer` at the edge of the worker:
/// every versioned-object primitive in a request's arguments (also inside lists and dicts) must
/// hydrate — a known object name, a version we can serve, fields of the right types — before
/// any handler runs, and fails the request with the exception oslo.versionedobjects raises
/// otherwise (`UnsupportedObjectError`, `IncompatibleObjectVersion`, `ValueError`).
///
/// Handlers turn the checked primitives into typed objects with `ConductorArguments`; results
/// leave as primitives (handlers return `obj_to_primitive()` forms already).
public struct MagnumObjectSerializer: RPCSerializer {
    public init() {}

    public func deserializeContext(_ context: RequestContext) async throws -> RequestContext { context }

    public func deserializeArguments(_ args: JSONObject, context: RequestContext) async throws -> JSONObject {
        try IndirectionAPI.validatePrimitives(.object(args))
        return args
    }

    public func serializeResult(_ result: JSONValue, context: RequestContext) async throws -> JSONValue { result }
}

/// A handler's keyword arguments bound to its Python signature: a missing or unexpected argument
/// is the `TypeError` Python raises calling the handler, and an object argument of the wrong
/// class a `TypeError` naming what was expected.
struct ConductorArguments: Sendable {
    let method: String
    let values: [String: JSONValue]

    /// `parameters`: the handler's parameters after `self, context`, with defaults.
    init(method: String, args: JSONObject, parameters: [(String, JSONValue?)], qualifiedName: String? = nil) throws(IndirectionFailure) {
        self.method = method
        let signature = PythonSignature(qualifiedName ?? "Handler.\(method)", parameters)
        self.values = try signature.bind([], args)
    }

    subscript(_ name: String) -> JSONValue { values[name] ?? .null }

    /// A required object argument of class `T`.
    func object<T: MagnumObject>(_ name: String, _ type: T.Type) throws -> T {
        let value = self[name]
        guard case .object(let o) = value, let objectName = o[PrimitiveKey.name]?.stringValue else {
            throw IndirectionFailure.typeError("\(method)(): argument '\(name)' must be a \(T.schema.name) object, not \(value.pythonTypeName)")
        }
        guard objectName == T.schema.name else {
            throw IndirectionFailure.typeError("\(method)(): argument '\(name)' must be a \(T.schema.name) object, not \(objectName)")
        }
        do {
            return try T(primitive: value)
        } catch {
            throw IndirectionFailure.from(error, primitive: value)
        }
    }

    /// An integer argument (`None` allowed when `optional`).
    func int(_ name: String, optional: Bool = false) throws(IndirectionFailure) -> Int? {
        let value = self[name]
        if value.isNull, optional { return nil }
        if case .bool(let b) = value { return b ? 1 : 0 }
        guard let i = value.intValue else {
            throw .typeError("\(method)(): argument '\(name)' must be an integer, not \(value.pythonTypeName)")
        }
        return i
    }

    /// A list of strings (`None` is an empty list).
    func strings(_ name: String) throws(IndirectionFailure) -> [String] {
        let value = self[name]
        if value.isNull { return [] }
        guard case .array(let items) = value else {
            throw .typeError("\(method)(): argument '\(name)' must be a list, not \(value.pythonTypeName)")
        }
        return items.map { $0.stringValue ?? PythonFormat.str($0) }
    }

    /// Python truthiness.
    func bool(_ name: String) -> Bool { self[name].pythonTruthiness }

    /// A string (or `None`).
    func string(_ name: String) -> String? {
        let value = self[name]
        if value.isNull { return nil }
        return value.stringValue ?? PythonFormat.str(value)
    }
}
