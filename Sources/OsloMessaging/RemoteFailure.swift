public import JSON
public import OrderedCollections

/// An error an RPC handler throws that knows how a Python caller should see it: the exception
/// class and module the reply names, its message and constructor arguments.
///
/// Magnum's exceptions (defined in a higher layer) conform with module `magnum.common.exception`
/// and `kwargs` holding at least `code`, the HTTP status magnum-api returns; a Python client then
/// re-raises `magnum.common.exception.<Class>_Remote`.
public protocol RemoteExceptionConvertible: Error {
    /// Python class name (`ClusterNotFound`).
    var remoteClassName: String { get }
    /// Python module (`magnum.common.exception`).
    var remoteModuleName: String { get }
    /// `str(exception)` as the Python class would print it. Never put secrets here.
    var remoteMessage: String { get }
    /// Positional constructor arguments; by default `[remoteMessage]`, as for Magnum's exceptions.
    var remoteArgs: [JSONValue] { get }
    /// Keyword constructor arguments (`{"cluster": "...", "code": 404}`).
    var remoteKwargs: JSONObject { get }
    /// Traceback lines to send; by default one line `module.Class: message`, like the last line
    /// of a Python traceback.
    var remoteTraceback: [String] { get }
}

extension RemoteExceptionConvertible {
    public var remoteArgs: [JSONValue] { [.string(remoteMessage)] }
    public var remoteKwargs: JSONObject { [:] }
    public var remoteTraceback: [String] { ["\(remoteModuleName).\(remoteClassName): \(remoteMessage)\n"] }
}

/// The `failure` of an oslo reply: a JSON *string* holding `class`, `module`, `message`, `tb`,
/// `args` and `kwargs` (oslo's `serialize_remote_exception`), and its parsed form on the client
/// side (`deserialize_remote_exception`).
public struct RemoteFailure: Error, Sendable, Equatable, CustomStringConvertible, RemoteExceptionConvertible {
    public var className: String
    public var moduleName: String
    public var message: String
    public var traceback: [String]
    public var args: [JSONValue]
    public var kwargs: JSONObject

    /// Suffix Python adds to re-raised remote exception classes and modules.
    public static let remoteSuffix = "_Remote"

    public init(
        className: String, moduleName: String, message: String, traceback: [String] = [],
        args: [JSONValue]? = nil, kwargs: JSONObject = [:]
    ) {
        self.className = className
        self.moduleName = moduleName
        self.message = message
        self.traceback = traceback
        self.args = args ?? [.string(message)]
        self.kwargs = kwargs
    }

    /// The failure a handler's error becomes on the wire. Errors that say how Python should see
    /// them (`RemoteExceptionConvertible`) keep that; any other Swift error is reported under its
    /// type name in module `magnum_capi_worker`, which a Python client re-raises as `RemoteError`.
    /// A remote failure being passed on loses the `_Remote` suffixes, as in oslo.
    public init(error: any Error) {
        if let convertible = error as? any RemoteExceptionConvertible {
            var cls = convertible.remoteClassName
            var mod = convertible.remoteModuleName
            if cls.hasSuffix(Self.remoteSuffix), mod.hasSuffix(Self.remoteSuffix) {
                cls.removeLast(Self.remoteSuffix.count)
                mod.removeLast(Self.remoteSuffix.count)
            }
            self.init(
                className: cls, moduleName: mod, message: convertible.remoteMessage,
                traceback: convertible.remoteTraceback, args: convertible.remoteArgs, kwargs: convertible.remoteKwargs)
        } else {
            let cls = String(describing: type(of: error))
            let message = String(describing: error)
            self.init(className: cls, moduleName: Self.swiftModule, message: message,
                      traceback: ["\(Self.swiftModule).\(cls): \(message)\n"])
        }
    }

    /// Module named for Swift errors that do not map to a Python exception.
    public static let swiftModule = "magnum_capi_worker"

    // MARK: RemoteExceptionConvertible (a received failure can be passed on)

    public var remoteClassName: String { className }
    public var remoteModuleName: String { moduleName }
    public var remoteMessage: String { message }
    public var remoteArgs: [JSONValue] { args }
    public var remoteKwargs: JSONObject { kwargs }
    public var remoteTraceback: [String] { traceback }

    // MARK: Wire form

    /// The failure object, keys in oslo's order.
    public var jsonObject: JSONObject {
        [
            "class": .string(className), "module": .string(moduleName), "message": .string(message),
            "tb": .array(traceback.map { .string($0) }), "args": .array(args), "kwargs": .object(kwargs),
        ]
    }

    /// The string that goes into a reply's `failure` (`jsonutils.dumps` of the failure object).
    public var serialized: String { JSONValue.object(jsonObject).jsonString(.python) }

    /// Parses a reply's `failure` string. Like oslo, only `class`, `module` and `message` need be
    /// meaningful; missing `tb`/`args`/`kwargs` are empty.
    public init(serialized: String) throws(MessageDecodingError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: serialized) } catch {
            throw .invalidValue(field: "failure", reason: "not JSON: \(error)")
        }
        guard case .object(let o) = value else {
            throw .invalidValue(field: "failure", reason: "a JSON \(value.typeName), expected an object")
        }
        try self.init(object: o)
    }

    public init(object o: JSONObject) throws(MessageDecodingError) {
        func str(_ key: String) throws(MessageDecodingError) -> String {
            switch o[key] {
            case nil, .null?: return ""
            case .string(let s)?: return s
            case let other?: throw .wrongType(field: "failure.\(key)", expected: "string", actual: other.typeName)
            }
        }
        className = try str("class")
        moduleName = try str("module")
        message = try str("message")
        switch o["tb"] {
        case nil, .null?: traceback = []
        case .array(let a)?: traceback = a.map { $0.stringValue ?? $0.jsonString(.compact) }
        case .string(let s)?: traceback = [s]
        case let other?: throw .wrongType(field: "failure.tb", expected: "array", actual: other.typeName)
        }
        switch o["args"] {
        case nil, .null?: args = []
        case .array(let a)?: args = a
        case let other?: throw .wrongType(field: "failure.args", expected: "array", actual: other.typeName)
        }
        switch o["kwargs"] {
        case nil, .null?: kwargs = [:]
        case .object(let k)?: kwargs = k
        case let other?: throw .wrongType(field: "failure.kwargs", expected: "object", actual: other.typeName)
        }
    }

    /// `kwargs.code` when the remote error carried an HTTP status (Magnum's exceptions do).
    public var code: Int? { kwargs["code"]?.intValue }

    /// How a Python client with `allowedModules` (Magnum: `["magnum.common.exception"]`) sees this
    /// failure, assuming the class exists there and accepts `args`/`kwargs`:
    /// `module_Remote.Class_Remote` for an allowed module, the plain built-in class for `builtins`
    /// (Python cannot subclass those in place), `RemoteError` otherwise.
    public func pythonExceptionName(allowedModules: [String]) -> String {
        let module = moduleName == "exceptions" ? "builtins" : moduleName
        if module == "builtins" { return "builtins.\(className)" }
        if allowedModules.contains(module) {
            return "\(module)\(Self.remoteSuffix).\(className)\(Self.remoteSuffix)"
        }
        return "oslo_messaging.rpc.client.RemoteError"
    }

    public var description: String { "\(moduleName).\(className): \(message)" }
}
