public import AMQP
import Foundation
public import Logging
public import OsloConfig

/// The `[oslo_messaging_rabbit]` options about the connection itself (TLS, heartbeats,
/// reconnecting, failover, login), with oslo.messaging 18.3.1's defaults. The options that shape
/// declarations are `RabbitOptions`.
public struct RabbitConnectionOptions: Sendable, Equatable {
    /// `ssl`: connect over TLS (also `?ssl=1` in `transport_url`).
    public var ssl = false
    /// `ssl_ca_file`: CA bundle that signs the broker's certificate; turns on verification.
    public var sslCAFile: String?
    /// `ssl_cert_file` / `ssl_key_file`: client certificate and key, for brokers that ask for one.
    public var sslCertFile: String?
    public var sslKeyFile: String?
    /// `ssl_version`: accepted for compatibility; TLS 1.2 or newer is always negotiated.
    public var sslVersion: String?
    /// `ssl_enforce_hostname_verification` (deprecated in oslo): with a CA file, also check
    /// that the certificate names the broker's host.
    public var sslEnforceHostnameVerification = true
    /// `heartbeat_timeout_threshold`: seconds of silence after which the broker is considered
    /// gone (the AMQP heartbeat interval asked for); 0 disables heartbeats.
    public var heartbeatTimeoutThreshold = 60
    /// `heartbeat_rate`: accepted; the connection thread checks heartbeats four times per interval.
    public var heartbeatRate = 3
    /// `rabbit_retry_interval`, `rabbit_retry_backoff`, `rabbit_interval_max`: reconnect delays.
    public var rabbitRetryInterval = 1
    public var rabbitRetryBackoff = 2
    public var rabbitIntervalMax = 30
    /// `kombu_failover_strategy`: `round-robin` or `shuffle`.
    public var kombuFailoverStrategy = "round-robin"
    /// `kombu_reconnect_delay` / `kombu_reconnect_splay`: wait before consuming again after the
    /// broker cancelled a consumer.
    public var kombuReconnectDelay = 1.0
    public var kombuReconnectSplay = 0.0
    /// `rabbit_login_method`: `AMQPLAIN`, `PLAIN` (user and password) or `EXTERNAL` (client certificate).
    public var rabbitLoginMethod = "AMQPLAIN"

    public init() {}

    /// The AMQP client configuration for `transportURL` (oslo's `transport_url`) with these options.
    public func amqpConfiguration(transportURL: TransportURL) throws(ConfigError) -> AMQPConfiguration {
        guard transportURL.scheme == "rabbit" else {
            throw ConfigError(option: OptionName("DEFAULT", "transport_url"), location: nil,
                              message: "only the rabbit driver is supported (got \(transportURL.scheme)://)")
        }
        var tls: TLSConfiguration?
        if ssl || transportURL.ssl == true {
            tls = TLSConfiguration(
                caCertificateFile: sslCAFile, certificateFile: sslCertFile, keyFile: sslKeyFile,
                verifyHostname: sslCAFile != nil && sslEnforceHostnameVerification)
        }
        var configuration = AMQPConfiguration(transportURL: transportURL, tls: tls)
        configuration.heartbeat = .seconds(max(0, heartbeatTimeoutThreshold))
        configuration.reconnect = ReconnectBackoff(
            initialDelay: .seconds(rabbitRetryInterval), step: .seconds(rabbitRetryBackoff),
            maximumDelay: .seconds(max(rabbitIntervalMax, rabbitRetryInterval)))
        // oslo shuffles the host list once per connection, then kombu goes round it (round-robin)
        // or picks at random (shuffle): both start at a random node, so workers spread out.
        configuration.endpointOrder = transportURL.hosts.count > 1 ? .shuffled : .asListed
        switch rabbitLoginMethod.uppercased() {
        case "AMQPLAIN", "PLAIN": configuration.authentication = .plain
        case "EXTERNAL": configuration.authentication = .external
        default:
            throw ConfigError(option: OptionName("oslo_messaging_rabbit", "rabbit_login_method"), location: nil,
                              message: "login method \(rabbitLoginMethod) is not supported by magnum-capi-worker (use AMQPLAIN, PLAIN or EXTERNAL)")
        }
        return configuration
    }
}

