import Foundation
import JSON
import Logging
import OsloMessaging
import Testing

@Suite struct RPCServerTests {
    static let token = "gAAAAABtokenTOKENtoken-not-a-real-token"

    /// A broker with a dead-letter queue for every queue, a server on topic `magnum-conductor`
    /// (server `host-a`, exchange `magnum`) and a reply queue `reply_test` a test reads.
    struct Harness {
        let broker: InMemoryBroker
        let server: RPCServer
        let peer: InMemoryTransport
        let recorder: TransportRecorder
        let replies: QueueCollector
        let deadLetters: QueueCollector
        let logs: LogCapture
        let target = RPCTarget(exchange: "magnum", topic: "magnum-conductor", server: "host-a")

        static func start(_ endpoints: [any RPCEndpoint], options: RPCServerOptions = RPCServerOptions(),
                          pingEnabled: Bool = false) async throws -> Harness {
            let broker = InMemoryBroker()
            await broker.addPolicy(.init(exchange: "dlx") { !$0.hasPrefix("dead") && !$0.hasPrefix("reply_") })
            let peer = await broker.connect()
            try await peer.declareExchange(ExchangeDeclaration(name: "dlx", type: .fanout))
            try await peer.declareQueue(QueueDeclaration(name: "dead"))
            try await peer.bindQueue(QueueBinding(queue: "dead", exchange: "dlx", routingKey: ""))
            try await peer.declareQueue(OsloTopology().replyQueue(name: "reply_test"))
            let recorder = TransportRecorder()
            let logs = LogCapture()
            let server = RPCServer(
                transport: RecordingTransport(wrapping: await broker.connect(), recorder: recorder),
                target: RPCTarget(exchange: "magnum", topic: "magnum-conductor", server: "host-a"),
                dispatcher: RPCDispatcher(endpoints: endpoints, pingEnabled: pingEnabled), options: options,
                logger: logs.logger("server"))
            try await server.start()
            return Harness(broker: broker, server: server, peer: peer, recorder: recorder,
                           replies: try await QueueCollector.start(peer, queue: "reply_test"),
                           deadLetters: try await QueueCollector.start(peer, queue: "dead"), logs: logs)
        }

        func send(_ body: [UInt8], routingKey: String = "magnum-conductor", exchange: String = "magnum") async throws {
            _ = try await peer.publish(OutgoingMessage(exchange: exchange, routingKey: routingKey, body: body, properties: .oslo()))
        }

        func logText() -> String { logs.lines.map(\.text).joined(separator: "\n") }
    }

    static let echo = RPCMethodTable(methods: [
        "echo": { inv in .object(inv.args) },
        "whoami": { inv in JSONValue(inv.context.userName) },
        "fail": { _ in throw MagnumStyleError(remoteClassName: "ClusterNotFound", remoteMessage: "Cluster x could not be found.",
                                              remoteKwargs: ["cluster": "x", "code": 404]) },
    ])

    @Test func aCallGetsOneEndingReplyOnTheDefaultExchange() async throws {
        let h = try await Harness.start([Self.echo])
        try await h.send(callBody("echo", args: ["n": 1, "s": "é"], msgID: "m1", replyQueue: "reply_test"))
        try await h.replies.waitFor(1)
        let reply = try #require(h.replies.replies().first)
        #expect(reply.msgID == "m1")
        #expect(reply.ending)
        #expect(reply.failure == nil)
        #expect(reply.result == ["n": 1, "s": "é"])
        let message = try RPCEnvelope.decode(h.replies.bodies[0]).message
        #expect(Array(message.keys) == ["result", "failure", "ending", "_msg_id", "_unique_id"])

        let published = await h.recorder.publishedMessages
        let replyPublish = try #require(published.first { $0.routingKey == "reply_test" })
        #expect(replyPublish.exchange == "")
        #expect(replyPublish.mandatory)
        #expect(replyPublish.properties == .oslo())
        #expect(await h.recorder.settlements.map(\.settlement) == [.ack])
        await h.server.stop()
    }

