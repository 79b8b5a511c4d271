import AMQP
import Testing
import TestSupport

@Suite("Message round trip", .enabled(if: TestEnvironment.brokerEnabled))
struct MessageRoundTripTests {
    static let everyFieldType: AMQPFieldTable = [
        "bool": .boolean(true),
        "int8": .int8(-8),
        "uint8": .uint8(200),
        "int16": .int16(-16_000),
        "uint16": .uint16(60_000),
        "int32": .int32(-2_000_000_000),
        "uint32": .uint32(4_000_000_000),
        "int64": .int64(-9_000_000_000_000),
        "uint64": .uint64(18_000_000_000_000_000_000),
        "float": .float(1.5),
        "double": .double(-2.25e100),
        "decimal": .decimal(AMQPDecimal(scale: 2, value: 12_345)),
        "string": .string("grüße, 世界"),
        "bytes": .bytes([0, 1, 2, 0xFF, 0xFE]),
        "timestamp": .timestamp(1_700_000_000),
        "void": .void,
        "array": .array([.int32(1), .string("two"), .array([.boolean(false)]), .table(["k": .int8(3)])]),
        "table": .table(["nested": .table(["deep": .string("value"), "list": .array([.double(0.5)])]), "n": .int64(7)]),
        "empty-table": .table([:]),
        "empty-array": .array([]),
    ]

    @Test("every property and every header field type survive publish → consume")
    func everyPropertyAndHeaderType() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: Harness.unique("roundtrip"), exclusive: true))
            try await channel.enableConfirms()
            let properties = AMQPProperties(
                contentType: "application/json", contentEncoding: "utf-8", headers: Self.everyFieldType,
                deliveryMode: .persistent, priority: 7, correlationID: "corr-42", replyTo: "reply_queue",
                expiration: "60000", messageID: "msg-1", timestamp: 1_700_000_123, type: "cluster_create",
                userID: "guest", appID: "magnum-capi-worker", clusterID: "cluster-a")
            let body = [UInt8](text: #"{"oslo.version": "2.0", "oslo.message": "{}"}"#) + [0, 255, 10]
            let outcome = try await channel.publish(body, routingKey: queue.name, properties: properties)
            #expect(outcome == .confirmed)

            let consumer = try await channel.consume(queue: queue.name)
            let collector = Collector(consumer)
            let received = try await collector.waitFor(count: 1)
            try #require(received.count == 1)
            let delivery = received[0]
            #expect(delivery.body == body)
            #expect(delivery.properties == properties)
            #expect(delivery.properties.headers == Self.everyFieldType)
            #expect(delivery.exchange == "")
            #expect(delivery.routingKey == queue.name)
            #expect(delivery.redelivered == false)
            #expect(delivery.consumerTag == consumer.consumerTag)
            #expect(delivery.deliveryTag == 1)
            try delivery.ack()
            collector.stop()
        }
    }

    @Test("an empty body and absent properties stay empty and absent")
    func emptyMessage() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            #expect(try await channel.publish([], routingKey: queue.name) == .confirmed)
            let collector = Collector(try await channel.consume(queue: queue.name, noAck: true))
            let received = try await collector.waitFor(count: 1)
            try #require(received.count == 1)
            #expect(received[0].body.isEmpty)
            #expect(received[0].properties == AMQPProperties())
            #expect(throws: AMQPError.self) { try received[0].ack() }
            collector.stop()
        }
    }

    @Test("a body larger than the frame size arrives whole")
    func multiFrameBody() async throws {
        try await Harness.withConnection { connection in
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
            try await channel.enableConfirms()
            let body = (0..<(3 * 131_072 + 17)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            #expect(try await channel.publish(body, routingKey: queue.name) == .confirmed)
            let collector = Collector(try await channel.consume(queue: queue.name))
            let received = try await collector.waitFor(count: 1)
            try #require(received.count == 1)
            #expect(received[0].body == body)
            try received[0].ack()
            collector.stop()
        }
    }
}
