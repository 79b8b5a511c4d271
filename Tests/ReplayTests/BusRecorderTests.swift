import Foundation
import JSON
import OsloMessaging
import Replay
import Testing

/// `record`'s capture: lines in the recordings' format, secrets masked, firehose copies
/// unwrapped, filters applied.
@Suite struct BusRecorderTests {
    struct NoSettle: DeliverySettling {
        func settle(_ delivery: Delivery, as settlement: Settlement, reason: String?) async throws {}
    }

    static func delivery(exchange: String, routingKey: String, body: [UInt8], properties: MessageProperties = MessageProperties()) -> Delivery {
        Delivery(queue: "q", exchange: exchange, routingKey: routingKey, body: body, properties: properties, redelivered: false,
                 deliveryCount: 1, deliveryTag: 1, consumerTag: "c", settler: NoSettle())
    }

    static func firstRequest(_ name: String) throws -> WireRecording.Entry {
        let text = String(decoding: try ReplayFixtures.recording(name), as: UTF8.self)
        return try WireRecording.parse(line: Array(text.split(separator: "\n")[0].utf8), lineNumber: 1)
    }

    @Test func secretsAreMaskedUnlessKept() throws {
        let entry = try Self.firstRequest("cluster_create_defaults")
        let token = "gAAAAABtokenTOKENtoken-not-a-real-token"
        #expect(String(decoding: entry.body, as: UTF8.self).contains(token))
        let d = Self.delivery(exchange: entry.exchange, routingKey: entry.routingKey, body: entry.body, properties: entry.properties)

        let masked = try #require(BusRecorder(source: .queue).line(for: d, seq: 7, at: Date(timeIntervalSince1970: 0)))
        #expect(!masked.contains(token))
        let line = try JSONValue(parsing: masked)
        #expect(line["seq"] == 7)
        #expect(line["masked"] == true)
        #expect(line["recorded_at"] == "1970-01-01T00:00:00.000Z")
        let message = try RPCEnvelope.decode(Array((line["body"]?.stringValue ?? "").utf8)).message
        let request = try RPCRequest(message: message)
        #expect(request.method == "cluster_create")
        #expect(message["_context_auth_token"] == "***")
        #expect(message["_context_user_id"] == "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b")

        let kept = try #require(BusRecorder(source: .queue, keepSecrets: true).line(for: d, seq: 0, at: Date()))
        let keptLine = try JSONValue(parsing: kept)
        #expect(keptLine["masked"] == nil)
        #expect(keptLine["body"]?.stringValue.map { Array($0.utf8) } == entry.body)
    }

    @Test func firehoseCopiesAreUnwrapped() throws {
        let entry = try Self.firstRequest("cluster_delete")
        var headers: JSONObject = [
            "exchange_name": .string(entry.exchange), "routing_keys": [.string(entry.routingKey)],
            "properties": .object(entry.properties.jsonObject),
        ]
        let d = Self.delivery(exchange: "amq.rabbitmq.trace", routingKey: "publish.magnum", body: entry.body,
                              properties: MessageProperties(headers: headers))
        let line = try JSONValue(parsing: try #require(BusRecorder(source: .firehose, keepSecrets: true).line(for: d, seq: 0, at: Date())))
        #expect(line["exchange"] == "magnum")
        #expect(line["routing_key"] == "magnum-conductor")
        #expect(line["properties"] == .object(entry.properties.jsonObject))
        // Another exchange is not recorded; replies (default exchange) always are.
        headers["exchange_name"] = "nova"
        #expect(BusRecorder(source: .firehose).line(for: Self.delivery(exchange: "amq.rabbitmq.trace", routingKey: "publish.nova", body: entry.body,
                                                                       properties: MessageProperties(headers: headers)), seq: 0, at: Date()) == nil)
        headers["exchange_name"] = ""
        headers["routing_keys"] = ["reply_abc"]
        let reply = BusRecorder(source: .firehose, topics: ["magnum-conductor"]).line(
            for: Self.delivery(exchange: "amq.rabbitmq.trace", routingKey: "publish.", body: entry.body, properties: MessageProperties(headers: headers)),
            seq: 0, at: Date())
        #expect(reply != nil)
    }

    @Test func queueSourceCapturesWhatIsPublishedToTheExchange() async throws {
        let broker = InMemoryBroker()
        let transport = await broker.connect()
        try await transport.declareExchange(ExchangeDeclaration(name: "magnum", type: .topic))
        let recorder = BusRecorder(source: .queue, topics: ["magnum-conductor"])
        let subscription = try await recorder.subscribe(transport)
        let entry = try Self.firstRequest("credential_rotate")
        _ = try await transport.publish(OutgoingMessage(exchange: "magnum", routingKey: "magnum-conductor", body: entry.body, properties: entry.properties))
        _ = try await transport.publish(OutgoingMessage(exchange: "magnum", routingKey: "notifications.info", body: Array("{}".utf8)))
        _ = try await transport.publish(OutgoingMessage(exchange: "magnum", routingKey: "magnum-conductor.host-1", body: entry.body, properties: entry.properties))
        var lines: [JSONValue] = []
        for try await delivery in subscription {
            if let line = recorder.line(for: delivery, seq: lines.count, at: Date()) { lines.append(try JSONValue(parsing: line)) }
            try await delivery.settle(.ack)
            if lines.count == 2 { break }
        }
        await subscription.cancel()
        #expect(lines.map { $0["routing_key"] } == ["magnum-conductor", "magnum-conductor.host-1"])
        #expect(!lines[0].jsonString().contains("gAAAAAB"))
    }
}

extension BusRecorderTests {
    @Test func bodiesThatAreNotEnvelopesStayWhatTheyWereWithSecretsMasked() throws {
        #expect(BusRecorder.masked(Array(#"{"x": 1, "password": "hunter2"}"#.utf8)) == Array(#"{"x": 1, "password": "***"}"#.utf8))
        #expect(BusRecorder.masked(Array("hello".utf8)) == Array("hello".utf8))
        let envelope = Array(#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"m\", \"_context_auth_token\": \"t0ken\"}"}"#.utf8)
        #expect(BusRecorder.masked(envelope) == Array(#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"m\", \"_context_auth_token\": \"***\"}"}"#.utf8))
    }
}
