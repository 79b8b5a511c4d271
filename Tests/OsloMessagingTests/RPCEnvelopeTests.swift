import JSON
import OsloMessaging
import Testing

@Suite struct RPCEnvelopeTests {
    @Test func encodesTheDoubleEncodedEnvelopeLikeOslo() throws {
        let body = RPCEnvelope.encode(["method": "ping", "args": ["x": "é"]])
        let text = String(decoding: body, as: UTF8.self)
        #expect(text == #"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"ping\", \"args\": {\"x\": \"\\u00e9\"}}"}"#)
        let decoded = try RPCEnvelope.decode(body)
        #expect(decoded.wasEnveloped)
        #expect(decoded.message == ["method": "ping", "args": ["x": "é"]])
    }

    @Test func acceptsLegacyBodiesWithoutEnvelope() throws {
        let decoded = try RPCEnvelope.decode(Array(#"{"method": "ping", "args": {}}"#.utf8))
        #expect(!decoded.wasEnveloped)
        #expect(decoded.message["method"] == "ping")
        // Only one of the two envelope keys: still a legacy message (oslo checks for both).
        let half = try RPCEnvelope.decode(Array(#"{"oslo.version": "2.0", "method": "x"}"#.utf8))
        #expect(!half.wasEnveloped)
    }

    @Test func acceptsCompatibleEnvelopeMinorVersions() throws {
        let body = Array(#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"m\"}"}"#.utf8)
        #expect(try RPCEnvelope.decode(body).message["method"] == "m")
    }

    @Test(arguments: [
        ("not json at all", "not_json"),
        (#"{"oslo.version": "2.0", "oslo.message": "{broken"}"#, "not_json"),
        (#"[1, 2]"#, "not_an_object"),
        (#"{"oslo.version": "2.0", "oslo.message": "[1]"}"#, "not_an_object"),
        (#"{"oslo.version": "3.0", "oslo.message": "{}"}"#, "unsupported_envelope_version"),
        (#"{"oslo.version": "2.1", "oslo.message": "{}"}"#, "unsupported_envelope_version"),
        (#"{"oslo.version": 2, "oslo.message": "{}"}"#, "wrong_type"),
        (#"{"oslo.version": "2.0", "oslo.message": {"method": "x"}}"#, "wrong_type"),
    ])
    func rejectsWithATypedReason(_ body: String, _ kind: String) {
        #expect {
            _ = try RPCEnvelope.decode(Array(body.utf8))
        } throws: { error in
            (error as? MessageDecodingError)?.kind == kind
        }
    }

    @Test func reportsInvalidUTF8WithItsOffset() {
        var body = Array(#"{"oslo.version": "2.0", "oslo.message": "x"#.utf8)
        let stringStart = body.count - 1  // the parser points at the string holding the bad bytes
        body += [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: MessageDecodingError.invalidUTF8(offset: stringStart, inEnvelopedMessage: false)) {
            _ = try RPCEnvelope.decode(body)
        }
    }

    @Test func refusesBodiesOverTheLimitBeforeParsing() {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 2048)
        let error = #expect(throws: MessageDecodingError.self) {
            _ = try RPCEnvelope.decode(body, limits: DecodingLimits(maxBodyBytes: 1024))
        }
        #expect(error == .tooLarge(size: 2048, limit: 1024))
        #expect(error?.description == "message body is 2048 bytes, larger than the limit of 1024 bytes")
    }

    @Test func refusesNestingDeeperThanTheLimit() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: MessageDecodingError.self) {
            _ = try RPCEnvelope.decode(Array(#"{"a": \#(deep)}"#.utf8), limits: DecodingLimits(maxDepth: 64))
        }
    }

    @Test func errorTextNamesTheProblemAndNotTheContent() {
        let error = MessageDecodingError.wrongType(field: "args", expected: "object", actual: "array")
        #expect(error.description == #""args" is a JSON array, expected object"#)
        #expect(MessageDecodingError.missingField("method").description == #"message has no "method" key"#)
        #expect(MessageDecodingError.unsupportedEnvelopeVersion("3.0").description.contains("3.0"))
    }
}
