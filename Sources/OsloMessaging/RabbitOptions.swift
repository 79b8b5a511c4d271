/// The `[oslo_messaging_rabbit]` options that shape what goes on the broker, with
/// oslo.messaging 18.3.1's defaults. Declarations must match the Python services' exactly or
/// RabbitMQ refuses the redeclaration (PRECONDITION_FAILED), so these follow `impl_rabbit.py`.
public struct RabbitOptions: Sendable, Equatable {
    /// Durable exchanges and RPC/notification queues (implied by `rabbitQuorumQueue`).
    public var amqpDurableQueues = false
    /// Auto-delete RPC/notification queues and the control exchange.
    public var amqpAutoDelete = false
    /// Legacy classic mirroring (`x-ha-policy: all`).
    public var rabbitHAQueues = false
    /// Quorum RPC/notification queues (`x-queue-type: quorum`, durable).
    public var rabbitQuorumQueue = false
    /// Quorum reply and fanout queues too (and durable fanout exchanges).
    public var rabbitTransientQuorumQueue = false
    /// `x-delivery-limit` for quorum queues (0 = none).
    public var rabbitQuorumDeliveryLimit = 0
    /// `x-max-in-memory-length` for quorum queues (0 = none).
    public var rabbitQuorumMaxMemoryLength = 0
    /// `x-max-in-memory-bytes` for quorum queues (0 = none).
    public var rabbitQuorumMaxMemoryBytes = 0
    /// Seconds before unused reply/fanout queues expire (`x-expires`, in ms); 0 = never.
    public var rabbitTransientQueuesTTL = 1800
    /// Consumer prefetch (`basic.qos`); 0 = unlimited.
    public var rabbitQosPrefetchCount = 0
    /// One stream queue `<topic>_fanout` instead of a fanout queue per server.
    public var rabbitStreamFanout = false
    /// Deterministic reply/fanout queue names `<hostname>:<processname>:<n>`.
    public var useQueueManager = false
    public var hostname = "localhost"
    public var processname = "magnum-capi-worker"
    /// `x-cancel-on-ha-failover` on consumers.
    public var enableCancelOnFailover = false
    /// Replies are published mandatory (oslo no longer lets this be turned off).
    public var directMandatoryFlag = true

    public init() {}

    /// Whether RPC and notification queues and the control exchange are durable.
    public var durable: Bool { amqpDurableQueues || rabbitQuorumQueue }

    /// A configuration oslo itself refuses to start with.
    public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Checks the combinations `impl_rabbit.py` rejects at start-up.
    public func validate() throws(ConfigurationError) {
        if rabbitQuorumQueue && rabbitHAQueues {
            throw ConfigurationError(description: "rabbit_quorum_queue and rabbit_ha_queues are both enabled; a queue is quorum or HA (mirrored), not both")
        }
        if rabbitStreamFanout && rabbitQosPrefetchCount <= 0 {
            throw ConfigurationError(description: "rabbit_stream_fanout needs rabbit_qos_prefetch_count > 0")
        }
        if rabbitStreamFanout && !rabbitTransientQuorumQueue {
            throw ConfigurationError(description: "rabbit_stream_fanout needs rabbit_transient_quorum_queue = true")
        }
        if rabbitTransientQueuesTTL < 0 {
            throw ConfigurationError(description: "rabbit_transient_queues_ttl must be >= 0")
        }
    }
}