/// Everything about the message bus that magnum.conf says, read with oslo.messaging's option
/// names and defaults: where the broker is (`transport_url`), how to connect
/// (`RabbitConnectionOptions`), what to declare (`RabbitOptions`), call timeouts, where
/// notifications go, and where this worker keeps poison messages (`[capi_worker] dead_letter_*`).
public struct MessagingSettings: Sendable {
    /// `[DEFAULT] transport_url` (oslo's default `rabbit://`: guest on localhost). A secret:
    /// it holds passwords; never log it (log `TransportURL.description`).
    public var transportURL: String
    /// `[oslo_messaging_notifications] transport_url`, when notifications go to another broker.
    public var notificationTransportURL: String?
    /// `[DEFAULT] rpc_response_timeout`, seconds.
    public var rpcResponseTimeout: Int
    public var rabbit: RabbitOptions
    public var connection: RabbitConnectionOptions
    public var deadLetter: DeadLetterOptions

    public init(transportURL: String = "rabbit://", notificationTransportURL: String? = nil, rpcResponseTimeout: Int = 60,
                rabbit: RabbitOptions = RabbitOptions(), connection: RabbitConnectionOptions = RabbitConnectionOptions(),
                deadLetter: DeadLetterOptions = DeadLetterOptions()) {
        self.transportURL = transportURL
        self.notificationTransportURL = notificationTransportURL
        self.rpcResponseTimeout = rpcResponseTimeout
        self.rabbit = rabbit
        self.connection = connection
        self.deadLetter = deadLetter
    }

    static let rabbitGroup = "oslo_messaging_rabbit"
    static let workerGroup = "capi_worker"

