import JSON
import Logging
import OsloMessaging
import Testing

@Suite struct RecordingTransportTests {
    @Test func recordsPublishesDeliveriesAndSettlementsInOrder() async throws {
        let broker = InMemoryBroker()
        let recorder = TransportRecorder()
        let t = RecordingTransport(wrapping: await broker.connect(), recorder: recorder)
        try await t.declareQueue(QueueDeclaration(name: "q"))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "q", body: Array("one".utf8)))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "gone", body: [0xFF, 0x00], mandatory: true))
        let sub = try await t.consume(ConsumeRequest(queue: "q"))
        var it = sub.makeAsyncIterator()
        let d = try #require(try await it.next())
        try await d.settle(.requeue)
        let again = try #require(try await it.next())
        try await again.settle(.ack)

        let events = await recorder.events
        guard events.count == 7 else { Issue.record("events: \(events)"); return }
        #expect(events[0] == .declaredQueue(QueueDeclaration(name: "q")))
        guard case .published(let m1, .accepted) = events[1], case .published(_, .returned(312, _)) = events[2],
              case .delivered(let d1) = events[3], case .settled(let s1, .requeue) = events[4],
              case .delivered(let d2) = events[5], case .settled(_, .ack) = events[6] else {
            Issue.record("unexpected order: \(events)")
            return
        }
        #expect(m1.body == Array("one".utf8))
        #expect(d1.deliveryTag == s1.deliveryTag && !d1.redelivered && d2.redelivered)
        #expect(await recorder.settlements.map(\.settlement) == [.requeue, .ack])
    }

    @Test func exportsTheRecordingFormatAndReadsItBack() async throws {
        let broker = InMemoryBroker()
        let recorder = TransportRecorder()
        let t = RecordingTransport(wrapping: await broker.connect(), recorder: recorder)
        let fixture = try WireFixtures.entry("certificates.jsonl", 0)
        try await t.declareExchange(ExchangeDeclaration(name: "magnum", type: .topic))
        _ = try await t.publish(OutgoingMessage(exchange: fixture.exchange, routingKey: fixture.routingKey, body: fixture.body,
                                                properties: fixture.properties))
        _ = try await t.publish(OutgoingMessage(exchange: "", routingKey: "r", body: [0xC3, 0x28]))
        let lines = await recorder.recordingLines()
        #expect(lines.count == 2)
        let first = try WireRecording.parse(line: Array(lines[0].utf8), lineNumber: 1)
        #expect(first == fixture)
        #expect(lines[1].contains("body_b64"))
        let second = try WireRecording.parse(line: Array(lines[1].utf8), lineNumber: 2)
        #expect(second.body == [0xC3, 0x28] && second.seq == 1)
        // Every line of the full event log is JSON.
        for line in await recorder.eventLines() { _ = try JSONValue(parsing: line) }
    }
}