    @Test func stopWaitsForTheBrokersAnswerToRepliesHandedOver() async throws {
        // Settled before dispatch (oslo's policy), replies are handed over without waiting for
        // the broker; stop() still lets every answer come before it returns.
        let h = try await Harness.start([Self.echo])
        for i in 0..<30 {
            try await h.send(callBody("echo", args: ["n": .int(Int64(i))], msgID: "m\(i)", replyQueue: "reply_test"))
        }
        try await h.replies.waitFor(30)
        await h.server.stop()
        #expect(h.server.statistics.repliesSent == 30)
    }

    @Test func aFailingCallGetsTheHandlersFailure() async throws {
        let h = try await Harness.start([Self.echo])
        try await h.send(callBody("fail", msgID: "m2", replyQueue: "reply_test"))
        try await h.replies.waitFor(1)
        let failure = try #require(try h.replies.replies().first?.failure)
        #expect(failure.className == "ClusterNotFound")
        #expect(failure.moduleName == "magnum.common.exception")
        #expect(failure.kwargs == ["cluster": "x", "code": 404])
        await h.server.stop()
    }

    @Test func castsAreHandledWithoutReplies() async throws {
        let seen = Counter()
        let endpoint = RPCMethodTable(methods: ["cluster_delete": { inv in
            #expect(inv.args == ["uuid": "u-1"])
            #expect(!inv.isCall)
            seen.increment()
            return .null
        }])
        let h = try await Harness.start([endpoint])
        try await h.send(castBody("cluster_delete", args: ["uuid": "u-1"]))
        try await eventually("the cast") { seen.count == 1 }
        try await eventually("the ack") { h.server.statistics.acked == 1 }
        #expect(h.replies.deliveries.isEmpty)
        await h.server.stop()
    }

    @Test func serverQueueAndFanoutAreConsumed() async throws {
        let seen = Counter()
        let h = try await Harness.start([RPCMethodTable(methods: ["m": { _ in seen.increment(); return .null }])])
        try await h.send(castBody("m"), routingKey: "magnum-conductor.host-a")
        try await h.send(castBody("m"), routingKey: "", exchange: "magnum-conductor_fanout")
        try await eventually("both casts") { seen.count == 2 }
        #expect(h.server.queues[1] == "magnum-conductor.host-a")
        #expect(h.server.queues[2].hasPrefix("magnum-conductor_fanout_"))
        await h.server.stop()
    }

    @Test func duplicatesAreDroppedAndAcked() async throws {
        let seen = Counter()
        let h = try await Harness.start([RPCMethodTable(methods: ["m": { _ in seen.increment(); return .null }])])
        let body = castBody("m", uniqueID: "same-unique-id")
        try await h.send(body)
        try await eventually("first") { seen.count == 1 }
        try await h.send(body)
        try await eventually("duplicate counted") { h.server.statistics.duplicates == 1 }
        try await eventually("both acked") { h.server.statistics.acked == 2 }
        #expect(seen.count == 1)
        #expect(h.logText().contains("same-unique-id"))
        await h.server.stop()
    }

