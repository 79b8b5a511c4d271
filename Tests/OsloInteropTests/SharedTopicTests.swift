import JSON
import OsloMessaging
import Testing
import TestSupport

/// A Swift and a Python RPC server on the same topic and vhost, with classic and quorum queues,
/// started in either order: the second one's declarations are equivalent to the first's (no
/// PRECONDITION_FAILED), and the topic's requests are shared between them.
@Suite(.enabled(if: interopEnabled, "needs the broker and the Python venv (tools/test)"), .serialized)
struct SharedTopicTests {
    static func rabbit(quorum: Bool) -> RabbitOptions {
        var rabbit = RabbitOptions()
        rabbit.rabbitQuorumQueue = quorum
        rabbit.rabbitTransientQuorumQueue = quorum
        return rabbit
    }

    @Test(arguments: [(false, true), (false, false), (true, true), (true, false)])
    func swiftAndPythonServersShareATopic(quorum: Bool, swiftFirst: Bool) async throws {
        let rabbit = Self.rabbit(quorum: quorum)
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        var swift: SwiftServer?
        var python: String?
        if swiftFirst {
            swift = try await SwiftServer.start(exchange: exchange, topic: topic, name: "swift-1", rabbit: rabbit)
            python = try await Interop.startPythonServer(exchange: exchange, topic: topic, server: "python-1", rabbit: rabbit)
        } else {
            python = try await Interop.startPythonServer(exchange: exchange, topic: topic, server: "python-1", rabbit: rabbit)
            swift = try await SwiftServer.start(exchange: exchange, topic: topic, name: "swift-1", rabbit: rabbit)
        }
        let swiftServer = try #require(swift), pythonServer = try #require(python)
        defer { Task { await swiftServer.stop(); try? await Interop.stopPython(pythonServer, exchange: exchange) } }

        // The queues are what was asked for (quorum or classic), whoever declared them first.
        let broker = try TestEnvironment.requireBroker()
        let listing = try await broker.rabbitmqctl("list_queues", "name", "type", "durable", "--no-table-headers", "--quiet")
        let mine = listing.split(separator: "\n").filter { $0.hasPrefix(topic) }.map { $0.split(separator: "\t").map(String.init) }
        #expect(mine.count == 5, "\(listing)")  // topic, two server queues, two fanout queues
        for row in mine {
            #expect(row.count == 3 && row[1] == (quorum ? "quorum" : "classic") && row[2] == (quorum ? "true" : "false"), "\(row)")
        }

        // Casts from Python (oslo's client with the same options) are shared by both servers.
        for i in 0..<30 {
            _ = try await Interop.python("cast", exchange: exchange, rabbit: rabbit, [
                "target": Interop.target(topic), "method": "echo", "args": ["i": JSONValue(i)],
            ])
        }
        // Calls from Swift's client reach both kinds of server too.
        let transport = try await Interop.transport(rabbit: rabbit)
        let client = RPCClient(transport: transport, target: RPCTarget(exchange: exchange, topic: topic),
                               options: RPCClientOptions(rabbit: rabbit), logger: Interop.quietLogger("client"))
        var answeredBy: Set<String> = []
        for name in ["swift-1", "python-1"] {
            let result = try await client.call("echo", args: ["to": .string(name)],
                                                target: RPCTarget(exchange: exchange, topic: topic, server: name))
            answeredBy.insert(result["server"]?.stringValue ?? "")
        }
        await client.close()
        await transport.close()
        #expect(answeredBy == ["swift-1", "python-1"])

        try await eventually("30 casts handled") {
            let py = try await Interop.pythonReceived(pythonServer, exchange: exchange).filter { $0["args"]?["i"] != nil }.count
            return py + swiftServer.log.all.filter { $0.args["i"] != nil }.count == 30
        }
        let py = try await Interop.pythonReceived(pythonServer, exchange: exchange).filter { $0["args"]?["i"] != nil }.count
        let sw = swiftServer.log.all.filter { $0.args["i"] != nil }.count
        #expect(py > 0 && sw > 0, "python \(py), swift \(sw)")
    }
}
