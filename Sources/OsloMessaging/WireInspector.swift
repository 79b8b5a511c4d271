public import JSON

/// What a message on the bus is.
public enum WireMessageKind: String, Sendable, Equatable {
    case cast, call, fanout, reply, notification
}

/// One message decoded for people and tools (`magnum-capi-worker decode`): the essentials as a
/// JSON object, secrets masked and versioned objects shown as `{"object", "version", "data"}`,
/// or an `error` saying why it could not be decoded.
public struct DecodedWireMessage: Sendable, Equatable {
    public let index: Int
    public let exchange: String?
    public let routingKey: String?
    public let kind: WireMessageKind?
    /// The message's fields (see `WireInspector`), without `index`/`exchange`/`routing_key`/`kind`.
    public let fields: JSONObject
    /// Set when the message could not be decoded.
    public let error: MessageDecodingError?
    /// Set when the recording line itself was unreadable.
    public let entryError: String?

    public var failed: Bool { error != nil || entryError != nil }

    /// One JSON object: `index`, `exchange`, `routing_key`, `kind`, then the fields or `error`.
    public var jsonObject: JSONObject {
        var o: JSONObject = ["index": JSONValue(index)]
        if let exchange { o["exchange"] = .string(exchange) }
        if let routingKey { o["routing_key"] = .string(routingKey) }
        o["kind"] = kind.map { .string($0.rawValue) } ?? .null
        for (key, value) in fields { o[key] = value }
        if let error {
            o["error"] = .string(error.description)
            o["error_kind"] = .string(error.kind)
        } else if let entryError {
            o["error"] = .string(entryError)
            o["error_kind"] = "bad_recording_line"
        }
        return o
    }

    /// A readable multi-line form.
    public var text: String {
        var lines: [String] = []
        let route = exchange.map { "\($0.isEmpty ? "(default)" : $0) → \(routingKey ?? "")" } ?? ""
        lines.append("#\(index) \(kind?.rawValue ?? "undecodable") \(route)".trimmingPythonWhitespace())
        func line(_ label: String, _ key: String) {
            guard let value = fields[key], !value.isNull else { return }
            lines.append("  \(label): \(value.stringValue ?? value.jsonString(.compact))")
        }
        if let error { lines.append("  error: \(error)") }
        if let entryError { lines.append("  error: \(entryError)") }
        switch kind {
        case .cast?, .call?, .fanout?:
            line("method", "method")
            line("namespace", "namespace")
            line("version", "version")
            line("msg_id", "msg_id")
            line("reply_q", "reply_q")
            line("timeout", "timeout")
            line("unique_id", "unique_id")
            if let context = fields["context"]?.objectValue, !context.isEmpty {
                let shown = context.filter { !$0.value.isNull && $0.value != .bool(false) }
                lines.append("  context: " + shown.map { "\($0.key)=\($0.value.stringValue ?? $0.value.jsonString(.compact))" }.joined(separator: ", "))
            }
            if let args = fields["args"]?.objectValue {
                lines.append("  args:")
                for (name, value) in args { lines.append("    \(name): \(WireInspector.shortForm(value))") }
            }
        case .reply?:
            line("msg_id", "msg_id")
            line("ending", "ending")
            if let failure = fields["failure"]?.objectValue {
                let cls = [failure["module"]?.stringValue, failure["class"]?.stringValue].compactMap { $0 }.joined(separator: ".")
                lines.append("  failure: \(cls): \(failure["message"]?.stringValue ?? "")")
                if let kwargs = failure["kwargs"]?.objectValue, !kwargs.isEmpty {
                    lines.append("    kwargs: \(JSONValue.object(kwargs).jsonString(.compact))")
                }
            } else if let result = fields["result"] {
                lines.append("  result: \(WireInspector.shortForm(result))")
            }
        case .notification?:
            line("event_type", "event_type")
            line("priority", "priority")
            line("publisher_id", "publisher_id")
            line("message_id", "message_id")
            line("timestamp", "timestamp")
            if let payload = fields["payload"] { lines.append("  payload: \(payload.jsonString(.compact))") }
        case nil:
            break
        }
        return lines.joined(separator: "\n")
    }
}

/// Decodes recordings and raw bodies into `DecodedWireMessage`s (the library side of the
/// `decode` command).
public enum WireInspector {
    /// Decodes a whole input: a recording (JSON lines with `body`/`body_b64`) or one raw body.
    public static func decode(input: [UInt8], limits: DecodingLimits = .default) -> [DecodedWireMessage] {
        guard WireRecording.looksLikeRecording(input) else {
            return [decode(body: input, index: 0, exchange: nil, routingKey: nil, limits: limits)]
        }
        var out: [DecodedWireMessage] = []
        for line in WireRecording.lines(of: input) where !line.bytes.allSatisfy(WireRecording.isWhitespace) {
            let index = out.count
            do {
                let entry = try WireRecording.parse(line: line.bytes, lineNumber: line.number)
                out.append(decode(body: entry.body, index: index, exchange: entry.exchange, routingKey: entry.routingKey,
                                  limits: limits))
            } catch {
                out.append(DecodedWireMessage(index: index, exchange: nil, routingKey: nil, kind: nil, fields: [:],
                                              error: nil, entryError: error.description))
            }
        }
        return out
    }