    @Test func slowCallsSendCallMonitorKeepAlives() async throws {
        // The call runs until the test has seen two keep-alives, however slow the machine: the
        // test depends on what the server does, not on how long it takes.
        let released = Counter()
        let slow = RPCMethodTable(methods: ["slow": { _ in
            while released.count == 0 { try await Task.sleep(for: .milliseconds(20)) }
            return "done"
        }])
        let h = try await Harness.start([slow])
        try await h.send(callBody("slow", msgID: "slow-1", replyQueue: "reply_test", timeout: 2))
        try await eventually("two keep-alives", timeout: .seconds(30)) {
            (try? h.replies.replies().filter(\.isKeepAlive).count) ?? 0 >= 2
        }
        #expect(try h.replies.replies().allSatisfy { !$0.ending }, "the call ended before it was released")
        released.increment()
        try await eventually("final reply", timeout: .seconds(10)) { (try? h.replies.replies().contains { $0.ending }) == true }
        // Once the final reply is out, the monitor is stopped: nothing follows it (it would come
        // within its 1 s interval).
        try await Task.sleep(for: .milliseconds(1500))
        let replies = try h.replies.replies()
        let keepAlives = replies.filter(\.isKeepAlive)
        #expect(keepAlives.count >= 2)
        #expect(keepAlives.allSatisfy { $0.msgID == "slow-1" && $0.result == .null && $0.failure == nil && !$0.ending })
        #expect(replies.filter(\.ending).count == 1)
        #expect(replies.last?.ending == true)
        #expect(replies.last?.result == "done")
        #expect(h.server.statistics.keepAlivesSent == keepAlives.count)
        await h.server.stop()
    }

    @Test func noKeepAlivesWhenTheMonitorTimeoutIsUnderTwoSeconds() async throws {
        let slow = RPCMethodTable(methods: ["slow": { _ in
            try await Task.sleep(for: .milliseconds(1200))
            return "done"
        }])
        let h = try await Harness.start([slow])
        try await h.send(callBody("slow", replyQueue: "reply_test", timeout: 1))
        try await h.replies.waitFor(1)
        try await Task.sleep(for: .milliseconds(50))
        #expect(try h.replies.replies().map(\.ending) == [true])
    }

