public import JSON
public import Logging

/// What a handler gets for one request.
public struct RPCInvocation: Sendable {
    public let method: String
    public let context: RequestContext
    /// The request's keyword arguments, after the dispatcher's serializer.
    public let args: JSONObject
    public let namespace: String?
    /// The version the caller asked for (`nil`: none given, served as 1.0).
    public let requestedVersion: String?
    /// Calls only.
    public let msgID: String?
    public let uniqueID: String?
    public let isCall: Bool
    /// The broker delivered this request before (the worker may have been interrupted while
    /// handling it); handlers make their effects idempotent with this in mind.
    public let redelivered: Bool
    /// Logger carrying `method`, `msg_id`/`unique_id` and `request_id` metadata.
    public let logger: Logger

    public init(method: String, context: RequestContext, args: JSONObject, namespace: String? = nil,
                requestedVersion: String? = nil, msgID: String? = nil, uniqueID: String? = nil, isCall: Bool = false,
                redelivered: Bool = false, logger: Logger) {
        self.method = method
        self.context = context
        self.args = args
        self.namespace = namespace
        self.requestedVersion = requestedVersion
        self.msgID = msgID
        self.uniqueID = uniqueID
        self.isCall = isCall
        self.redelivered = redelivered
        self.logger = logger
    }
}

/// A set of RPC methods under one namespace and version, like an oslo endpoint object with its
/// `target`. Implement it directly, or use `RPCMethodTable` with closures.
public protocol RPCEndpoint: Sendable {
    /// `nil` is the default namespace.
    var namespace: String? { get }
    /// Namespaces also accepted (oslo's `legacy_namespaces`).
    var legacyNamespaces: [String] { get }
    /// Implemented version `"x.y"`; `nil` means 1.0, as for an oslo endpoint without a target.
    var version: String? { get }
    func handles(method: String) -> Bool
    /// Runs `invocation.method`. Throw a `RemoteExceptionConvertible` error to send a specific
    /// failure class; the returned value is the call's result (ignored for casts).
    func invoke(_ invocation: RPCInvocation) async throws -> JSONValue
}

extension RPCEndpoint {
    public var namespace: String? { nil }
    public var legacyNamespaces: [String] { [] }
    public var version: String? { nil }
}

/// An endpoint made of closures keyed by method name.
public struct RPCMethodTable: RPCEndpoint {
    public typealias Handler = @Sendable (RPCInvocation) async throws -> JSONValue

    public var namespace: String?
    public var legacyNamespaces: [String]
    public var version: String?
    public private(set) var methods: [String: Handler]

    public init(namespace: String? = nil, version: String? = nil, legacyNamespaces: [String] = [],
                methods: [String: Handler] = [:]) {
        self.namespace = namespace
        self.version = version
        self.legacyNamespaces = legacyNamespaces
        self.methods = methods
    }

    public mutating func register(_ method: String, _ handler: @escaping Handler) {
        methods[method] = handler
    }

    public func handles(method: String) -> Bool { methods[method] != nil }

    public func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
        guard let handler = methods[invocation.method] else { throw NoSuchMethod(method: invocation.method) }
        return try await handler(invocation)
    }
}

/// The hook through which a higher layer turns wire primitives into its own objects and back
/// (oslo's `Serializer`; Magnum's versioned objects live above this module).
public protocol RPCSerializer: Sendable {
    func deserializeContext(_ context: RequestContext) async throws -> RequestContext
    func deserializeArguments(_ args: JSONObject, context: RequestContext) async throws -> JSONObject
    func serializeResult(_ result: JSONValue, context: RequestContext) async throws -> JSONValue
}

/// Passes everything through unchanged (oslo's `NoOpSerializer`).
public struct PassthroughSerializer: RPCSerializer {
    public init() {}
    public func deserializeContext(_ context: RequestContext) async throws -> RequestContext { context }
    public func deserializeArguments(_ args: JSONObject, context: RequestContext) async throws -> JSONObject { args }
    public func serializeResult(_ result: JSONValue, context: RequestContext) async throws -> JSONValue { result }
}

/// No endpoint of a matching namespace and version has the method (or it is private).
public struct NoSuchMethod: Error, Sendable, Equatable, RemoteExceptionConvertible {
    public let method: String
    public init(method: String) { self.method = method }
    public var remoteClassName: String { "NoSuchMethod" }
    public var remoteModuleName: String { "oslo_messaging.rpc.dispatcher" }
    public var remoteMessage: String { "Endpoint does not support RPC method \(method)" }
}

