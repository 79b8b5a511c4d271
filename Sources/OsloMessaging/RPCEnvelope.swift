public import JSON

/// The outer layer of every oslo.messaging body: `{"oslo.version": "2.0", "oslo.message": "<json>"}`,
/// where the application message travels as a JSON *string* (double encoding).
///
/// Bodies without both envelope keys are "version 1.0" legacy messages and are the message itself,
/// exactly as oslo's `deserialize_msg` accepts them.
public enum RPCEnvelope {
    /// The envelope version oslo.messaging 18 writes.
    public static let version = "2.0"
    public static let versionKey = "oslo.version"
    public static let messageKey = "oslo.message"

    /// A decoded body: the application message and whether it came inside an envelope.
    public struct Decoded: Sendable, Equatable {
        public var message: JSONObject
        public var wasEnveloped: Bool
        /// The body's size in bytes, for logs.
        public var bodySize: Int

        public init(message: JSONObject, wasEnveloped: Bool, bodySize: Int) {
            self.message = message
            self.wasEnveloped = wasEnveloped
            self.bodySize = bodySize
        }
    }

    /// Wraps `message` in a version 2.0 envelope, serialised like Python's `json.dumps`, ready to
    /// publish. A Python oslo peer reads it with `deserialize_msg`.
    public static func encode(_ message: JSONObject) -> [UInt8] {
        let inner = JSONValue.object(message).jsonString(.python)
        let outer: JSONValue = .object([versionKey: .string(version), messageKey: .string(inner)])
        return outer.serialized(.python)
    }

    /// The body without an envelope (oslo's notification driver `messaging`, message format 1.0).
    public static func encodeLegacy(_ message: JSONObject) -> [UInt8] {
        JSONValue.object(message).serialized(.python)
    }

    /// Parses a body into its application message, checking size, UTF-8, JSON and the envelope
    /// version; every failure says which of these went wrong.
    public static func decode(
        _ body: some Collection<UInt8>, limits: DecodingLimits = .default
    ) throws(MessageDecodingError) -> Decoded {
        let size = body.count
        guard size <= limits.maxBodyBytes else { throw .tooLarge(size: size, limit: limits.maxBodyBytes) }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: body, depthLimit: limits.maxDepth, keys: limits.sharedKeys)
        } catch {
            if error.reason == .invalidUTF8 { throw .invalidUTF8(offset: error.offset, inEnvelopedMessage: false) }
            throw .notJSON(error, inEnvelopedMessage: false)
        }
        guard case .object(let outer) = document else { throw .notAnObject(actual: document.typeName) }
        guard let versionValue = outer[versionKey], let messageValue = outer[messageKey] else {
            return Decoded(message: outer, wasEnveloped: false, bodySize: size)
        }
        guard case .string(let envelopeVersion) = versionValue else {
            throw .wrongType(field: versionKey, expected: "string", actual: versionValue.typeName)
        }
        guard OsloVersion.isCompatible(implemented: version, requested: envelopeVersion) == true else {
            throw .unsupportedEnvelopeVersion(envelopeVersion)
        }
        guard case .string(let text) = messageValue else {
            throw .wrongType(field: messageKey, expected: "string", actual: messageValue.typeName)
        }
        let inner: JSONValue
        do {
            inner = try JSONValue(parsing: text, depthLimit: limits.maxDepth, keys: limits.sharedKeys)
        } catch {
            if error.reason == .invalidUTF8 { throw .invalidUTF8(offset: error.offset, inEnvelopedMessage: true) }
            throw .notJSON(error, inEnvelopedMessage: true)
        }
        guard case .object(let message) = inner else { throw .notAnObject(actual: inner.typeName) }
        return Decoded(message: message, wasEnveloped: true, bodySize: size)
    }
}
