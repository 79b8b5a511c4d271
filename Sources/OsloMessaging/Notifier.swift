public import JSON
public import Logging
public import Foundation

/// Notification drivers of `[oslo_messaging_notifications] driver`.
public enum NotificationDriver: String, Sendable, Equatable {
    /// Enveloped messages (format 2.0), what Magnum deployments use.
    case messagingV2 = "messagingv2"
    /// Un-enveloped messages (format 1.0), for old consumers.
    case messaging
    /// Nothing is sent.
    case noop
}

public struct NotifierOptions: Sendable {
    public var driver: NotificationDriver
    /// `[oslo_messaging_notifications] topics`.
    public var topics: [String]
    /// The control exchange notifications are published to (Magnum: `magnum`).
    public var exchange: String
    public var rabbit: RabbitOptions
    /// Told about every notification sent (`event_type`, whether the broker took it), for
    /// metrics; must return quickly.
    public var observer: (@Sendable (_ eventType: String, _ published: Bool) -> Void)?

    public init(driver: NotificationDriver = .messagingV2, topics: [String] = ["notifications"], exchange: String,
                rabbit: RabbitOptions = RabbitOptions()) {
        self.driver = driver
        self.topics = topics
        self.exchange = exchange
        self.rabbit = rabbit
    }
}

/// Publishes notifications exactly as oslo's `Notifier` with the `messagingv2` driver: one message
/// per topic on the control exchange with routing key `<topic>.<priority>`, declaring the
/// `<topic>.<priority>` queue first so nothing is lost before a consumer starts.
public actor Notifier {
    public nonisolated let publisherID: String
    public nonisolated let options: NotifierOptions
    let transport: any MessageTransport
    let topology: OsloTopology
    let logger: Logger
    private var declared: Set<String> = []

    /// `publisherID`: Magnum uses `container-infra.<host>`.
    public init(transport: any MessageTransport, publisherID: String, options: NotifierOptions, logger: Logger) {
        self.transport = transport
        self.publisherID = publisherID
        self.options = options
        self.topology = OsloTopology(options: options.rabbit)
        self.logger = logger
    }

    /// Sends one notification. `context` is redacted first (no token, no secrets), as oslo does.
    /// Returns the message as sent (one per topic shares the same `message_id`).
    @discardableResult
    public func notify(_ eventType: String, payload: JSONValue, priority: NotificationPriority,
                       context: RequestContext? = nil, at date: Date = Date()) async throws -> OsloNotification {
        var notification = OsloNotification(
            messageID: Identifiers.uuidString(), publisherID: publisherID, eventType: eventType, priority: priority,
            payload: payload, timestamp: OsloTimestamp.string(from: date), context: context?.redacted() ?? RequestContext())
        guard options.driver != .noop else { return notification }
        do {
            try await publish(&notification, eventType: eventType, priority: priority)
        } catch {
            options.observer?(eventType, false)
            throw error
        }
        options.observer?(eventType, true)
        return notification
    }

    private func publish(_ notification: inout OsloNotification, eventType: String, priority: NotificationPriority) async throws {
        for topic in options.topics {
            let routingKey = "\(topic).\(priority.rawValue)"
            if !declared.contains(routingKey) {
                try await topology.notificationQueue(exchange: options.exchange, routingKey: routingKey).apply(to: transport)
                declared.insert(routingKey)
            }
            // Each send gets its own `_unique_id`, as oslo adds it per `_send`.
            notification.uniqueID = Identifiers.uuidHex()
            let body = options.driver == .messagingV2
                ? RPCEnvelope.encode(notification.message) : RPCEnvelope.encodeLegacy(notification.message)
            _ = try await transport.publish(OutgoingMessage(
                exchange: options.exchange, routingKey: routingKey, body: body, properties: .oslo(), mandatory: false))
            logger.debug("NOTIFY \(eventType) exchange \(options.exchange) topic \(routingKey)")
        }
    }
}

/// What a notification handler says about a message.
public enum NotificationDisposition: Sendable, Equatable {
    case handled
    /// Put it back (oslo's `NotificationResult.REQUEUE`).
    case requeue
}

/// A notification received by a `NotificationListener`.
public struct IncomingNotification: Sendable {
    public let notification: OsloNotification
    public let priority: NotificationPriority
    public let redelivered: Bool
    public var context: RequestContext { notification.context }
    public var publisherID: String { notification.publisherID }
    public var eventType: String { notification.eventType }
    public var payload: JSONValue { notification.payload }
}

