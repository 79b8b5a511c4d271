import Foundation
import JSON
import Logging
import OsloMessaging
import Testing

@Suite struct RPCClientTests {
    let target = RPCTarget(exchange: "magnum", topic: "magnum-conductor")

    static func server(_ broker: InMemoryBroker, name: String, endpoints: [any RPCEndpoint]) async throws -> RPCServer {
        let server = RPCServer(transport: await broker.connect(),
                               target: RPCTarget(exchange: "magnum", topic: "magnum-conductor", server: name),
                               dispatcher: RPCDispatcher(endpoints: endpoints), logger: Logger(label: "server-\(name)"))
        try await server.start()
        return server
    }

    static let endpoint = RPCMethodTable(version: "1.3", methods: [
        "add": { inv in JSONValue((inv.args["a"]?.intValue ?? 0) + (inv.args["b"]?.intValue ?? 0)) },
        "context": { inv in JSONValue(inv.context.requestID) },
        "fail": { _ in throw MagnumStyleError(remoteClassName: "NotSupported", remoteMessage: "nope is not supported.",
                                              remoteKwargs: ["operation": "nope", "code": 400]) },
        "slow": { inv in
            try await Task.sleep(for: .milliseconds(inv.args["ms"]?.intValue ?? 0))
            return "slow done"
        },
    ])

    @Test func callReturnsTheResultThroughAReplyQueue() async throws {
        let broker = InMemoryBroker()
        let server = try await Self.server(broker, name: "a", endpoints: [Self.endpoint])
        let recorder = TransportRecorder()
        let client = RPCClient(transport: RecordingTransport(wrapping: await broker.connect(), recorder: recorder),
                               target: target, logger: Logger(label: "client"))
        let context = RequestContext(userName: "demo", requestID: "req-42")
        #expect(try await client.call("add", args: ["a": 2, "b": 3], context: context) == 5)
        #expect(try await client.call("context", context: context) == "req-42")

        let replyQueue = try #require(await client.currentReplyQueue)
        #expect(replyQueue.wholeMatch(of: /reply_[0-9a-f]{32}/) != nil)
        let declared = await broker.queueDeclarations.first { $0.name == replyQueue }
        #expect(declared?.arguments == ["x-expires": 1_800_000])
        let request = try #require(await recorder.publishedMessages.first)
        #expect(request.exchange == "magnum" && request.routingKey == "magnum-conductor" && !request.mandatory)
        #expect(request.properties.expiration == "60000")
        let decoded = try RPCRequest(body: request.body)
        #expect(decoded.replyQueue == replyQueue && decoded.msgID?.count == 32 && decoded.callMonitorTimeout == nil)
        #expect(Array(try RPCEnvelope.decode(request.body).message.keys.prefix(6)) == ["method", "args", "_msg_id", "_reply_q", "_timeout", "_unique_id"])
        await client.close()
        await server.stop()
    }

    @Test func remoteFailuresAreThrown() async throws {
        let broker = InMemoryBroker()
        let server = try await Self.server(broker, name: "a", endpoints: [Self.endpoint])
        let client = RPCClient(transport: await broker.connect(), target: target, logger: Logger(label: "client"))
        let failure = await #expect(throws: RemoteFailure.self) { _ = try await client.call("fail") }
        #expect(failure?.className == "NotSupported")
        #expect(failure?.code == 400)
        let missing = await #expect(throws: RemoteFailure.self) { _ = try await client.call("missing") }
        #expect(missing?.className == "NoSuchMethod")
        var v2 = target
        v2.version = "2.0"
        let version = await #expect(throws: RemoteFailure.self) { _ = try await client.call("add", target: v2) }
        #expect(version?.className == "UnsupportedVersion")
        #expect(version?.message == "Endpoint does not support RPC version 2.0. Attempted method: add")
        var v12 = target
        v12.version = "1.2"
        #expect(try await client.call("add", args: ["a": 1, "b": 1], target: v12) == 2)
        await client.close()
        await server.stop()
    }

