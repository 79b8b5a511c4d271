import AMQP
import Foundation
import JSON
import OsloConfig
import OsloMessaging
import Testing
import TestSupport

/// magnum.conf's `[DEFAULT] transport_url`, `[oslo_messaging_rabbit]` and `[capi_worker]
/// dead_letter_*` → `MessagingSettings` → the AMQP client configuration.
@Suite struct MessagingSettingsTests {
    static func settings(_ text: String) throws -> MessagingSettings {
        var registry = OptionRegistry()
        MessagingSettings.register(in: &registry)
        let file = try ConfigFile(path: "magnum.conf", contents: text)
        return try MessagingSettings(configuration: Configuration(registry: registry, files: [file]))
    }

    @Test func defaultsAreOslos() throws {
        let s = try Self.settings("")
        #expect(s.transportURL == "rabbit://")
        #expect(s.rpcResponseTimeout == 60)
        #expect(s.rabbit == { var r = RabbitOptions(); r.hostname = s.rabbit.hostname; r.processname = s.rabbit.processname; return r }())
        let c = try s.amqpConfiguration()
        #expect(c.endpoints == [Endpoint(host: "localhost", port: 5672, username: "guest", password: "guest")])
        #expect(c.virtualHost == "/")
        #expect(c.tls == nil)
        #expect(c.heartbeat == .seconds(60))
        #expect(c.reconnect == ReconnectBackoff(initialDelay: .seconds(1), step: .seconds(2), maximumDelay: .seconds(30)))
        #expect(c.authentication == .plain)
        #expect(c.endpointOrder == .asListed)
        #expect(s.deadLetter == DeadLetterOptions())
        #expect(s.transportOptions.consumerRecoveryDelay == .seconds(1))
    }