    /// The options, to register with the program's `OptionRegistry`. Help texts say what each
    /// option does here (in oslo's meaning); options accepted for compatibility but without
    /// effect say so. `control_exchange`, `rpc_ping_enabled` and the notification driver and
    /// topics belong to the conductor's options.
    public static let optionSpecs: [OptionSpec] = {
        let g = rabbitGroup
        let noEffect = " Accepted for compatibility with oslo.messaging; it has no effect in magnum-capi-worker"
        return [
            OptionSpec("DEFAULT", "transport_url", .string, default: "rabbit://", secret: true,
                       help: "Address and credentials of the message broker, as a URL: "
                           + "rabbit://[user:password@]host:port[,[user:password@]host:port...]/virtual_host[?ssl=1]. "
                           + "Several hosts are tried in turn when one fails; percent-encode special characters in "
                           + "passwords. Only the rabbit driver is supported."),
            OptionSpec("DEFAULT", "rpc_response_timeout", .integer, default: "60",
                       help: "Seconds a call waits for its response before failing with a timeout."),
            OptionSpec("oslo_messaging_notifications", "transport_url", .string, secret: true,
                       help: "Broker for notifications, in the format of [DEFAULT] transport_url; unset means the "
                           + "RPC broker."),
            OptionSpec("oslo_messaging_notifications", "retry", .integer, default: "-1",
                       help: "How many times a notification is retried when it cannot be sent (-1: until the broker "
                           + "is back, 0: never)."),
            OptionSpec(g, "amqp_durable_queues", .boolean, default: "false",
                       help: "Declare RPC and notification queues and the control exchange durable (survive a broker "
                           + "restart). Implied by rabbit_quorum_queue. Must match the other services on the broker."),
            OptionSpec(g, "amqp_auto_delete", .boolean, default: "false",
                       help: "Declare RPC and notification queues auto-delete (removed when their last consumer "
                           + "goes). Must match the other services on the broker."),
            OptionSpec(g, "rpc_conn_pool_size", .integer(min: 1, max: nil), default: "30",
                       help: "Size of the sending connection pool." + noEffect + " (one connection sends, one listens)."),
            OptionSpec(g, "conn_pool_min_size", .integer, default: "2",
                       help: "Smallest size of the connection pool when idle connections expire." + noEffect + "."),
            OptionSpec(g, "conn_pool_ttl", .integer, default: "1200",
                       help: "Seconds an idle pooled connection is kept." + noEffect + "."),
            OptionSpec(g, "ssl", .boolean, default: "false",
                       help: "Connect to the broker over TLS (the default port becomes 5671)."),
            OptionSpec(g, "ssl_version", .string, default: "",
                       help: "TLS protocol version to use." + noEffect + ": TLS 1.2 or newer is always negotiated."),
            OptionSpec(g, "ssl_key_file", .string, default: "",
                       help: "Private key (PEM) of the client certificate, when the broker requires one (with ssl)."),
            OptionSpec(g, "ssl_cert_file", .string, default: "",
                       help: "Client certificate (PEM), when the broker requires one (with ssl)."),
            OptionSpec(g, "ssl_ca_file", .string, default: "",
                       help: "CA certificates (PEM) that sign the broker's certificate. When set, the broker's "
                           + "certificate and host name are verified; without it the connection is encrypted but the "
                           + "broker is not authenticated."),
            OptionSpec(g, "ssl_enforce_hostname_verification", .boolean, default: "true",
                       help: "With ssl_ca_file, also check that the broker's certificate names the host connected to "
                           + "(deprecated in oslo.messaging, where it is always on)."),
            OptionSpec(g, "ssl_enforce_fips_mode", .boolean, default: "false",
                       help: "Enforce OpenSSL's FIPS mode." + noEffect + " (deprecated in oslo.messaging)."),
            OptionSpec(g, "kombu_reconnect_delay", .float(min: 0, max: 4.5), default: "1.0",
                       help: "Seconds to wait before consuming again after the broker cancelled a consumer (its "
                           + "queue was deleted, or a cluster node failed over)."),
            OptionSpec(g, "kombu_reconnect_splay", .float(min: 0, max: nil), default: "0.0",
                       help: "Up to this many more seconds, chosen at random, added to kombu_reconnect_delay so that "
                           + "many workers do not come back at the same instant."),
            OptionSpec(g, "kombu_compression", .string,
                       help: "Compression of message bodies (gzip, bz2)." + noEffect + ": magnum services do not set it."),
            OptionSpec(g, "kombu_missing_consumer_retry_timeout", .integer, default: "60",
                       deprecatedNames: [OptionName(g, "kombu_reconnect_timeout")],
                       help: "Seconds oslo.messaging keeps retrying a reply whose reply queue is missing. "
                           + "magnum-capi-worker logs and drops such a reply at once (the caller has gone)."),
            OptionSpec(g, "kombu_failover_strategy", .string(choices: ["round-robin", "shuffle"]), default: "round-robin",
                       help: "How the next broker node is chosen when the current one fails, with several hosts in "
                           + "transport_url. As in oslo.messaging the host list is shuffled first, so either way "
                           + "workers start on different nodes and then try the others in turn."),
            OptionSpec(g, "rabbit_login_method", .string(choices: ["PLAIN", "AMQPLAIN", "EXTERNAL", "RABBIT-CR-DEMO"]),
                       default: "AMQPLAIN",
                       help: "How to log in: AMQPLAIN or PLAIN (user and password from transport_url) or EXTERNAL "
                           + "(the TLS client certificate; needs RabbitMQ's rabbitmq_auth_mechanism_ssl). "
                           + "RABBIT-CR-DEMO is not supported."),
            OptionSpec(g, "rabbit_retry_interval", .integer(min: 1, max: nil), default: "1",
                       help: "Seconds to wait before the first reconnect round after all broker nodes failed."),
            OptionSpec(g, "rabbit_retry_backoff", .integer(min: 0, max: nil), default: "2",
                       help: "Seconds added to the wait after each further failed reconnect round (growing)."),
            OptionSpec(g, "rabbit_interval_max", .integer(min: 1, max: nil), default: "30",
                       help: "Longest wait, in seconds, between two reconnect rounds."),
            OptionSpec(g, "rabbit_ha_queues", .boolean, default: "false",
                       help: "Declare queues with x-ha-policy: all (classic mirrored queues of RabbitMQ before 3.0; "
                           + "use a policy on newer brokers). Cannot be combined with rabbit_quorum_queue."),
            OptionSpec(g, "rabbit_quorum_queue", .boolean, default: "false",
                       help: "Declare RPC and notification queues as quorum queues (replicated, durable; the control "
                           + "exchange becomes durable too). Must match the other services on the broker."),
            OptionSpec(g, "rabbit_transient_quorum_queue", .boolean, default: "false",
                       help: "Declare reply and fanout queues as quorum queues too."),
            OptionSpec(g, "rabbit_quorum_delivery_limit", .integer, default: "0",
                       help: "x-delivery-limit of quorum queues: after this many redeliveries the broker drops or "
                           + "dead-letters a message (0: no limit)."),
            OptionSpec(g, "rabbit_quorum_max_memory_length", .integer, default: "0",
                       help: "x-max-in-memory-length of quorum queues: messages kept in memory (0: no limit)."),
            OptionSpec(g, "rabbit_quorum_max_memory_bytes", .integer, default: "0",
                       help: "x-max-in-memory-bytes of quorum queues: bytes kept in memory (0: no limit)."),
            OptionSpec(g, "rabbit_transient_queues_ttl", .integer(min: 0, max: nil), default: "1800",
                       help: "Seconds an unused reply or fanout queue lives (x-expires); 0 keeps them forever (then "
                           + "remove them with a broker policy). With rabbit_stream_fanout, the age of the oldest "
                           + "message kept in the fanout stream (x-max-age)."),
            OptionSpec(g, "rabbit_qos_prefetch_count", .integer, default: "0",
                       help: "Messages the broker may send a consumer before it acknowledges them (basic.qos); 0 means "
                           + "no limit."),
            OptionSpec(g, "heartbeat_timeout_threshold", .integer, default: "60",
                       help: "Seconds without traffic after which the broker connection is considered dead and is "
                           + "re-established (the AMQP heartbeat interval); 0 disables heartbeats."),
            OptionSpec(g, "heartbeat_rate", .integer, default: "3",
                       help: "How often per heartbeat_timeout_threshold heartbeats are checked." + noEffect
                           + ": the connection thread checks four times per interval."),
            OptionSpec(g, "direct_mandatory_flag", .boolean, default: "true",
                       help: "Publish replies mandatory so that a missing reply queue is noticed (deprecated in "
                           + "oslo.messaging, always on)."),
            OptionSpec(g, "enable_cancel_on_failover", .boolean, default: "false",
                       help: "Ask the broker to cancel consumers when their (mirrored) queue fails over "
                           + "(x-cancel-on-ha-failover); the consumer is started again."),
            OptionSpec(g, "use_queue_manager", .boolean, default: "false",
                       help: "Name reply and fanout queues <hostname>:<processname>:<n> instead of random names."),
            OptionSpec(g, "hostname", .string,
                       help: "Host name used in queue-manager queue names (default: this machine's host name)."),
            OptionSpec(g, "processname", .string,
                       help: "Process name used in queue-manager queue names (default: the program's name)."),
            OptionSpec(g, "rabbit_stream_fanout", .boolean, default: "false",
                       help: "Use one stream queue <topic>_fanout per topic instead of a fanout queue per server "
                           + "(needs rabbit_transient_quorum_queue and rabbit_qos_prefetch_count > 0)."),
            OptionSpec(workerGroup, "dead_letter_strategy", .string(choices: ["republish", "broker"]), default: "republish",
                       help: "What happens to a message the worker cannot process (undecodable, or a cast that failed "
                           + "for good). republish: unless its queue declares an x-dead-letter-exchange, it is "
                           + "republished to dead_letter_exchange with the reason in x-mcw-* headers and only then "
                           + "acknowledged. broker: it is rejected and RabbitMQ dead-letters it; a dead-letter policy "
                           + "must cover the queues, or RabbitMQ drops the message."),
            OptionSpec(workerGroup, "dead_letter_exchange", .string, default: DeadLetterOptions.defaultName,
                       help: "Exchange (topic, durable) that poison messages are republished to, with their queue's "
                           + "name as routing key."),
            OptionSpec(workerGroup, "dead_letter_queue", .string, default: DeadLetterOptions.defaultName,
                       help: "Queue (durable; quorum with rabbit_quorum_queue) bound to dead_letter_exchange with '#', "
                           + "where poison messages are kept for an operator."),
        ]
    }()

