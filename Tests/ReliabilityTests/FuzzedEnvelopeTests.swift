import ClusterStore
import Foundation
import JSON
import MagnumObjects
import OsloMessaging
import Testing
import TestSupport
import Worker

/// 10,000 broken, hostile or merely wrong requests on the conductor topic: truncated JSON, wrong
/// types, huge bodies (some over the 16 MiB limit), bad UTF-8, unknown methods and versions,
/// unknown envelope versions, forged reply queues (one pointing at the conductor's own queue).
/// The worker stays up and answers a ping afterwards; every request is answered with a failure
/// or dead-lettered (most calls both); nothing stays on the queue; memory stays bounded.
@Suite("Fuzzed envelopes")
struct FuzzedEnvelopeTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    }

    static let replyQueue = "reply_fuzz"

    static func envelope(_ message: JSONValue) -> [UInt8] {
        Array(JSONValue.object(["oslo.version": "2.0", "oslo.message": .string(message.jsonString(.python))]).jsonString(.python).utf8)
    }

    static func call(_ method: String, msgID: String, args: JSONValue = [:], version: JSONValue? = nil,
                     replyQueue: String = FuzzedEnvelopeTests.replyQueue) -> JSONValue {
        var o: JSONObject = ["method": .string(method), "args": args, "_msg_id": .string(msgID), "_reply_q": .string(replyQueue),
                             "_unique_id": .string(msgID), "_context_user_id": "fuzzer", "_context_project_id": "fuzz"]
        if let version { o["version"] = version }
        return .object(o)
    }

    /// Message `i`: its body, and the msg_id a reply would carry (nil for casts and unanswerable ones).
    static func message(_ i: Int, _ g: inout Generator) -> (body: [UInt8], msgID: String?) {
        let msgID = String(format: "%032x", i)
        switch i % 11 {
        case 0:  // truncated JSON of a valid call
            let whole = envelope(call("cluster_upgrade", msgID: msgID, args: ["cluster": ["x": 1]]))
            return (Array(whole.prefix(g.int(1..<whole.count))), nil)
        case 1:  // wrong types
            let shapes: [JSONValue] = [
                ["method": 42, "args": [:], "_msg_id": .string(msgID), "_reply_q": .string(replyQueue)],
                ["method": "cluster_update", "args": [1, 2, 3], "_msg_id": .string(msgID), "_reply_q": .string(replyQueue)],
                ["method": "cluster_resize", "args": ["cluster": "not an object", "node_count": "three", "nodes_to_remove": 5, "nodegroup": []],
                 "_msg_id": .string(msgID), "_reply_q": .string(replyQueue)],
                ["method": "cluster_delete", "args": ["uuid": ["nested": true]], "_context_roles": 7],
                [1, 2, 3],
                "just a string",
            ]
            let index = g.int(0..<shapes.count)
            // Shape 3 is a cast Magnum's handler fails with ClusterNotFound: logged and acked, as
            // magnum-conductor does (nothing to keep: nothing could ever apply it).
            return (envelope(shapes[index]), index == 3 ? "cast-logged" : nil)
        case 2:  // big bodies (a few over the limit)
            // One in ten of these is large (128 KiB to 1 MiB); three are over the 16 MiB limit.
            let size = i % 3300 == 2 ? 17 * 1024 * 1024 : i % 110 == 2 ? g.int(128 * 1024..<1024 * 1024) : g.int(1024..<16 * 1024)
            let filler = String(repeating: "A", count: size)
            return (envelope(call("cluster_update", msgID: msgID, args: ["cluster": .string(filler)])), nil)
        case 3:  // bad UTF-8
            var body = envelope(call("ping_conductor", msgID: msgID))
            for _ in 0..<3 { body[g.int(0..<body.count)] = [0xff, 0xc3, 0x80, 0xfe][g.int(0..<4)] }
            return (body, nil)
        case 4:  // unknown method
            return (envelope(call("cluster_explode_\(i)", msgID: msgID)), msgID)
        case 5:  // unknown or malformed versions
            let versions: [JSONValue] = ["9.0", "1.99", "x.y", "", 3]
            return (envelope(call("cluster_upgrade", msgID: msgID, version: versions[g.int(0..<versions.count)])), msgID)
        case 6:  // forged reply queues: missing, or the conductor's own queue
            let forged = i % 2 == 0 ? "reply_forged_\(i)" : "magnum-conductor"
            return (envelope(call("cluster_explode", msgID: msgID, replyQueue: forged)), nil)
        case 7:  // unknown envelope version
            let body = JSONValue.object(["oslo.version": "3.0", "oslo.message": .string(call("ping_conductor", msgID: msgID).jsonString(.python))])
            return (Array(body.jsonString(.python).utf8), msgID)
        case 8:  // oslo.message of the wrong type or not JSON
            let inner: [JSONValue] = [42, ["method": "x"], "{not json", .null]
            return (Array(JSONValue.object(["oslo.version": "2.0", "oslo.message": inner[g.int(0..<inner.count)]]).jsonString(.python).utf8), nil)
        case 9:  // a cast whose arguments do not bind
            return (envelope(["method": "cluster_update", "args": ["bogus": 1], "_unique_id": .string(msgID)]), nil)
        default:  // random bytes
            return ((0..<g.int(1..<300)).map { _ in UInt8(truncatingIfNeeded: g.next()) }, nil)
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func tenThousandFuzzedEnvelopesLeaveTheWorkerUpAndNothingLost() async throws {
        let database = try SharedDatabase.sqlite()
        let seed = try await database.observer()
        try await Fixture.createTemplate(seed)
        let broker = try await makeBroker()
        let worker = try await TestWorker.start(host: "worker-fuzz", broker: broker, database: database, ledger: EffectLedger(),
                                                options: ReliabilityOptions(leaseTime: 5, leaseAcquireTimeout: 1))
        let admin = await broker.connect()
        try await admin.declareQueue(QueueDeclaration(name: Self.replyQueue))
        let rssBefore = residentKiB()

        var g = Generator(state: 20261126)
        let count = 10_000
        var expectedReplies: Set<String> = []
        var bodies: [Int: [UInt8]] = [:]
        var forgedToSelf = 0
        var loggedOnly: Set<Int> = []
        var rssHalf = 0
        for i in 0..<count {
            if i == count / 2 {
                // Half-way: wait until the first half is handled, and take the resident size.
                let server = worker.service.server
                try await eventually(240, "the first half settled") {
                    let s = server.statistics
                    let queued = await broker.readyCount("magnum-conductor") ?? 0
                    return s.received >= i && s.acked + s.deadLettered + s.requeued == s.received && queued == 0
                }
                rssHalf = residentKiB()
            }
            let (body, msgID) = Self.message(i, &g)
            if let msgID, msgID != "cast-logged" { expectedReplies.insert(msgID) }
            if msgID == "cast-logged" { loggedOnly.insert(i) }
            if i % 11 == 6 && i % 2 == 1 { forgedToSelf += 1 }
            if body.count < 4096 { bodies[i] = body }
            _ = try await admin.publish(OutgoingMessage(exchange: "magnum", routingKey: "magnum-conductor", body: body,
                                                        properties: .oslo(), mandatory: false))
        }
        let server = worker.service.server
        let forged = forgedToSelf
        try await eventually(240, "every request settled") {
            let s = server.statistics
            let queued = await broker.readyCount("magnum-conductor") ?? 0
            let unacked = await broker.unackedCount("magnum-conductor")
            return s.received >= count + forged && s.acked + s.deadLettered + s.requeued == s.received && queued == 0 && unacked == 0
        }
        let stats = server.statistics
        #expect(stats.requeued == 0)
        #expect(stats.malformed > 0)
        // Replies: every answerable call got its failure.
        var replied: Set<String> = []
        let replyMessages = await broker.readyMessages(Self.replyQueue)
        let replyBytes = replyMessages.reduce(0) { $0 + $1.body.count }
        let largestReply = replyMessages.map(\.body.count).max() ?? 0
        for message in replyMessages {
            let decoded = try RPCEnvelope.decode(message.body).message
            if let id = decoded["_msg_id"]?.stringValue { replied.insert(id) }
            #expect(decoded["failure"] != nil && decoded["failure"] != .null)
        }
        #expect(expectedReplies.isSubset(of: replied), "\(expectedReplies.subtracting(replied).count) calls got no reply")
        // Everything else was dead-lettered: each settled delivery was either acked after a reply
        // or kept in the dead-letter queue.
        let dead = await broker.readyCount("dead") ?? 0
        #expect(dead == stats.deadLettered)
        #expect(stats.acked + stats.deadLettered == stats.received)
        let deadBodies = Set(await broker.readyBodies("dead"))
        var missing: [Int] = []
        for (i, body) in bodies where !Self.answeredElsewhere(i) && !loggedOnly.contains(i) {
            if !(deadBodies.contains(body) || replied.contains(String(format: "%032x", i))) { missing.append(i) }
        }
        let kinds = Dictionary(grouping: missing, by: { $0 % 11 }).mapValues(\.count)
        let example = missing.first.flatMap { bodies[$0] }.map { String(decoding: $0.prefix(300), as: UTF8.self) } ?? ""
        #expect(missing.isEmpty, "\(missing.count) neither answered nor dead-lettered; by kind \(kinds); e.g. \(example)")
        // Still alive and answering.
        let client = await makeClient(broker)
        let pong = try await client.call("ping_conductor", context: Fixture.context)
        #expect(pong == true)
        // Bounded memory: drop the broker's copies, then compare.
        let drain = try await admin.consume(ConsumeRequest(queue: "dead"))
        var drained = 0
        for try await delivery in drain {
            try await delivery.settle(.ack)
            drained += 1
            if drained == dead { break }
        }
        await drain.cancel()
        let rssAfter = residentKiB()
        print("fuzz: \(count) envelopes (+\(forgedToSelf) forged replies to the conductor queue); received \(stats.received), malformed \(stats.malformed), replies \(stats.repliesSent), returned \(stats.repliesReturned), acked \(stats.acked), dead-lettered \(stats.deadLettered); RSS before \(rssBefore) KiB, half-way \(rssHalf) KiB, after \(rssAfter) KiB; the test broker holds \(replyBytes / 1024) KiB of replies (largest \(largestReply) bytes)")
        // The resident size is the whole test process's (other suites run in parallel, and the
        // in-memory broker and the test's copies live here too), so it is reported, not compared
        // closely; docs/reliability.md has the figures of this test run alone. A gross leak
        // (a request's body kept per request: > 1 GiB here) still fails.
        #expect(rssAfter < 1024 * 1024, "RSS \(rssAfter) KiB")
        await client.close()
        await worker.service.stop()
        await seed.close()
        await database.cleanup()
    }

    /// Forged reply queues: the answer went where the request said (a queue that does not exist:
    /// returned and dropped; the conductor's own queue: dead-lettered there as a malformed request).
    static func answeredElsewhere(_ i: Int) -> Bool { i % 11 == 6 }
}