    @Test func callsTimeOutWhenNobodyAnswers() async throws {
        let broker = InMemoryBroker()
        let client = RPCClient(transport: await broker.connect(), target: target, logger: Logger(label: "client"))
        let clock = ContinuousClock()
        let start = clock.now
        let timeout = await #expect(throws: RPCTimeout.self) {
            _ = try await client.call("add", timeout: .milliseconds(150))
        }
        #expect(clock.now - start < .seconds(10))  // the 150 ms timeout, not the 60 s default
        #expect(timeout?.callMonitor == false)
        #expect(timeout?.method == "add")
        await client.close()
    }

    @Test func callMonitorKeepsALongCallAliveAndDetectsASilentServer() async throws {
        let broker = InMemoryBroker()
        let server = try await Self.server(broker, name: "a", endpoints: [Self.endpoint])
        let client = RPCClient(transport: await broker.connect(), target: target,
                               options: RPCClientOptions(callMonitorTimeout: 3), logger: Logger(label: "client"))
        // 3.6 s of work with 3 s of tolerated silence: only keep-alives (every 1.5 s) save it.
        // (A keep-alive may come up to 1.5 s late on a loaded machine without failing the call.)
        #expect(try await client.call("slow", args: ["ms": 3600], timeout: .seconds(12)) == "slow done")
        await server.stop()

        // A "server" that takes the request and never answers: the monitor fires, not the timeout.
        let silent = await broker.connect()
        try await OsloTopology().topicConsumer(exchange: "magnum", routingKey: "magnum-conductor").apply(to: silent)
        let sink = try await QueueCollector.start(silent, queue: "magnum-conductor")
        let error = await #expect(throws: RPCTimeout.self) {
            _ = try await client.call("slow", timeout: .seconds(10), callMonitorTimeout: 1)
        }
        #expect(error?.callMonitor == true)
        #expect(try RPCRequest(body: sink.bodies[0]).callMonitorTimeout == 1)
        await client.close()
    }

    @Test func castsGoToTheTopicTheServerOrEveryone() async throws {
        let broker = InMemoryBroker()
        let hits = [Counter(), Counter()]
        var servers: [RPCServer] = []
        for (index, name) in ["a", "b"].enumerated() {
            let counter = hits[index]
            servers.append(try await Self.server(broker, name: name, endpoints: [
                RPCMethodTable(methods: ["hit": { _ in counter.increment(); return .null }]),
            ]))
        }
        let client = RPCClient(transport: await broker.connect(), target: target, logger: Logger(label: "client"))
        var fanout = target
        fanout.fanout = true
        try await client.cast("hit", target: fanout)
        try await eventually("fanout reaches both") { hits[0].count == 1 && hits[1].count == 1 }
        var onlyB = target
        onlyB.server = "b"
        try await client.cast("hit", target: onlyB)
        try await eventually("server b") { hits[1].count == 2 }
        for _ in 0..<4 { try await client.cast("hit") }
        try await eventually("shared queue") { hits[0].count + hits[1].count == 7 }
        #expect(hits[0].count >= 2 && hits[1].count >= 3)  // round-robin on the shared queue
        await #expect(throws: RabbitOptions.ConfigurationError.self) { _ = try await client.call("hit", target: fanout) }
        for server in servers { await server.stop() }
        await client.close()
    }

    @Test func concurrentCallsAreMatchedToTheirCallers() async throws {
        let broker = InMemoryBroker()
        let server = try await Self.server(broker, name: "a", endpoints: [Self.endpoint])
        let client = RPCClient(transport: await broker.connect(), target: target, logger: Logger(label: "client"))
        let results = try await withThrowingTaskGroup(of: (Int, JSONValue).self) { group in
            for i in 0..<20 {
                group.addTask { (i, try await client.call("add", args: ["a": JSONValue(i), "b": 1000])) }
            }
            var out: [Int: JSONValue] = [:]
            for try await (i, r) in group { out[i] = r }
            return out
        }
        for i in 0..<20 { #expect(results[i] == JSONValue(i + 1000)) }
        await client.close()
        await server.stop()
    }
}
