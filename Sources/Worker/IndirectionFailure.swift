public import JSON
public import OrderedCollections
import MagnumObjects

/// A failure of an indirection call that is not one of Magnum's own exceptions (those are thrown
/// as `MagnumError`, database failures as `StoreError`): an oslo.versionedobjects exception
/// (`UnsupportedObjectError`, `IncompatibleObjectVersion`, ...) or a Python built-in one
/// (`TypeError` for bad arguments, `AttributeError` for an unknown method, `ValueError` for a
/// field of the wrong type). It names the class and module a Python conductor would report, so the
/// RPC layer can send the same failure.
public struct IndirectionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let className: String
    public let moduleName: String
    public let message: String
    /// Keyword arguments as the Python exception holds them (`{"objtype": ..., "code": 500}`).
    public let kwargs: JSONObject

    public init(className: String, moduleName: String, message: String, kwargs: JSONObject = [:]) {
        self.className = className
        self.moduleName = moduleName
        self.message = message
        self.kwargs = kwargs
    }

    public var description: String { "\(moduleName).\(className): \(message)" }

    static let osloModule = "oslo_versionedobjects.exception"

    static func builtin(_ className: String, _ message: String) -> IndirectionFailure {
        IndirectionFailure(className: className, moduleName: "builtins", message: message)
    }

    static func typeError(_ message: String) -> IndirectionFailure { builtin("TypeError", message) }

    static func unsupportedObject(_ name: String) -> IndirectionFailure {
        IndirectionFailure(className: "UnsupportedObjectError", moduleName: osloModule,
                           message: "Unsupported object type \(name)",
                           kwargs: ["objtype": .string(name), "code": 500])
    }

    static func incompatibleVersion(_ name: String, requested: String, supported: ObjectVersion) -> IndirectionFailure {
        IndirectionFailure(className: "IncompatibleObjectVersion", moduleName: osloModule,
                           message: "Version \(requested) of \(name) is not supported, supported version is \(supported)",
                           kwargs: ["objname": .string(name), "objver": .string(requested),
                                    "supported": .string(supported.description), "code": 500])
    }

    /// The failure a Python service reports for an object primitive it could not accept.
    static func from(_ error: ObjectError, primitive: JSONValue?) -> IndirectionFailure {
        switch error.kind {
        case .unsupportedObject:
            return unsupportedObject(error.objectName ?? "")
        case .incompatibleVersion:
            let name = error.objectName ?? ""
            let requested = primitive?[PrimitiveKey.version]?.stringValue ?? ""
            let supported = ObjectRegistry.magnum.schema(named: name)?.version ?? ObjectVersion(1, 0)
            return incompatibleVersion(name, requested: requested, supported: supported)
        case .invalidTargetVersion:
            return IndirectionFailure(className: "InvalidTargetVersion", moduleName: osloModule, message: error.message,
                                      kwargs: ["code": 500])
        case .invalidFieldValue, .malformedPrimitive:
            return builtin("ValueError", error.message)
        case .unknownField:
            return builtin("AttributeError", error.message)
        }
    }
}