/// Consumes notifications like oslo's notification listener: one topic consumer per target and
/// priority (queue `<topic>.<priority>`, or the pool name shared by a pool of listeners), a
/// handler per message, ack when handled, requeue when asked to or when the handler throws.
/// Undecodable messages are logged and dead-lettered.
public actor NotificationListener {
    public typealias Handler = @Sendable (IncomingNotification) async throws -> NotificationDisposition

    public nonisolated let exchange: String
    public nonisolated let topics: [String]
    public nonisolated let priorities: [NotificationPriority]
    public nonisolated let pool: String?
    let transport: any MessageTransport
    let topology: OsloTopology
    let rabbit: RabbitOptions
    let limits: DecodingLimits
    let handler: Handler
    let logger: Logger
    let duplicates = DuplicateFilter()
    private var subscriptions: [Subscription] = []
    private var runner: Task<Void, Never>?

    public init(transport: any MessageTransport, exchange: String, topics: [String] = ["notifications"],
                priorities: [NotificationPriority] = NotificationPriority.allCases, pool: String? = nil,
                rabbit: RabbitOptions = RabbitOptions(), limits: DecodingLimits = .default, logger: Logger,
                handler: @escaping Handler) {
        self.transport = transport
        self.exchange = exchange
        self.topics = topics
        self.priorities = priorities
        self.pool = pool
        self.rabbit = rabbit
        self.topology = OsloTopology(options: rabbit)
        self.limits = limits
        self.logger = logger
        self.handler = handler
    }

    public func start() async throws {
        guard runner == nil else { return }
        var subs: [Subscription] = []
        for topic in topics {
            for priority in priorities {
                let routingKey = "\(topic).\(priority.rawValue)"
                let declarations = topology.topicConsumer(exchange: exchange, routingKey: routingKey, queueName: pool)
                try await declarations.apply(to: transport)
                let queue = pool ?? routingKey
                if subs.contains(where: { $0.queue == queue }) { continue }
                subs.append(try await transport.consume(ConsumeRequest(
                    queue: queue, prefetchCount: rabbit.rabbitQosPrefetchCount, arguments: topology.consumerArguments())))
            }
        }
        subscriptions = subs
        runner = Task { [subs] in
            await withTaskGroup(of: Void.self) { group in
                for sub in subs {
                    group.addTask {
                        do {
                            for try await delivery in sub { await self.process(delivery) }
                        } catch {
                            self.logger.error("notification consumer on \(sub.queue) stopped: \(error)")
                        }
                    }
                }
            }
        }
    }

    public func stop() async {
        for sub in subscriptions { await sub.cancel() }
        await runner?.value
        subscriptions = []
    }

    nonisolated func process(_ delivery: Delivery) async {
        let notification: OsloNotification
        do {
            notification = try OsloNotification(body: delivery.body, limits: limits)
        } catch {
            let uniqueID = MalformedRequestSalvage.uniqueID(message: nil, body: delivery.body)
            logger.error("malformed notification on \(delivery.queue) (\(delivery.body.count) bytes, unique_id \(uniqueID ?? "unknown")): \(error); dead-lettering it")
            try? await delivery.settle(.deadLetter, reason: "malformed notification: \(error)")
            return
        }
        if let uniqueID = notification.uniqueID, duplicates.contains(uniqueID) {
            logger.warning("ignoring duplicate notification \(uniqueID)")
            try? await delivery.settle(.ack)
            return
        }
        guard let priority = notification.priorityLevel else {
            logger.warning("unknown notification priority \"\(notification.priority)\"; acknowledging it")
            try? await delivery.settle(.ack)
            return
        }
        var disposition = NotificationDisposition.handled
        do {
            disposition = try await handler(IncomingNotification(
                notification: notification, priority: priority, redelivered: delivery.redelivered))
        } catch {
            logger.error("notification handler failed for \(notification.eventType): \(error); requeueing")
            disposition = .requeue
        }
        do {
            switch disposition {
            case .handled:
                try await delivery.settle(.ack)
                if let uniqueID = notification.uniqueID { _ = duplicates.checkAndRecord(uniqueID) }
            case .requeue:
                try await delivery.settle(.requeue)
            }
        } catch {
            logger.warning("could not settle notification: \(error)")
        }
    }
}
