import JSON
import OsloMessaging
import Testing

/// Requests, replies and notifications decode from the recordings and re-encode to the very
/// bytes Python sent.
@Suite struct WireMessageCodecTests {
    static var allMessages: [(String, Int)] {
        WireFixtures.recordingNames.flatMap { name in
            ((try? WireFixtures.entries(name)) ?? []).indices.map { (name, $0) }
        }
    }

    @Test func thereAreRecordingsToTest() {
        #expect(Self.allMessages.count >= 40)
    }

    @Test(arguments: allMessages)
    func reencodesRecordedBodiesByteForByte(_ file: String, _ index: Int) throws {
        let entry = try WireFixtures.entry(file, index)
        let message = try RPCEnvelope.decode(entry.body).message
        let reencoded: [UInt8]
        if message["method"] != nil {
            reencoded = try RPCRequest(message: message).encodedBody()
        } else if OsloNotification.looksLikeNotification(message) {
            reencoded = try OsloNotification(message: message).encodedBody()
        } else {
            reencoded = try RPCReply(message: message).encodedBody()
        }
        #expect(String(decoding: reencoded, as: UTF8.self) == String(decoding: entry.body, as: UTF8.self))
    }

    @Test func decodesCallFields() throws {
        let request = try RPCRequest(message: WireFixtures.message("certificates.jsonl", 0))
        #expect(request.method == "sign_certificate")
        #expect(request.isCall)
        #expect(request.msgID == "a65dd08fb457442d8043d4bf17fc5cea")
        #expect(request.replyQueue == "reply_962f9e984f334907916361b4168ac31b")
        #expect(request.callMonitorTimeout == nil)
        #expect(request.namespace == nil && request.version == nil)
        #expect(request.args.keys.sorted() == ["certificate", "cluster"])
        #expect(try WireFixtures.entry("certificates.jsonl", 0).properties.expiration == "60000")
    }

    @Test func decodesCastFields() throws {
        let request = try RPCRequest(message: WireFixtures.message("cluster_delete.jsonl", 0))
        #expect(!request.isCall)
        #expect(request.msgID == nil && request.replyQueue == nil)
        #expect(request.args == ["uuid": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"])
        #expect(request.uniqueID?.count == 32)
    }

    @Test(arguments: [
        (#"{"args": {}}"#, MessageDecodingError.missingField("method")),
        (#"{"method": 5}"#, .wrongType(field: "method", expected: "string", actual: "integer")),
        (#"{"method": "m", "args": []}"#, .wrongType(field: "args", expected: "object", actual: "array")),
        (#"{"method": "m", "namespace": 1}"#, .wrongType(field: "namespace", expected: "string", actual: "integer")),
        (#"{"method": "m", "version": 1.1}"#, .wrongType(field: "version", expected: "string", actual: "number")),
        (#"{"method": "m", "_reply_q": ["q"]}"#, .wrongType(field: "_reply_q", expected: "string", actual: "array")),
        (#"{"method": "m", "_timeout": {}}"#, .wrongType(field: "_timeout", expected: "number or null", actual: "object")),
    ])
    func rejectsMalformedRequests(_ text: String, _ expected: MessageDecodingError) {
        #expect(throws: expected) { _ = try RPCRequest(body: RPCEnvelope.encode(JSONValue(parsing: text).objectValue ?? [:])) }
    }

    @Test func keepsUnknownTopLevelKeys() throws {
        let message: JSONObject = ["method": "m", "args": [:], "x-extra": [1, 2], "_unique_id": "u"]
        let request = try RPCRequest(message: message)
        #expect(request.extraFields == ["x-extra": [1, 2]])
        #expect(request.message == message)
    }

    @Test func decodesRepliesAndNotifications() throws {
        let reply = try RPCReply(message: WireFixtures.message("cluster_upgrade.jsonl", 1))
        #expect(reply.ending)
        #expect(reply.failure == nil)
        #expect(reply.result["magnum_object.name"] == "Cluster")
        #expect(reply.msgID?.hasPrefix("59f33a64") == true)

        let failed = try RPCReply(message: WireFixtures.message("ping.jsonl", 1))
        #expect(failed.failure?.className == "NoSuchMethod")
        #expect(failed.result == .null)

        let keepAlive = RPCReply.keepAlive(msgID: "m", uniqueID: "u")
        #expect(keepAlive.isKeepAlive)
        #expect(keepAlive.message == ["result": nil, "failure": nil, "ending": false, "_msg_id": "m", "_unique_id": "u"])

        let n = try OsloNotification(message: WireFixtures.message("notifications.jsonl", 3))
        #expect(n.priorityLevel == .error)
        #expect(n.eventType == "magnum.cluster.delete")
        #expect(n.context.authToken == nil)
        #expect(n.timestamp == "2026-11-25 00:03:24.436610")
    }
}
