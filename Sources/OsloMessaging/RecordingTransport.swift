import JSON
import Foundation

/// Wraps a transport and writes down, in order, everything that crossed it: declarations,
/// publishes (with what the broker said), deliveries and their settlements. The publishes export
/// in the recordings' JSON-lines format (`seq`, `exchange`, `routing_key`, `properties`, `body` /
/// `body_b64`), so a run can be replayed or compared with Python's traffic.
public struct RecordingTransport: MessageTransport {
    public let base: any MessageTransport
    public let recorder: TransportRecorder

    public init(wrapping base: any MessageTransport, recorder: TransportRecorder = TransportRecorder()) {
        self.base = base
        self.recorder = recorder
    }

    public func declareExchange(_ exchange: ExchangeDeclaration) async throws {
        try await base.declareExchange(exchange)
        await recorder.append(.declaredExchange(exchange))
    }

    public func declareQueue(_ queue: QueueDeclaration) async throws {
        try await base.declareQueue(queue)
        await recorder.append(.declaredQueue(queue))
    }

    public func bindQueue(_ binding: QueueBinding) async throws {
        try await base.bindQueue(binding)
        await recorder.append(.bound(binding))
    }

    public func deleteQueue(named name: String) async throws {
        try await base.deleteQueue(named: name)
        await recorder.append(.deletedQueue(name))
    }