    /// Decodes one body; `exchange`/`routingKey` (when known) help tell fanout casts and replies.
    public static func decode(body: [UInt8], index: Int, exchange: String?, routingKey: String?,
                              limits: DecodingLimits = .default) -> DecodedWireMessage {
        func failure(_ error: MessageDecodingError, kind: WireMessageKind? = nil) -> DecodedWireMessage {
            DecodedWireMessage(index: index, exchange: exchange, routingKey: routingKey, kind: kind, fields: [:],
                               error: error, entryError: nil)
        }
        let decoded: RPCEnvelope.Decoded
        do { decoded = try RPCEnvelope.decode(body, limits: limits) } catch { return failure(error) }
        let message = decoded.message
        var fields = JSONObject()
        fields["envelope"] = decoded.wasEnveloped ? .string(RPCEnvelope.version) : "legacy"

        if message["method"] == nil, (exchange == "" || RPCReply.looksLikeReply(message)), !OsloNotification.looksLikeNotification(message) {
            do {
                let reply = try RPCReply(message: message)
                fields["msg_id"] = JSONValue(reply.msgID)
                fields["unique_id"] = JSONValue(reply.uniqueID)
                fields["result"] = summarized(reply.result)
                fields["failure"] = reply.failure.map { f in
                    .object(["class": .string(f.className), "module": .string(f.moduleName), "message": .string(f.message),
                             "args": summarized(.array(f.args)), "kwargs": summarized(.object(f.kwargs))])
                } ?? .null
                fields["ending"] = .bool(reply.ending)
                return DecodedWireMessage(index: index, exchange: exchange, routingKey: routingKey, kind: .reply,
                                          fields: fields, error: nil, entryError: nil)
            } catch {
                return failure(error, kind: .reply)
            }
        }
        if OsloNotification.looksLikeNotification(message) {
            do {
                let n = try OsloNotification(message: message)
                fields["message_id"] = .string(n.messageID)
                fields["event_type"] = .string(n.eventType)
                fields["priority"] = .string(n.priority)
                fields["publisher_id"] = .string(n.publisherID)
                fields["timestamp"] = .string(n.timestamp)
                fields["unique_id"] = JSONValue(n.uniqueID)
                fields["context"] = .object(n.context.maskedFields)
                fields["payload"] = summarized(n.payload)
                return DecodedWireMessage(index: index, exchange: exchange, routingKey: routingKey, kind: .notification,
                                          fields: fields, error: nil, entryError: nil)
            } catch {
                return failure(error, kind: .notification)
            }
        }
        do {
            let request = try RPCRequest(message: message)
            let kind: WireMessageKind = exchange?.hasSuffix("_fanout") == true ? .fanout : (request.isCall ? .call : .cast)
            fields["method"] = .string(request.method)
            fields["namespace"] = JSONValue(request.namespace)
            fields["version"] = JSONValue(request.version)
            fields["msg_id"] = JSONValue(request.msgID)
            fields["reply_q"] = JSONValue(request.replyQueue)
            if request.isCall {
                fields["timeout"] = message["_timeout"] ?? .null
            }
            fields["unique_id"] = JSONValue(request.uniqueID)
            fields["context"] = .object(request.context.maskedFields)
            fields["args"] = summarized(.object(request.args))
            return DecodedWireMessage(index: index, exchange: exchange, routingKey: routingKey, kind: kind,
                                      fields: fields, error: nil, entryError: nil)
        } catch {
            return failure(error)
        }
    }

    /// `value` with secrets masked and oslo.versionedobjects primitives (`<ns>_object.name`,
    /// `.version`, `.data`) replaced by `{"object": name, "version": v, "data": {...}}`, recursively.
    public static func summarized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(summarized))
        case .object(let object):
            if let (name, namespace) = versionedObjectName(object) {
                var out: JSONObject = ["object": .string(name)]
                out["version"] = object["\(namespace)_object.version"] ?? .null
                let data = object["\(namespace)_object.data"] ?? .object([:])
                out["data"] = summarized(data)
                return .object(out)
            }
            var out = JSONObject(minimumCapacity: object.count)
            for (key, item) in object {
                out[key] = SecretMasking.isSecret(key: key) ? (item.isNull ? .null : .string(SecretMasking.mask)) : summarized(item)
            }
            return .object(out)
        default: return value
        }
    }

    static func versionedObjectName(_ object: JSONObject) -> (String, String)? {
        for (key, value) in object where key.hasSuffix("_object.name") {
            guard case .string(let name) = value else { continue }
            return (name, String(key.dropLast("_object.name".count)))
        }
        return nil
    }

    /// A one-line view of a value for the text form: `Cluster 1.24 {uuid: ..., name: ...}`.
    static func shortForm(_ value: JSONValue) -> String {
        if case .object(let o) = value, case .string(let name)? = o["object"], let data = o["data"]?.objectValue {
            let version = o["version"]?.stringValue ?? "?"
            let keys = ["uuid", "name", "status"].compactMap { k in data[k].flatMap { v in v.isNull ? nil : "\(k)=\(v.stringValue ?? v.jsonString(.compact))" } }
            return "\(name) \(version) (\((keys + ["\(data.count) fields"]).joined(separator: ", ")))"
        }
        return value.jsonString(.compact)
    }
}