    /// Bodies a broken or hostile sender might publish.
    static let malformedCalls: [(String, [UInt8], String)] = [
        ("not JSON", Array(#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"echo\", \"_msg_id\": \"bad-1\", \"_reply_q\": \"reply_test\", "#.utf8), "ValueError"),
        ("wrong envelope version", Array(#"{"oslo.version": "3.0", "oslo.message": "{\"method\": \"echo\", \"_msg_id\": \"bad-2\", \"_reply_q\": \"reply_test\"}"}"#.utf8), "UnsupportedRpcEnvelopeVersion"),
        ("missing method", RPCEnvelope.encode(["args": [:], "_msg_id": "bad-3", "_reply_q": "reply_test", "_unique_id": "u-bad-3"]), "ValueError"),
        ("wrong types", RPCEnvelope.encode(["method": "echo", "args": [1, 2], "_msg_id": "bad-4", "_reply_q": "reply_test"]), "ValueError"),
        ("huge", RPCEnvelope.encode(["method": "echo", "args": ["blob": .string(String(repeating: "x", count: 300_000))], "_msg_id": "bad-5", "_reply_q": "reply_test"]), "ValueError"),
        ("bad UTF-8", Array(#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"echo\", \"_msg_id\": \"bad-6\", \"_reply_q\": \"reply_test\", \"x\": \""#.utf8) + [0xFF, 0xFE] + Array(#"\"}"}"#.utf8), "ValueError"),
    ]

    @Test func malformedCallsGetAFailureReplyAndAreDeadLettered() async throws {
        var options = RPCServerOptions()
        options.limits = DecodingLimits(maxBodyBytes: 256 * 1024)
        let h = try await Harness.start([Self.echo], options: options)
        for (_, body, _) in Self.malformedCalls { try await h.send(body) }
        try await h.replies.waitFor(Self.malformedCalls.count)
        try await h.deadLetters.waitFor(Self.malformedCalls.count)
        let replies = try h.replies.replies()
        for (index, (what, body, expectedClass)) in Self.malformedCalls.enumerated() {
            let reply = try #require(replies.first { $0.msgID == "bad-\(index + 1)" }, "no reply for \(what)")
            #expect(reply.ending, "\(what)")
            #expect(reply.failure?.className == expectedClass, "\(what)")
            #expect(h.deadLetters.bodies.contains(body), "\(what) not dead-lettered")
        }
        #expect(replies.first { $0.msgID == "bad-5" }?.failure?.message.contains("larger than the limit") == true)
        #expect(replies.first { $0.msgID == "bad-3" }?.failure?.message == #"Malformed RPC request: message has no "method" key"#)
        #expect(h.server.statistics.malformed == Self.malformedCalls.count)
        #expect(h.server.statistics.deadLettered == Self.malformedCalls.count)

        // Still serving.
        try await h.send(callBody("echo", args: ["ok": true], msgID: "good", replyQueue: "reply_test"))
        try await eventually("good reply") { (try? h.replies.replies().contains { $0.msgID == "good" }) == true }
        await h.server.stop()
    }

    @Test func malformedCastsAreLoggedWithTheirIdAndDeadLettered() async throws {
        let h = try await Harness.start([Self.echo])
        let casts: [[UInt8]] = [
            RPCEnvelope.encode(["args": [:], "_unique_id": "cast-no-method", "_context_auth_token": .string(Self.token)]),
            Array("garbage".utf8),
            RPCEnvelope.encode(["method": "echo", "args": "nope", "_unique_id": "cast-bad-args"]),
        ]
        for body in casts { try await h.send(body) }
        try await h.deadLetters.waitFor(casts.count)
        #expect(Set(h.deadLetters.bodies) == Set(casts))
        #expect(h.replies.deliveries.isEmpty)
        let errors = h.logs.lines.filter { $0.level == .error }
        #expect(errors.contains { $0.metadata["unique_id"] == "cast-no-method" && $0.message.contains("no \"method\" key") })
        #expect(errors.contains { $0.metadata["unique_id"] == "cast-bad-args" })
        #expect(errors.contains { $0.message.contains("not JSON") })
        #expect(!h.logText().contains(Self.token))
        await h.server.stop()
    }

    @Test func aReturnedReplyIsLoggedAndDropped() async throws {
        let h = try await Harness.start([Self.echo])
        try await h.send(callBody("echo", msgID: "lost", replyQueue: "reply_gone"))
        try await eventually("returned reply") { h.server.statistics.repliesReturned == 1 }
        #expect(h.logs.lines.contains { $0.level == .error && $0.message.contains("reply_gone") && $0.metadata["msg_id"] == "lost" })
        try await h.send(callBody("echo", msgID: "next", replyQueue: "reply_test"))
        try await h.replies.waitFor(1)
        await h.server.stop()
    }

    @Test func handlerConcurrencyIsBounded() async throws {
        let probe = ConcurrencyProbe()
        let endpoint = RPCMethodTable(methods: ["work": { _ in
            probe.enter()
            try await Task.sleep(for: .milliseconds(40))
            probe.leave()
            return .null
        }])
        var options = RPCServerOptions()
        options.maxConcurrentHandlers = 2
        let h = try await Harness.start([endpoint], options: options)
        for _ in 0..<8 { try await h.send(castBody("work")) }
        try await eventually("all handled") { probe.total == 8 }
        #expect(probe.peak == 2)
        await h.server.stop()
    }

    @Test func osloPolicyAcknowledgesBeforeTheHandlerRuns() async throws {
        let gate = Gate()
        let h = try await Harness.start([RPCMethodTable(methods: ["block": { _ in await gate.wait(); return .null }])])
        try await h.send(castBody("block"))
        try await eventually("acked while running") { h.server.statistics.acked == 1 && h.server.statistics.dispatched == 0 }
        #expect(await h.broker.unackedCount("magnum-conductor") == 0)
        gate.open()
        try await eventually("handled") { h.server.statistics.dispatched == 1 }
        await h.server.stop()
    }

    @Test func ackAfterOutcomeHoldsTheDeliveryUntilTheHandlerReturns() async throws {
        let gate = Gate()
        var options = RPCServerOptions()
        options.settlement = .ackAfterOutcome()
        let h = try await Harness.start([RPCMethodTable(methods: ["block": { _ in await gate.wait(); return .null }])], options: options)
        try await h.send(castBody("block"))
        try await eventually("delivered") { await h.broker.unackedCount("magnum-conductor") == 1 }
        #expect(h.server.statistics.acked == 0)
        gate.open()
        try await eventually("acked") { h.server.statistics.acked == 1 }
        #expect(await h.broker.unackedCount("magnum-conductor") == 0)
        await h.server.stop()
    }

    struct DatabaseBusy: RetryableError {}
    struct Bug: Error {}

    @Test func ackAfterOutcomeRequeuesRetryableFailuresAndDeadLettersOthers() async throws {
        let attempts = Counter()
        let endpoint = RPCMethodTable(methods: [
            "flaky": { inv in
                if attempts.increment() == 1 {
                    #expect(!inv.redelivered)
                    throw DatabaseBusy()
                }
                #expect(inv.redelivered)
                return .null
            },
            "broken": { _ in throw Bug() },
            "brokenCall": { _ in throw Bug() },
        ])
        var options = RPCServerOptions()
        options.settlement = .ackAfterOutcome(maxDeliveries: 3)
        let h = try await Harness.start([endpoint], options: options)
        try await h.send(castBody("flaky"))
        try await eventually("retried") { attempts.count == 2 }
        try await eventually("acked after retry") { h.server.statistics.acked == 1 }
        #expect(h.server.statistics.requeued == 1)

        try await h.send(castBody("broken", uniqueID: "broken-cast"))
        try await h.deadLetters.waitFor(1)
        try await h.send(callBody("brokenCall", msgID: "bc", replyQueue: "reply_test"))
        try await h.replies.waitFor(1)
        #expect(try h.replies.replies().first?.failure?.className == "Bug")
        try await eventually("call acked") { h.server.statistics.acked == 2 }
        #expect(h.deadLetters.deliveries.count == 1)
        await h.server.stop()
    }

    @Test func retryableFailuresAreDeadLetteredAfterMaxDeliveries() async throws {
        let attempts = Counter()
        var options = RPCServerOptions()
        options.settlement = .ackAfterOutcome(maxDeliveries: 3)
        let h = try await Harness.start([RPCMethodTable(methods: ["never": { _ in attempts.increment(); throw DatabaseBusy() }])],
                                        options: options)
        try await h.send(castBody("never"))
        try await h.deadLetters.waitFor(1)
        #expect(attempts.count == 3)
        #expect(h.server.statistics.requeued == 2)
        await h.server.stop()
    }

    @Test func pingFollowsTheSwitch() async throws {
        let off = try await Harness.start([Self.echo])
        try await off.send(callBody(RPCDispatcher.pingMethod, msgID: "p1", replyQueue: "reply_test"))
        try await off.replies.waitFor(1)
        #expect(try off.replies.replies().first?.failure?.className == "NoSuchMethod")
        await off.server.stop()

        let on = try await Harness.start([Self.echo], pingEnabled: true)
        try await on.send(callBody(RPCDispatcher.pingMethod, msgID: "p2", replyQueue: "reply_test"))
        try await on.replies.waitFor(1)
        #expect(try on.replies.replies().first?.result == "pong")
        await on.server.stop()
    }

    @Test func stopLetsRunningHandlersFinishAndDeletesTheFanoutQueue() async throws {
        let gate = Gate()
        let finished = Counter()
        let h = try await Harness.start([RPCMethodTable(methods: ["block": { _ in await gate.wait(); finished.increment(); return .null }])])
        let fanout = h.server.fanoutQueue
        #expect(await h.broker.queueDeclarations.map(\.name).contains(fanout))
        try await h.send(castBody("block"))
        try await eventually("running") { h.server.statistics.acked == 1 }
        let stopping = Task { await h.server.stop() }
        try await Task.sleep(for: .milliseconds(30))
        gate.open()
        await stopping.value
        #expect(finished.count == 1)
        #expect(await !h.broker.queueDeclarations.map(\.name).contains(fanout))
        #expect(await h.broker.exchangeDeclarations.map(\.name).contains("magnum-conductor_fanout") == false)
    }

    @Test func secretsNeverReachTheLog() async throws {
        let h = try await Harness.start([Self.echo])
        var context = RequestContext(userName: "demo", authToken: Self.token, requestID: "req-1")
        context.password = "hunter2"
        try await h.send(callBody("whoami", msgID: "w", replyQueue: "reply_test", context: context))
        try await h.send(callBody("nope", msgID: "n", replyQueue: "reply_test", context: context))
        try await h.replies.waitFor(2)
        #expect(try h.replies.replies().first { $0.msgID == "w" }?.result == "demo")
        let text = h.logText()
        #expect(text.contains("req-1"))
        #expect(!text.contains(Self.token))
        #expect(!text.contains("hunter2"))
        await h.server.stop()
    }
}

/// Replay: the recorded magnum-api requests, published as recorded, go through the same server
/// and dispatcher; every call is answered on its recorded reply queue.
@Suite struct RecordedTrafficReplayTests {
    /// Accepts every Magnum method (not oslo's ping) and remembers what it was given.
    struct AcceptAll: RPCEndpoint {
        let seen: LockedList<RPCInvocation>
        func handles(method: String) -> Bool { method != RPCDispatcher.pingMethod }
        func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
            seen.append(invocation)
            return .object(invocation.args)
        }
    }

    @Test func replayedRequestsAreDispatchedAndAnswered() async throws {
        let broker = InMemoryBroker()
        let peer = await broker.connect()
        let seen = LockedList<RPCInvocation>()
        let server = RPCServer(transport: await broker.connect(),
                               target: RPCTarget(exchange: "magnum", topic: "magnum-conductor", server: "replay"),
                               dispatcher: RPCDispatcher(endpoints: [AcceptAll(seen: seen)]), logger: Logger(label: "replay"))
        try await server.start()
        var requests: [(RPCRequest, WireRecording.Entry)] = []
        var collectors: [String: QueueCollector] = [:]
        for file in WireFixtures.recordingNames {
            for entry in try WireFixtures.entries(file) where entry.exchange == "magnum" && entry.routingKey == "magnum-conductor" {
                let request = try RPCRequest(body: entry.body)
                if let replyQueue = request.replyQueue, collectors[replyQueue] == nil {
                    try await peer.declareQueue(OsloTopology().replyQueue(name: replyQueue))
                    collectors[replyQueue] = try await QueueCollector.start(peer, queue: replyQueue)
                }
                requests.append((request, entry))
            }
        }
        #expect(requests.count == 24)  // 42 recorded messages less 14 replies and 4 notifications
        for (_, entry) in requests {
            _ = try await peer.publish(OutgoingMessage(exchange: entry.exchange, routingKey: entry.routingKey, body: entry.body,
                                                       properties: entry.properties))
        }
        let calls = requests.filter { $0.0.isCall }
        let allCollectors = Array(collectors.values)
        try await eventually("every call answered") {
            allCollectors.reduce(0) { $0 + $1.deliveries.count } == calls.count
        }
        for (request, _) in calls {
            let replies = try #require(collectors[request.replyQueue ?? ""]).replies().filter { $0.msgID == request.msgID }
            #expect(replies.count == 1, "\(request.method) \(request.msgID ?? "")")
            if request.method == RPCDispatcher.pingMethod {
                #expect(replies.first?.failure?.className == "NoSuchMethod")
            } else {
                #expect(replies.first?.result == .object(request.args))
            }
        }
        let dispatchable = requests.count - 1
        try await eventually("every request dispatched") { seen.items.count == dispatchable }
        for (request, _) in requests where request.method != RPCDispatcher.pingMethod {
            let invocation = try #require(seen.items.first { $0.uniqueID == request.uniqueID })
            #expect(invocation.method == request.method)
            #expect(invocation.args == request.args)
            #expect(invocation.context == request.context)
        }
        await server.stop()
    }
}