    /// Registers every option above.
    public static func register(in registry: inout OptionRegistry) {
        for spec in optionSpecs { registry.register(spec) }
    }

    /// Reads the options from magnum.conf, with oslo's checks (ranges, choices, the combinations
    /// `impl_rabbit.py` refuses).
    public init(configuration c: Configuration) throws {
        self.init()
        let g = Self.rabbitGroup
        func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
        if let v = try nonEmpty(c.string("DEFAULT", "transport_url")) { transportURL = v }
        notificationTransportURL = try nonEmpty(c.string("oslo_messaging_notifications", "transport_url"))
        if let v = try c.int("DEFAULT", "rpc_response_timeout") { rpcResponseTimeout = v }

        if let v = try c.bool(g, "amqp_durable_queues") { rabbit.amqpDurableQueues = v }
        if let v = try c.bool(g, "amqp_auto_delete") { rabbit.amqpAutoDelete = v }
        if let v = try c.bool(g, "rabbit_ha_queues") { rabbit.rabbitHAQueues = v }
        if let v = try c.bool(g, "rabbit_quorum_queue") { rabbit.rabbitQuorumQueue = v }
        if let v = try c.bool(g, "rabbit_transient_quorum_queue") { rabbit.rabbitTransientQuorumQueue = v }
        if let v = try c.int(g, "rabbit_quorum_delivery_limit") { rabbit.rabbitQuorumDeliveryLimit = v }
        if let v = try c.int(g, "rabbit_quorum_max_memory_length") { rabbit.rabbitQuorumMaxMemoryLength = v }
        if let v = try c.int(g, "rabbit_quorum_max_memory_bytes") { rabbit.rabbitQuorumMaxMemoryBytes = v }
        if let v = try c.int(g, "rabbit_transient_queues_ttl") { rabbit.rabbitTransientQueuesTTL = v }
        if let v = try c.int(g, "rabbit_qos_prefetch_count") { rabbit.rabbitQosPrefetchCount = v }
        if let v = try c.bool(g, "rabbit_stream_fanout") { rabbit.rabbitStreamFanout = v }
        if let v = try c.bool(g, "use_queue_manager") { rabbit.useQueueManager = v }
        rabbit.hostname = try nonEmpty(c.string(g, "hostname")) ?? ProcessInfo.processInfo.hostName
        rabbit.processname = try nonEmpty(c.string(g, "processname"))
            ?? (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent } ?? "magnum-capi-worker")
        if let v = try c.bool(g, "enable_cancel_on_failover") { rabbit.enableCancelOnFailover = v }
        if let v = try c.bool(g, "direct_mandatory_flag") { rabbit.directMandatoryFlag = v }
        do {
            try rabbit.validate()
        } catch {
            throw ConfigError(option: nil, location: nil, message: "[\(g)] \(error.description)")
        }

