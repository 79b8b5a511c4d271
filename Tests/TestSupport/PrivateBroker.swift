import Foundation

extension TestEnvironment {
    /// Starts a RabbitMQ node of the test's own (`tools/broker start`), for fault tests that
    /// stop or restart the broker and must not disturb tests running in parallel on the shared
    /// one. Call `destroy()` when done.
    public static func startPrivateBroker(tls: Bool = false) async throws -> Broker {
        let base = ProcessInfo.processInfo.environment["MCW_RUN_DIR"] ?? NSTemporaryDirectory()
        let directory = URL(fileURLWithPath: base)
            .appendingPathComponent("private-broker-\(UUID().uuidString.prefix(8))").path
        try await runTool("broker", ["start", directory] + (tls ? ["--tls"] : []))
        let text = try String(contentsOfFile: directory + "/broker.env", encoding: .utf8)
        let env = parseShellAssignments(text)
        guard let node = env["BROKER_NODE"], let port = env["BROKER_PORT"].flatMap(Int.init), let url = env["BROKER_URL"]
        else { throw MissingService(name: "private RabbitMQ in \(directory)") }
        return Broker(
            directory: directory, node: node, port: port, tlsPort: env["BROKER_TLS_PORT"].flatMap(Int.init),
            tlsDirectory: env["BROKER_TLS_DIR"].flatMap { $0.isEmpty ? nil : $0 }, url: url)
    }
}

extension TestEnvironment.Broker {
    /// Stops the node and forgets it (`tools/broker destroy`), removing its directory. Usable
    /// from `defer`: it runs on a thread of its own and is not waited for (`tools/test` destroys
    /// any private broker still running when the suite ends).
    public func destroy() {
        let directory = self.directory
        Thread.detachNewThread {
            _ = try? TestEnvironment.runToolBlocking("broker", ["destroy", directory])
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

extension TestEnvironment {
    /// A RabbitMQ cluster of the test's own (`tools/broker cluster-start`): `nodes` nodes on
    /// loopback, each with its own AMQP and distribution port, node name and data, joined with
    /// `rabbitmqctl join_cluster`. Call `destroy()` when done.
    public static func startPrivateBrokerCluster(nodes: Int = 3) async throws -> BrokerCluster {
        let base = ProcessInfo.processInfo.environment["MCW_RUN_DIR"] ?? NSTemporaryDirectory()
        // Named like a private broker, so tools/test's clean-up destroys it if a test cannot.
        let directory = URL(fileURLWithPath: base)
            .appendingPathComponent("private-broker-cluster-\(UUID().uuidString.prefix(8))").path
        do {
            try await runTool("broker", ["cluster-start", directory, String(nodes)])
        } catch {
            _ = try? await runTool("broker", ["destroy", directory])
            throw error
        }
        let text = try String(contentsOfFile: directory + "/broker.env", encoding: .utf8)
        let env = parseShellAssignments(text)
        let names = (env["BROKER_NODES"] ?? "").split(separator: " ").map(String.init)
        let ports = (env["BROKER_PORTS"] ?? "").split(separator: " ").compactMap { Int($0) }
        guard let url = env["BROKER_URL"], names.count == nodes, ports.count == nodes
        else { throw MissingService(name: "private RabbitMQ cluster in \(directory)") }
        return BrokerCluster(directory: directory, nodes: names, ports: ports, url: url)
    }

    /// A RabbitMQ cluster started by `tools/broker cluster-start`. Nodes are numbered from 1,
    /// as in its directory (`node1`...).
    public struct BrokerCluster: Sendable {
        public let directory: String
        /// Erlang node names, node 1 first.
        public let nodes: [String]
        /// AMQP ports, node 1 first.
        public let ports: [Int]
        /// oslo's multi-host `transport_url` listing every node.
        public let url: String

        /// The node (1-based) listening on `127.0.0.1:port` (an `AMQPTransport.endpoint`).
        public func node(atEndpoint endpoint: String) -> Int? {
            guard let port = endpoint.split(separator: ":").last.flatMap({ Int($0) }),
                  let index = ports.firstIndex(of: port) else { return nil }
            return index + 1
        }

        /// `kill -9` of one node's server; returns once its AMQP port is closed.
        public func kill(node: Int) async throws {
            try await TestEnvironment.runTool("broker", ["kill", directory, String(node)])
        }

        /// Starts one node again on its ports and data (after `kill` or `stop`); returns once it
        /// serves (it rejoins the cluster by itself).
        public func restart(node: Int) async throws {
            try await TestEnvironment.runTool("broker", ["restart", directory, String(node)])
        }

        /// `rabbitmqctl` against one node; returns its standard output.
        @discardableResult
        public func rabbitmqctl(node: Int, _ arguments: String...) async throws -> String {
            try await TestEnvironment.runTool("broker", ["ctl", "\(directory)/node\(node)"] + arguments)
        }

        /// Stops every node and removes the directory, and waits for it.
        public func destroyAndWait() async {
            _ = try? await TestEnvironment.runTool("broker", ["destroy", directory])
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// Stops every node and removes the directory, on a thread of its own (usable from
        /// `defer`; not waited for).
        public func destroy() {
            let directory = self.directory
            Thread.detachNewThread {
                _ = try? TestEnvironment.runToolBlocking("broker", ["destroy", directory])
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }
}

extension TestEnvironment.Broker {
    /// Messages in each queue of the node (ready and unacknowledged), from `rabbitmqctl
    /// list_queues`.
    public func queueMessages() async throws -> [String: Int] {
        let output = try await rabbitmqctl("list_queues", "-q", "name", "messages")
        var counts: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count == 2, let count = Int(fields[1]) { counts[String(fields[0])] = count }
        }
        return counts
    }
}