    @Test func everyOptionMapsToTheClientConfiguration() throws {
        let s = try Self.settings("""
            [DEFAULT]
            transport_url = rabbit://magnum:s%40cret@rabbit1:5671,magnum:s%40cret@rabbit2:5671/magnum
            rpc_response_timeout = 120
            [oslo_messaging_rabbit]
            ssl = true
            ssl_ca_file = /etc/rabbit/ca.pem
            ssl_cert_file = /etc/rabbit/client.pem
            ssl_key_file = /etc/rabbit/client.key
            heartbeat_timeout_threshold = 20
            heartbeat_rate = 4
            rabbit_retry_interval = 2
            rabbit_retry_backoff = 3
            rabbit_interval_max = 60
            kombu_failover_strategy = shuffle
            kombu_reconnect_delay = 2.5
            rabbit_login_method = EXTERNAL
            rabbit_qos_prefetch_count = 64
            rabbit_quorum_queue = true
            rabbit_transient_quorum_queue = true
            rabbit_quorum_delivery_limit = 5
            rabbit_transient_queues_ttl = 600
            amqp_durable_queues = true
            [capi_worker]
            dead_letter_exchange = ops.dlx
            dead_letter_queue = ops.dlq
            """)
        let c = try s.amqpConfiguration()
        #expect(c.endpoints.map(\.address).sorted() == ["rabbit1:5671", "rabbit2:5671"])
        #expect(c.endpoints.allSatisfy { $0.username == "magnum" && $0.password == Password("s@cret") })
        #expect(c.virtualHost == "magnum")
        #expect(c.endpointOrder == .shuffled)
        #expect(c.tls == TLSConfiguration(caCertificateFile: "/etc/rabbit/ca.pem", certificateFile: "/etc/rabbit/client.pem",
                                          keyFile: "/etc/rabbit/client.key"))
        #expect(c.tls?.verifyPeer == true && c.tls?.verifyHostname == true)
        #expect(c.heartbeat == .seconds(20))
        #expect(c.reconnect == ReconnectBackoff(initialDelay: .seconds(2), step: .seconds(3), maximumDelay: .seconds(60)))
        #expect(c.authentication == .external)
        #expect(s.rabbit.rabbitQosPrefetchCount == 64)
        #expect(s.rabbit.rabbitQuorumQueue && s.rabbit.rabbitTransientQuorumQueue && s.rabbit.amqpDurableQueues)
        #expect(s.rabbit.rabbitQuorumDeliveryLimit == 5)
        #expect(s.rabbit.rabbitTransientQueuesTTL == 600)
        #expect(s.deadLetter == DeadLetterOptions(exchange: "ops.dlx", queue: "ops.dlq", quorum: true))
        #expect(s.transportOptions.consumerRecoveryDelay == .milliseconds(2500))
        #expect(s.transportOptions.reconnectWaitLimit == .seconds(120))
        // The password never shows.
        let urlText = String(describing: try s.parsedTransportURL())
        #expect(!"\(c)".contains("s@cret") && !urlText.contains("s@cret"))
    }

    @Test func whatOsloRefusesIsRefused() throws {
        #expect(throws: (any Error).self) { try Self.settings("[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\nrabbit_ha_queues = true\n") }
        #expect(throws: (any Error).self) { try Self.settings("[oslo_messaging_rabbit]\nkombu_failover_strategy = random\n") }
        #expect(throws: (any Error).self) { try Self.settings("[oslo_messaging_rabbit]\nrabbit_retry_interval = 0\n") }
        #expect(throws: (any Error).self) { try Self.settings("[oslo_messaging_rabbit]\nrabbit_stream_fanout = true\n") }
        let demo = try Self.settings("[oslo_messaging_rabbit]\nrabbit_login_method = RABBIT-CR-DEMO\n")
        #expect(throws: ConfigError.self) { try demo.amqpConfiguration() }
        let kafka = try Self.settings("[DEFAULT]\ntransport_url = kafka://k1:9092/\n")
        #expect(throws: (any Error).self) { try kafka.amqpConfiguration() }
    }

    @Test func sslWithoutACAFileEncryptsWithoutVerifying() throws {
        let c = try Self.settings("[DEFAULT]\ntransport_url = rabbit://u:p@h/\n[oslo_messaging_rabbit]\nssl = true\n").amqpConfiguration()
        #expect(c.tls?.verifyPeer == false && c.tls?.verifyHostname == false)
        #expect(c.endpoints.first?.port == 5671)
        let viaURL = try Self.settings("[DEFAULT]\ntransport_url = rabbit://u:p@h/?ssl=1\n").amqpConfiguration()
        #expect(viaURL.tls != nil)
        let noHostname = try Self.settings("""
            [oslo_messaging_rabbit]
            ssl = true
            ssl_ca_file = /ca.pem
            ssl_enforce_hostname_verification = false
            """).amqpConfiguration()
        #expect(noHostname.tls?.verifyPeer == true && noHostname.tls?.verifyHostname == false)
    }

    /// Our option definitions against oslo.messaging 18.3.1's own: every option oslo defines in
    /// these groups is declared here, with its default, type, choices, bounds and secrecy.
    @Test(.enabled(if: interopEnabled, "needs the Python venv (tools/test)"))
    func optionSpecsMatchOslos() async throws {
        let oslo = try #require(try await OsloBusPeer.shared.request(["op": "option_specs"])["options"]?.objectValue)
        let ours = Dictionary(uniqueKeysWithValues: MessagingSettings.optionSpecs.map { ("\($0.name.group).\($0.name.name)", $0) })
        let notOurs: Set<String> = ["DEFAULT.control_exchange", "oslo_messaging_notifications.driver",
                                    "oslo_messaging_notifications.topics"]
        for (key, value) in oslo where !notOurs.contains(key) {
            guard let spec = ours[key], let theirs = value.objectValue else {
                Issue.record("\(key) is not declared")
                continue
            }
            let kind = theirs["kind"]?.stringValue ?? ""
            switch (kind, spec.type) {
            case ("StrOpt", .string), ("IntOpt", .integer), ("BoolOpt", .boolean), ("FloatOpt", .float): break
            default: Issue.record("\(key): oslo \(kind), ours \(spec.type)")
            }
            if case .string(let choices?) = spec.type {
                #expect(theirs["choices"] == .array(choices.map { .string($0) }), "\(key)")
            }
            if case .integer(let min, let max) = spec.type {
                #expect(theirs["min"]?.intValue == min && theirs["max"]?.intValue == max, "\(key)")
            }
            if case .float(let min, let max) = spec.type {
                #expect(theirs["min"]?.doubleValue == min && theirs["max"]?.doubleValue == max, "\(key)")
            }
            #expect(theirs["secret"] == .bool(spec.secret), "\(key)")
            #expect(theirs["deprecated"] == .array(spec.deprecatedNames.map { [.string($0.group), .string($0.name)] }), "\(key)")
            guard key != "oslo_messaging_rabbit.hostname", key != "oslo_messaging_rabbit.processname" else { continue }
            let expected: JSONValue
            switch spec.type {
            case .integer: expected = spec.defaultText.flatMap { Int($0) }.map { JSONValue($0) } ?? .null
            case .float: expected = spec.defaultText.flatMap { Double($0) }.map { .double($0) } ?? .null
            case .boolean: expected = spec.defaultText.map { .bool($0 == "true") } ?? .null
            default: expected = spec.defaultText.map { .string($0) } ?? .null
            }
            #expect(theirs["default"] == expected, "\(key): oslo \(theirs["default"] ?? .null), ours \(spec.defaultText ?? "nil")")
        }
    }

    /// The TLS listener of the test broker (which requires a client certificate), through
    /// magnum.conf's options only.
    @Test(.enabled(if: interopEnabled, "needs the broker (tools/test)"))
    func connectsOverTLSWithOslosSSLOptions() async throws {
        let broker = try TestEnvironment.requireBroker()
        let tlsPort = try #require(broker.tlsPort), dir = try #require(broker.tlsDirectory)
        let s = try Self.settings("""
            [DEFAULT]
            transport_url = rabbit://guest:guest@localhost:\(tlsPort)/
            [oslo_messaging_rabbit]
            ssl = true
            ssl_ca_file = \(dir)/ca.pem
            ssl_cert_file = \(dir)/client.pem
            ssl_key_file = \(dir)/client.key
            """)
        let transport = try await s.connectTransport(connectionName: "tls-test", logger: Interop.quietLogger())
        let queue = Interop.unique("tls")
        try await transport.declareQueue(QueueDeclaration(name: queue))
        #expect(try await transport.publish(OutgoingMessage(exchange: "", routingKey: queue, body: [1, 2, 3])) == .accepted)
        #expect(try await transport.queueStatus(queue).messages == 1)
        try await transport.deleteQueue(named: queue)
        await transport.close()
    }
}
