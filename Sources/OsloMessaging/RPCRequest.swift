public import JSON
public import OrderedCollections

/// One RPC request (a cast or a call) as oslo.messaging's RabbitMQ driver puts it on the wire.
///
/// `method`, `args`, the optional `namespace`/`version` of the target, `_msg_id`/`_reply_q`/
/// `_timeout` for calls, `_unique_id` for duplicate detection and the flattened `_context_*`.
public struct RPCRequest: Sendable, Equatable {
    public var method: String
    /// Keyword arguments, already serialised by the caller (versioned objects are primitives).
    public var args: JSONObject
    /// Endpoint namespace; `nil` is the default namespace.
    public var namespace: String?
    /// Requested interface version (`"x.y"`); `nil` when the caller named none (oslo then asks for 1.0).
    public var version: String?
    /// Calls only: the id every reply echoes.
    public var msgID: String?
    /// Calls only: the queue replies go to (through the default exchange).
    public var replyQueue: String?
    /// Calls only: the caller's call-monitor timeout in seconds (`_timeout`), when it asked for
    /// keep-alive replies.
    public var callMonitorTimeout: Double?
    /// Per-message id for duplicate detection (`_unique_id`).
    public var uniqueID: String?
    public var context: RequestContext
    /// Top-level keys this code does not interpret, kept so the request re-encodes unchanged.
    public var extraFields: JSONObject

    public init(
        method: String, args: JSONObject = [:], namespace: String? = nil, version: String? = nil,
        msgID: String? = nil, replyQueue: String? = nil, callMonitorTimeout: Double? = nil,
        uniqueID: String? = nil, context: RequestContext = RequestContext(), extraFields: JSONObject = [:]
    ) {
        self.method = method
        self.args = args
        self.namespace = namespace
        self.version = version
        self.msgID = msgID
        self.replyQueue = replyQueue
        self.callMonitorTimeout = callMonitorTimeout
        self.uniqueID = uniqueID
        self.context = context
        self.extraFields = extraFields
    }

    /// A call expects a reply: it names both the reply queue and the message id.
    public var isCall: Bool { msgID != nil && replyQueue != nil }

    /// The top-level keys read into properties, in the order `init(message:)` checks them.
    static let interpretedKeys = ["method", "args", "namespace", "version", "_msg_id", "_reply_q", "_unique_id", "_timeout"]

    /// Reads a decoded application message (see `RPCEnvelope.decode`).
    public init(message: JSONObject) throws(MessageDecodingError) {
        // One pass over the message; the checks below then run in oslo's order, so the first
        // problem reported is the same as with one lookup per key.
        let (context, fields, extra) = RequestContext.partition(message, interpreting: Self.interpretedKeys)
        let names = Self.interpretedKeys
        self.method = try fields.requiredString(0, names: names)
        switch fields[1] {
        case nil, .null?: args = [:]
        case .object(let o)?: args = o
        case let other?: throw .wrongType(field: "args", expected: "object", actual: other.typeName)
        }
        namespace = try fields.optionalString(2, names: names)
        version = try fields.optionalString(3, names: names)
        msgID = try fields.optionalString(4, names: names)
        replyQueue = try fields.optionalString(5, names: names)
        uniqueID = try fields.optionalString(6, names: names)
        switch fields[7] {
        case nil, .null?: callMonitorTimeout = nil
        case .int(let i)?: callMonitorTimeout = Double(i)
        case .double(let d)?: callMonitorTimeout = d
        case .string(let s)?:
            // Python's int() would accept a numeric string; anything else disables the monitor.
            callMonitorTimeout = Double(s.trimmingPythonWhitespace())
        case let other?: throw .wrongType(field: "_timeout", expected: "number or null", actual: other.typeName)
        }
        self.context = context
        extraFields = extra
    }

    /// Decodes a body: envelope, JSON and request fields.
    public init(body: some Collection<UInt8>, limits: DecodingLimits = .default) throws(MessageDecodingError) {
        try self.init(message: RPCEnvelope.decode(body, limits: limits).message)
    }

    /// The application message in oslo's key order: `method`, `args`, `namespace`, `version`, then
    /// `_msg_id`, `_reply_q`, `_timeout` for calls, `_unique_id` and the context.
    public var message: JSONObject {
        var m = JSONObject()
        m["method"] = .string(method)
        m["args"] = .object(args)
        if let namespace { m["namespace"] = .string(namespace) }
        if let version { m["version"] = .string(version) }
        for (key, value) in extraFields { m[key] = value }
        if let msgID {
            m["_msg_id"] = .string(msgID)
            m["_reply_q"] = JSONValue(replyQueue)
            m["_timeout"] = callMonitorTimeout.map { $0.rounded() == $0 && abs($0) < 1e15 ? .int(Int64($0)) : .double($0) } ?? .null
        }
        if let uniqueID { m["_unique_id"] = .string(uniqueID) }
        context.pack(into: &m)
        return m
    }

    /// The enveloped body a Python oslo.messaging server accepts.
    public func encodedBody() -> [UInt8] { RPCEnvelope.encode(message) }
}

extension RPCRequest: CustomStringConvertible {
    /// For logs: kind, method, target version, ids and the masked context; argument values are
    /// left out (they may hold secrets), only their names are shown.
    public var description: String {
        var parts = ["\(isCall ? "call" : "cast") \(method)"]
        if let namespace { parts.append("namespace=\(namespace)") }
        if let version { parts.append("version=\(version)") }
        if let msgID { parts.append("msg_id=\(msgID)") }
        if let replyQueue { parts.append("reply_q=\(replyQueue)") }
        if let uniqueID { parts.append("unique_id=\(uniqueID)") }
        parts.append("args=[\(args.keys.joined(separator: ", "))]")
        parts.append(context.description)
        return parts.joined(separator: " ")
    }
}
