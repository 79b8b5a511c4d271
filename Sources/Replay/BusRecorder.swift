public import Foundation
import JSON
public import OsloMessaging

/// Captures oslo.messaging traffic as recording lines (the format of `Tests/Fixtures/wire/`),
/// for `magnum-capi-worker record`.
///
/// Two sources (see docs/replay.md for the trade-offs):
/// - `.firehose`: RabbitMQ's firehose (`rabbitmqctl trace_on`) copies every publish to
///   `amq.rabbitmq.trace` as `publish.<exchange>`; a private queue bound to the control
///   exchanges and to the default exchange (`publish.`, where RPC replies go) sees requests,
///   replies and notifications exactly as published, without touching anyone's queues.
/// - `.queue`: a private queue bound to the control exchanges (`#`, or the given topics): no
///   broker setting needed, but replies (default exchange) and fanout exchanges are not seen.
public struct BusRecorder: Sendable {
    public enum Source: String, Sendable, CaseIterable {
        case firehose, queue
    }

    public let source: Source
    public let exchanges: [String]
    public let topics: [String]
    public let keepSecrets: Bool

    public init(source: Source, exchanges: [String] = ["magnum"], topics: [String] = [], keepSecrets: Bool = false) {
        self.source = source
        self.exchanges = exchanges
        self.topics = topics
        self.keepSecrets = keepSecrets
    }

    /// Declares the private queue (exclusive, auto-delete), binds it and starts consuming.
    public func subscribe(_ transport: any MessageTransport) async throws -> Subscription {
        let queue = "magnum-capi-worker-record.\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString.prefix(8).lowercased())"
        try await transport.declareQueue(QueueDeclaration(name: queue, durable: false, autoDelete: true, exclusive: true))
        switch source {
        case .firehose:
            for name in exchanges {
                try await transport.bindQueue(QueueBinding(queue: queue, exchange: "amq.rabbitmq.trace", routingKey: "publish.\(name)"))
            }
            try await transport.bindQueue(QueueBinding(queue: queue, exchange: "amq.rabbitmq.trace", routingKey: "publish."))
        case .queue:
            for name in exchanges {
                for key in topics.isEmpty ? ["#"] : topics.flatMap({ [$0, "\($0).#"] }) {
                    try await transport.bindQueue(QueueBinding(queue: queue, exchange: name, routingKey: key))
                }
            }
        }
        return try await transport.consume(ConsumeRequest(queue: queue, prefetchCount: 100))
    }

    /// The recording line for one delivery, or nil when it is filtered out (another exchange,
    /// another topic; replies are always kept).
    public func line(for delivery: Delivery, seq: Int, at date: Date) -> String? {
        var exchange = delivery.exchange
        var routingKey = delivery.routingKey
        var properties = delivery.properties
        if source == .firehose {
            // amq.rabbitmq.trace: exchange_name, routing_keys and the original properties in headers.
            exchange = delivery.properties.headers["exchange_name"]?.stringValue ?? ""
            routingKey = delivery.properties.headers["routing_keys"]?.arrayValue?.first?.stringValue ?? ""
            properties = MessageProperties(jsonObject: delivery.properties.headers["properties"]?.objectValue ?? [:])
            if !exchange.isEmpty && !exchanges.contains(exchange) { return nil }
        }
        let isReply = exchange.isEmpty
        if !isReply, !topics.isEmpty, !topics.contains(where: { routingKey == $0 || routingKey.hasPrefix("\($0).") }) { return nil }
        let body = keepSecrets ? delivery.body : Self.masked(delivery.body)
        var object = WireRecording.Entry(seq: seq, exchange: exchange, routingKey: routingKey, properties: properties, body: body).jsonObject
        if !keepSecrets { object["masked"] = .bool(true) }
        object["recorded_at"] = .string(Self.timestamp(date))
        return JSONValue.object(object).jsonString(.compact)
    }

    /// `2026-11-25T00:01:42.123Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// The body with every secret of the oslo message (context, arguments, payload) replaced by
    /// `***`. A body that is not an oslo envelope is masked the same way when it is JSON, and
    /// kept as it is otherwise.
    public static func masked(_ body: [UInt8]) -> [UInt8] {
        guard case .object(let o)? = try? JSONValue(parsing: body) else { return body }
        if o["oslo.message"] != nil, let envelope = try? RPCEnvelope.decode(body) {
            return RPCEnvelope.encode(SecretMasking.masked(envelope.message))
        }
        // A legacy (bare) message or any other JSON: masked in place, written as Python would.
        return JSONValue.object(SecretMasking.masked(o)).serialized(.python)
    }
}
