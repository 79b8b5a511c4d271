public import JSON

/// Why a message body could not be turned into an oslo.messaging message, precise enough for an
/// operator reading the log line (which carries the message's id) to see what the sender did wrong.
///
/// The text never quotes the body itself: a body may hold a token or a password.
public enum MessageDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is larger than the configured limit (`DecodingLimits.maxBodyBytes`); it was not parsed.
    case tooLarge(size: Int, limit: Int)
    /// The body (or the `oslo.message` string inside the envelope) is not valid UTF-8.
    case invalidUTF8(offset: Int, inEnvelopedMessage: Bool)
    /// The body (or the `oslo.message` string) is not a JSON document.
    case notJSON(JSONParseError, inEnvelopedMessage: Bool)
    /// The document is JSON but not an object (`actual` is its JSON type name).
    case notAnObject(actual: String)
    /// `oslo.version` names an envelope version this endpoint cannot read (only 2.x is).
    case unsupportedEnvelopeVersion(String)
    /// A key the message kind needs is absent.
    case missingField(String)
    /// A key has a value of the wrong JSON type.
    case wrongType(field: String, expected: String, actual: String)
    /// A value has the right type but cannot be used (an unparsable failure string, ...).
    case invalidValue(field: String, reason: String)

    /// A short stable name for metrics and for matching in tests.
    public var kind: String {
        switch self {
        case .tooLarge: return "too_large"
        case .invalidUTF8: return "invalid_utf8"
        case .notJSON: return "not_json"
        case .notAnObject: return "not_an_object"
        case .unsupportedEnvelopeVersion: return "unsupported_envelope_version"
        case .missingField: return "missing_field"
        case .wrongType: return "wrong_type"
        case .invalidValue: return "invalid_value"
        }
    }

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit):
            return "message body is \(size) bytes, larger than the limit of \(limit) bytes"
        case .invalidUTF8(let offset, let inner):
            return "\(inner ? "the enveloped oslo.message" : "message body") is not valid UTF-8 (byte \(offset))"
        case .notJSON(let error, let inner):
            return "\(inner ? "the enveloped oslo.message" : "message body") is not JSON: \(error)"
        case .notAnObject(let actual):
            return "message is a JSON \(actual), expected an object"
        case .unsupportedEnvelopeVersion(let version):
            return "envelope version \(version.abbreviated().jsonQuoted()) is not supported (this endpoint reads oslo.version 2.x)"
        case .missingField(let field):
            return "message has no \(field.abbreviated().jsonQuoted()) key"
        case .wrongType(let field, let expected, let actual):
            return "\(field.abbreviated().jsonQuoted()) is a JSON \(actual), expected \(expected)"
        case .invalidValue(let field, let reason):
            return "\(field.abbreviated().jsonQuoted()) is invalid: \(reason.abbreviated(to: 300))"
        }
    }
}

/// Bounds applied before a body is parsed, so a hostile or broken sender cannot exhaust memory
/// or the stack of a worker.
public struct DecodingLimits: Sendable, Equatable {
    /// Largest body accepted, in bytes. Magnum's messages are a few kilobytes; the default leaves
    /// ample room for a cluster with thousands of nodes while refusing runaway payloads.
    public var maxBodyBytes: Int
    /// Deepest nesting of JSON arrays/objects accepted.
    public var maxDepth: Int
    /// Object keys whose strings every decoded message shares instead of allocating its own (a
    /// cost per message, not a limit: what is decoded is the same with any table). oslo's own
    /// keys by default (`osloKeys`); the worker adds its objects' keys.
    public var sharedKeys: JSONKeyTable

    /// oslo.messaging's own keys: the envelope's, requests', replies' and notifications', and the
    /// known `_context_*` keys.
    public static let osloKeys = RequestContext.wireKeys.adding(
        [RPCEnvelope.versionKey, RPCEnvelope.messageKey] + RPCRequest.interpretedKeys + OsloNotification.interpretedKeys
            + ["result", "failure", "ending"])

    public init(maxBodyBytes: Int = 16 * 1024 * 1024, maxDepth: Int = 256, sharedKeys: JSONKeyTable = DecodingLimits.osloKeys) {
        self.maxBodyBytes = maxBodyBytes
        self.maxDepth = maxDepth
        self.sharedKeys = sharedKeys
    }

    public static let `default` = DecodingLimits()
}

extension String {
    /// At most `limit` characters, for quoting sender-controlled text in logs and errors.
    func abbreviated(to limit: Int = 64) -> String {
        count <= limit ? self : String(prefix(limit)) + "…"
    }
}