    public func consume(_ request: ConsumeRequest) async throws -> Subscription {
        let inner = try await base.consume(request)
        let recorder = self.recorder
        let (stream, continuation) = AsyncThrowingStream<Delivery, any Error>.makeStream()
        let pump = Task {
            do {
                for try await delivery in inner {
                    await recorder.append(.delivered(RecordedDelivery(delivery)))
                    continuation.yield(delivery.withSettler(RecordingSettler(original: delivery, recorder: recorder)))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination { pump.cancel(); Task { await inner.cancel() } }
        }
        return Subscription(queue: inner.queue, consumerTag: inner.consumerTag, deliveries: stream) {
            await inner.cancel()
        }
    }

    public func publish(_ message: OutgoingMessage) async throws -> PublishOutcome {
        do {
            let outcome = try await base.publish(message)
            await recorder.append(.published(message, outcome: outcome))
            return outcome
        } catch {
            await recorder.append(.publishFailed(message, error: String(describing: error)))
            throw error
        }
    }
}

/// A delivery as recorded (without its settler).
public struct RecordedDelivery: Sendable, Equatable {
    public let queue: String
    public let exchange: String
    public let routingKey: String
    public let body: [UInt8]
    public let properties: MessageProperties
    public let redelivered: Bool
    public let deliveryCount: Int
    public let deliveryTag: UInt64

    public init(_ d: Delivery) {
        queue = d.queue
        exchange = d.exchange
        routingKey = d.routingKey
        body = d.body
        properties = d.properties
        redelivered = d.redelivered
        deliveryCount = d.deliveryCount
        deliveryTag = d.deliveryTag
    }
}

/// One event seen by a `RecordingTransport`.
public enum RecordedEvent: Sendable, Equatable {
    case declaredExchange(ExchangeDeclaration)
    case declaredQueue(QueueDeclaration)
    case bound(QueueBinding)
    case deletedQueue(String)
    case published(OutgoingMessage, outcome: PublishOutcome)
    case publishFailed(OutgoingMessage, error: String)
    case delivered(RecordedDelivery)
    case settled(RecordedDelivery, Settlement)
    case settleFailed(RecordedDelivery, Settlement, error: String)
}

struct RecordingSettler: DeliverySettling {
    let original: Delivery
    let recorder: TransportRecorder

    func settle(_ delivery: Delivery, as settlement: Settlement, reason: String?) async throws {
        do {
            try await original.settle(settlement, reason: reason)
            await recorder.append(.settled(RecordedDelivery(original), settlement))
        } catch {
            await recorder.append(.settleFailed(RecordedDelivery(original), settlement, error: String(describing: error)))
            throw error
        }
    }
}

/// The ordered log a `RecordingTransport` writes to; share one between several transports to
/// get one timeline.
public actor TransportRecorder {
    public private(set) var events: [RecordedEvent] = []

    public init() {}

    func append(_ event: RecordedEvent) { events.append(event) }

    /// Every published message in order.
    public var publishedMessages: [OutgoingMessage] {
        events.compactMap { if case .published(let m, _) = $0 { return m } else { return nil } }
    }

    /// Settlements in order, with the queue and body of the delivery they finished.
    public var settlements: [(delivery: RecordedDelivery, settlement: Settlement)] {
        events.compactMap { if case .settled(let d, let s) = $0 { return (d, s) } else { return nil } }
    }

    /// The publishes as recording lines (the format of `Tests/Fixtures/wire/*.jsonl`).
    public func recordingLines() -> [String] {
        publishedMessages.enumerated().map { index, message in
            WireRecording.Entry(seq: index, exchange: message.exchange, routingKey: message.routingKey,
                                properties: message.properties, body: message.body).jsonLine()
        }
    }

    /// Every event as one JSON object per line (publish, deliver, settle, declarations), for a
    /// replay that checks settlements as well as publishes.
    public func eventLines() -> [String] {
        events.enumerated().map { index, event in
            var o: JSONObject = ["seq": JSONValue(index)]
            switch event {
            case .declaredExchange(let d):
                o["event"] = "declare_exchange"
                o["name"] = .string(d.name)
                o["type"] = .string(d.type.rawValue)
                o["durable"] = .bool(d.durable)
                o["auto_delete"] = .bool(d.autoDelete)
            case .declaredQueue(let d):
                o["event"] = "declare_queue"
                o["name"] = .string(d.name)
                o["durable"] = .bool(d.durable)
                o["auto_delete"] = .bool(d.autoDelete)
                o["arguments"] = .object(d.arguments)
            case .bound(let b):
                o["event"] = "bind"
                o["queue"] = .string(b.queue)
                o["exchange"] = .string(b.exchange)
                o["routing_key"] = .string(b.routingKey)
            case .deletedQueue(let name):
                o["event"] = "delete_queue"
                o["name"] = .string(name)
            case .published(let m, let outcome):
                o["event"] = "publish"
                o.merge(WireRecording.Entry(seq: index, exchange: m.exchange, routingKey: m.routingKey,
                                            properties: m.properties, body: m.body).jsonObject.filter { $0.key != "seq" }) { a, _ in a }
                o["mandatory"] = .bool(m.mandatory)
                if case .returned(let code, let text) = outcome { o["returned"] = ["reply_code": JSONValue(code), "reply_text": .string(text)] }
            case .publishFailed(let m, let error):
                o["event"] = "publish_failed"
                o["exchange"] = .string(m.exchange)
                o["routing_key"] = .string(m.routingKey)
                o["error"] = .string(error)
            case .delivered(let d):
                o["event"] = "deliver"
                o.merge(WireRecording.Entry(seq: index, exchange: d.exchange, routingKey: d.routingKey,
                                            properties: d.properties, body: d.body).jsonObject.filter { $0.key != "seq" }) { a, _ in a }
                o["queue"] = .string(d.queue)
                o["delivery_tag"] = .int(Int64(d.deliveryTag))
                o["redelivered"] = .bool(d.redelivered)
                o["delivery_count"] = JSONValue(d.deliveryCount)
            case .settled(let d, let s):
                o["event"] = "settle"
                o["queue"] = .string(d.queue)
                o["delivery_tag"] = .int(Int64(d.deliveryTag))
                o["settlement"] = .string(s.rawValue)
            case .settleFailed(let d, let s, let error):
                o["event"] = "settle_failed"
                o["queue"] = .string(d.queue)
                o["delivery_tag"] = .int(Int64(d.deliveryTag))
                o["settlement"] = .string(s.rawValue)
                o["error"] = .string(error)
            }
            return JSONValue.object(o).jsonString(.compact)
        }
    }
}
