import Foundation
import JSON
import OsloMessaging
import Testing

@Suite struct OsloTopologyTests {
    /// One `rabbitmqctl list_*` listing from the topology fixtures.
    struct Listing {
        var exchanges: [[String]] = []
        var queues: [[String]] = []
        var bindings: [[String]] = []

        init(_ text: String) {
            var section = ""
            var header = true
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.hasPrefix("# rabbitmqctl list_") {
                    section = line.contains("list_exchanges") ? "e" : line.contains("list_queues") ? "q" : "b"
                    header = true
                    continue
                }
                if line.hasPrefix("#") || line.isEmpty { continue }
                if header { header = false; continue }  // column names
                let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                switch section {
                case "e": exchanges.append(cols)
                case "q": queues.append(cols)
                default: bindings.append(cols)
                }
            }
        }
    }

    /// `[{"x-queue-type","quorum"},{"x-expires",1800000}]` → arguments.
    static func arguments(_ text: String) -> JSONObject {
        var out = JSONObject()
        let regex = /\{"([^"]+)",("?)([^,}"]*)"?\}/
        for match in text.matches(of: regex) {
            let key = String(match.1), raw = String(match.3)
            out[key] = match.2.isEmpty ? (Int64(raw).map(JSONValue.int) ?? .string(raw)) : .string(raw)
        }
        return out
    }

    static func row(_ q: QueueDeclaration) -> String {
        "\(q.name) durable=\(q.durable) auto_delete=\(q.autoDelete) args=\(JSONValue.object(q.arguments).jsonString(.canonical))"
    }

    static func row(_ e: ExchangeDeclaration) -> String {
        "\(e.name) \(e.type.rawValue) durable=\(e.durable) auto_delete=\(e.autoDelete)"
    }

    /// Our declarations for everything the listing shows, named as it names them.
    static func ours(_ listing: Listing, options: RabbitOptions) throws -> OsloTopology.Declarations {
        let topology = OsloTopology(options: options)
        let names = listing.queues.map { $0[0] }
        let server = try #require(names.first { $0.hasPrefix("magnum-conductor.") }).dropFirst("magnum-conductor.".count)
        let fanout = try #require(names.first { $0.hasPrefix("magnum-conductor_fanout_") })
        var all = topology.rpcServer(exchange: "magnum", topic: "magnum-conductor", server: String(server), fanoutQueue: fanout)
        for name in names where name.hasPrefix("reply_") { all.queues.append(topology.replyQueue(name: name)) }
        for name in names where name.hasPrefix("notifications.") {
            all.append(topology.notificationQueue(exchange: "magnum", routingKey: name))
        }
        return all
    }

    func compare(fixture: String, options: RabbitOptions) throws {
        let listing = Listing(try WireFixtures.text(fixture))
        let ours = try Self.ours(listing, options: options)
        let theirExchanges = Set(listing.exchanges.map { "\($0[0]) \($0[1]) durable=\($0[2]) auto_delete=\($0[3])" })
        #expect(Set(ours.exchanges.map(Self.row)) == theirExchanges)
        let theirQueues = Set(listing.queues.map { cols in
            "\(cols[0]) durable=\(cols[1]) auto_delete=\(cols[2]) args=\(JSONValue.object(Self.arguments(cols.last ?? "")).jsonString(.canonical))"
        })
        #expect(Set(ours.queues.map(Self.row)) == theirQueues)
        #expect(listing.queues.count == ours.queues.count)
        if !listing.bindings.isEmpty {
            // Explicit bindings; the default exchange binds every queue implicitly.
            let theirs = Set(listing.bindings.filter { !$0[0].isEmpty }.map { "\($0[0]) → \($0[2]) key=\($0[4])" })
            #expect(Set(ours.bindings.map { "\($0.exchange) → \($0.queue) key=\($0.routingKey)" }) == theirs)
            let implicit = Set(listing.bindings.filter { $0[0].isEmpty }.map { $0[2] })
            #expect(implicit == Set(ours.queues.map(\.name)))
        }
    }

    @Test func matchesWhatOsloDeclaredWithDefaults() throws {
        try compare(fixture: "topology.txt", options: RabbitOptions())
    }

    @Test func matchesWhatOsloDeclaredWithQuorumQueues() throws {
        var options = RabbitOptions()
        options.rabbitQuorumQueue = true
        options.rabbitTransientQuorumQueue = true
        try compare(fixture: "topology-quorum.txt", options: options)
    }

    @Test func durableQueuesAndAutoDelete() {
        var options = RabbitOptions()
        options.amqpDurableQueues = true
        options.amqpAutoDelete = true
        let t = OsloTopology(options: options)
        let server = t.rpcServer(exchange: "magnum", topic: "c", server: "h", fanoutQueue: "c_fanout_x")
        #expect(server.exchanges.map(Self.row) == ["magnum topic durable=true auto_delete=true", "c_fanout fanout durable=false auto_delete=true"])
        #expect(server.queues.map(Self.row) == [
            #"c durable=true auto_delete=true args={}"#, #"c.h durable=true auto_delete=true args={}"#,
            #"c_fanout_x durable=false auto_delete=false args={"x-expires":1800000}"#,
        ])
        #expect(Self.row(t.replyQueue(name: "reply_1")) == #"reply_1 durable=false auto_delete=false args={"x-expires":1800000}"#)
    }

    @Test func quorumLimitsHAAndTTL() {
        var options = RabbitOptions()
        options.rabbitQuorumQueue = true
        options.rabbitQuorumDeliveryLimit = 5
        options.rabbitQuorumMaxMemoryLength = 100
        options.rabbitQuorumMaxMemoryBytes = 4096
        options.rabbitTransientQueuesTTL = 0
        let t = OsloTopology(options: options)
        let topic = t.topicConsumer(exchange: "magnum", routingKey: "c").queues[0]
        #expect(Array(topic.arguments.keys) == ["x-queue-type", "x-delivery-limit", "x-max-in-memory-length", "x-max-in-memory-bytes"])
        #expect(topic.durable)
        // Transient queues stay classic unless rabbit_transient_quorum_queue; TTL 0 means no x-expires.
        #expect(t.replyQueue(name: "r").arguments == [:])
        #expect(!t.replyQueue(name: "r").durable)

        var ha = RabbitOptions()
        ha.rabbitHAQueues = true
        let h = OsloTopology(options: ha)
        #expect(h.replyQueue(name: "r").arguments == ["x-ha-policy": "all", "x-expires": 1_800_000])
        #expect(h.topicConsumer(exchange: "e", routingKey: "c").queues[0].arguments == ["x-ha-policy": "all"])
    }

    @Test func streamFanout() throws {
        var options = RabbitOptions()
        options.rabbitStreamFanout = true
        options.rabbitTransientQuorumQueue = true
        options.rabbitQosPrefetchCount = 10
        try options.validate()
        let t = OsloTopology(options: options)
        #expect(t.fanoutQueueName(topic: "c") == "c_fanout")
        let fanout = t.fanoutConsumer(topic: "c", queueName: "c_fanout")
        #expect(fanout.queues[0].arguments == ["x-queue-type": "stream", "x-max-age": "1800s"])
        #expect(fanout.queues[0].durable && fanout.exchanges[0].durable)
        #expect(t.consumerArguments(streamFanout: true) == ["x-stream-offset": "last"])
    }

    @Test func namesAndQueueManager() {
        let t = OsloTopology()
        #expect(t.replyQueueName().wholeMatch(of: /reply_[0-9a-f]{32}/) != nil)
        #expect(t.fanoutQueueName(topic: "magnum-conductor").wholeMatch(of: /magnum-conductor_fanout_[0-9a-f]{32}/) != nil)
        var options = RabbitOptions()
        options.useQueueManager = true
        options.hostname = "node1"
        options.processname = "worker"
        let m = OsloTopology(options: options)
        #expect(m.replyQueueName() == "reply_node1:worker:1")
        #expect(m.fanoutQueueName(topic: "t") == "t_fanout_node1:worker:2")
    }

    @Test func rejectsWhatOsloRejects() {
        var options = RabbitOptions()
        options.rabbitQuorumQueue = true
        options.rabbitHAQueues = true
        #expect(throws: RabbitOptions.ConfigurationError.self) { try options.validate() }
        var stream = RabbitOptions()
        stream.rabbitStreamFanout = true
        #expect(throws: RabbitOptions.ConfigurationError.self) { try stream.validate() }
    }

    @Test func declaringTwiceIsIdempotentAndMixedConfigurationsClash() async throws {
        let broker = InMemoryBroker()
        let t = await broker.connect()
        let classic = OsloTopology().rpcServer(exchange: "magnum", topic: "c", server: "a", fanoutQueue: "c_fanout_1")
        try await classic.apply(to: t)
        try await classic.apply(to: t)
        var quorumOptions = RabbitOptions()
        quorumOptions.rabbitQuorumQueue = true
        let quorum = OsloTopology(options: quorumOptions).rpcServer(exchange: "magnum", topic: "c", server: "b", fanoutQueue: "c_fanout_2")
        let error = await #expect(throws: TransportError.self) { try await quorum.apply(to: t) }
        #expect(error?.kind == .preconditionFailed)
    }
}