        if let v = try c.bool(g, "ssl") { connection.ssl = v }
        connection.sslCAFile = try nonEmpty(c.string(g, "ssl_ca_file"))
        connection.sslCertFile = try nonEmpty(c.string(g, "ssl_cert_file"))
        connection.sslKeyFile = try nonEmpty(c.string(g, "ssl_key_file"))
        connection.sslVersion = try nonEmpty(c.string(g, "ssl_version"))
        if let v = try c.bool(g, "ssl_enforce_hostname_verification") { connection.sslEnforceHostnameVerification = v }
        if let v = try c.int(g, "heartbeat_timeout_threshold") { connection.heartbeatTimeoutThreshold = v }
        if let v = try c.int(g, "heartbeat_rate") { connection.heartbeatRate = v }
        if let v = try c.int(g, "rabbit_retry_interval") { connection.rabbitRetryInterval = v }
        if let v = try c.int(g, "rabbit_retry_backoff") { connection.rabbitRetryBackoff = v }
        if let v = try c.int(g, "rabbit_interval_max") { connection.rabbitIntervalMax = v }
        if let v = try c.string(g, "kombu_failover_strategy") { connection.kombuFailoverStrategy = v }
        if let v = try c.double(g, "kombu_reconnect_delay") { connection.kombuReconnectDelay = v }
        if let v = try c.double(g, "kombu_reconnect_splay") { connection.kombuReconnectSplay = v }
        if let v = try c.string(g, "rabbit_login_method") { connection.rabbitLoginMethod = v }

        if let v = try c.string(Self.workerGroup, "dead_letter_strategy") {
            deadLetter.strategy = DeadLetterOptions.Strategy(rawValue: v) ?? .republish
        }
        if let v = try nonEmpty(c.string(Self.workerGroup, "dead_letter_exchange")) { deadLetter.exchange = v }
        if let v = try nonEmpty(c.string(Self.workerGroup, "dead_letter_queue")) { deadLetter.queue = v }
        deadLetter.quorum = rabbit.rabbitQuorumQueue
    }

    /// The parsed `transport_url` (errors name the wrong part, never quote a password).
    public func parsedTransportURL() throws -> TransportURL { try TransportURL(parsing: transportURL) }

    /// The AMQP client configuration for the RPC broker.
    public func amqpConfiguration() throws -> AMQPConfiguration {
        try connection.amqpConfiguration(transportURL: parsedTransportURL())
    }

    /// The transport options that follow from these settings.
    public var transportOptions: AMQPTransportOptions {
        var options = AMQPTransportOptions(deadLetter: deadLetter)
        let splay = connection.kombuReconnectSplay > 0 ? Double.random(in: 0...connection.kombuReconnectSplay) : 0
        options.consumerRecoveryDelay = .milliseconds(Int64(((connection.kombuReconnectDelay + splay) * 1000).rounded()))
        options.reconnectWaitLimit = .seconds(max(rpcResponseTimeout, 1))
        return options
    }

    /// Connects an `AMQPTransport` to the RPC broker.
    public func connectTransport(connectionName: String = "magnum-capi-worker", logger: Logger) async throws -> AMQPTransport {
        var options = transportOptions
        options.connectionName = connectionName
        return try await AMQPTransport.connect(configuration: amqpConfiguration(), options: options, logger: logger)
    }
}