/// No endpoint serves the requested namespace and version.
public struct UnsupportedVersion: Error, Sendable, Equatable, RemoteExceptionConvertible {
    public let version: String
    public let method: String?
    public init(version: String, method: String?) {
        self.version = version
        self.method = method
    }
    public var remoteClassName: String { "UnsupportedVersion" }
    public var remoteModuleName: String { "oslo_messaging.rpc.dispatcher" }
    public var remoteMessage: String {
        let base = "Endpoint does not support RPC version \(version)"
        guard let method, !method.isEmpty else { return base }
        return "\(base). Attempted method: \(method)"
    }
}

/// A Python built-in exception (`ValueError`, `IndexError`, ...), for failures a Python server
/// would report with the same class.
public struct PythonBuiltinError: Error, Sendable, Equatable, RemoteExceptionConvertible {
    public let className: String
    public let message: String
    public init(_ className: String, _ message: String) {
        self.className = className
        self.message = message
    }
    public var remoteClassName: String { className }
    public var remoteModuleName: String { "builtins" }
    public var remoteMessage: String { message }
    public var remoteTraceback: [String] { ["\(className): \(message)\n"] }
}

/// Picks the endpoint for a request by namespace, version and method name, exactly as
/// oslo.messaging's `RPCDispatcher` does, and runs it through the serializer hook.
///
/// Requests for methods starting with `_` are refused (oslo's default access policy).
/// `oslo_rpc_server_ping` answers `"pong"` only when `pingEnabled` (`rpc_ping_enabled`).
public struct RPCDispatcher: Sendable {
    public let endpoints: [any RPCEndpoint]
    public let serializer: any RPCSerializer
    public let pingEnabled: Bool

    public static let pingMethod = "oslo_rpc_server_ping"

    public init(endpoints: [any RPCEndpoint], serializer: any RPCSerializer = PassthroughSerializer(), pingEnabled: Bool = false) {
        var all = endpoints
        if pingEnabled, !endpoints.contains(where: { $0.handles(method: Self.pingMethod) }) {
            all.append(RPCMethodTable(methods: [Self.pingMethod: { _ in "pong" }]))
        }
        self.endpoints = all
        self.serializer = serializer
        self.pingEnabled = pingEnabled
    }

    /// The endpoint that serves `method` for `namespace`/`version`, or the error oslo raises
    /// (`NoSuchMethod`, `UnsupportedVersion`, or `ValueError`/`IndexError` for unparsable versions).
    public func endpoint(method: String, namespace: String?, version: String?) throws -> any RPCEndpoint {
        let requested = version ?? "1.0"
        var foundCompatible = false
        for endpoint in endpoints {
            guard endpoint.namespace == namespace || endpoint.legacyNamespaces.contains(where: { $0 == namespace }) else {
                continue
            }
            let compatible: Bool
            do {
                compatible = try OsloVersion.check(implemented: endpoint.version ?? "1.0", requested: requested)
            } catch {
                throw PythonBuiltinError(error.pythonClass, error.message)
            }
            guard compatible else { continue }
            if endpoint.handles(method: method), !method.hasPrefix("_") {
                return endpoint
            }
            foundCompatible = true
        }
        if foundCompatible { throw NoSuchMethod(method: method) }
        throw UnsupportedVersion(version: requested, method: method)
    }

    /// Resolves and runs `request`; returns the serialised result.
    public func dispatch(_ request: RPCRequest, redelivered: Bool = false, logger: Logger) async throws -> JSONValue {
        let endpoint = try endpoint(method: request.method, namespace: request.namespace, version: request.version)
        let context = try await serializer.deserializeContext(request.context)
        let args = try await serializer.deserializeArguments(request.args, context: context)
        let invocation = RPCInvocation(
            method: request.method, context: context, args: args, namespace: request.namespace,
            requestedVersion: request.version, msgID: request.msgID, uniqueID: request.uniqueID,
            isCall: request.isCall, redelivered: redelivered, logger: logger)
        let result = try await endpoint.invoke(invocation)
        return try await serializer.serializeResult(result, context: context)
    }
}
