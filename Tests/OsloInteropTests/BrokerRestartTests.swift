import Foundation
import JSON
import OsloMessaging
import Testing
import Synchronization
import TestSupport

/// A broker restart (on a private broker, so other tests are not disturbed) while a Swift
/// server consumes: it comes back by itself, and what it had not settled is never acknowledged
/// on the new connection — the broker delivers it again.
@Suite(.enabled(if: interopEnabled, "needs the broker and the Python venv (tools/test)"), .serialized)
struct BrokerRestartTests {

    @Test func aServerResumesAfterABrokerRestartAndHandlesTheNextCast() async throws {
        let broker = try await TestEnvironment.startPrivateBroker()
        defer { broker.destroy() }
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let server = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1", url: broker.url)
        defer { Task { await server.stop() } }
        _ = try await Interop.python("cast", exchange: exchange, url: broker.url, [
            "target": Interop.target(topic), "method": "echo", "args": ["when": "before"],
        ])
        try await eventually("the cast before the restart") { server.log.count == 1 }

        try await broker.control("restart")
        // Transient queues are gone with the old node: the transport declares them again and
        // the consumers resume on the new connection.
        try await eventually("the server consuming again", timeout: .seconds(120)) {
            guard server.transport.isConnected else { return false }
            return (try? await server.transport.queueStatus(topic).consumers) == 1
        }
        _ = try await Interop.python("cast", exchange: exchange, url: broker.url, [
            "target": Interop.target(topic), "method": "echo", "args": ["when": "after"],
        ])
        try await eventually("the cast after the restart", timeout: .seconds(120)) {
            server.log.all.contains { $0.args["when"] == "after" }
        }
        // And calls are answered again.
        let answer = try await Interop.python("call", exchange: exchange, url: broker.url, [
            "target": Interop.target(topic, server: "s1"), "method": "echo", "args": ["call": "after"], "timeout": 60,
        ])
        #expect(answer["result"]?["args"] == ["call": "after"], "\(answer)")
    }

    @Test func aDeliveryFromBeforeTheRestartIsNotAcknowledgedAndComesBack() async throws {
        let broker = try await TestEnvironment.startPrivateBroker()
        defer { broker.destroy() }
        // Durable queues and persistent messages: the cast survives the restart.
        var rabbit = RabbitOptions()
        rabbit.amqpDurableQueues = true
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let gate = Gate()
        let log = CallLog()
        var table = RPCMethodTable()
        table.register("work") { inv in
            log.append(inv)
            await gate.wait()
            return "done"
        }
        let server = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1", rabbit: rabbit,
                                                 endpoints: [table], settlement: .ackAfterOutcome(), url: broker.url, log: log)
        defer { Task { gate.open(); await server.stop() } }
        _ = try await Interop.python("cast", exchange: exchange, rabbit: rabbit, url: broker.url, [
            "target": Interop.target(topic), "method": "work", "args": ["n": 1],
        ])
        try await eventually("the handler running") { log.count == 1 }

        try await broker.control("restart")
        try await eventually("the server consuming again", timeout: .seconds(120)) {
            guard server.transport.isConnected else { return false }
            return (try? await server.transport.queueStatus(topic).consumers) == 1
        }
        // The broker has requeued the cast and delivers it again (redelivered) while the first
        // handler still runs. That first delivery belongs to the old connection: it is never
        // acknowledged on the new one. The redelivery is held and settled with the handler's
        // outcome once it finishes — the handler does not run twice.
        try await eventually("the redelivery held", timeout: .seconds(120)) { server.server.statistics.duplicates == 1 }
        gate.open()
        try await eventually("the redelivery acknowledged", timeout: .seconds(120)) { server.server.statistics.acked == 1 }
        #expect(server.server.statistics.lostOwnership == 1)
        #expect(log.count == 1)
        try await eventually("the queue empty") { (try? await server.transport.queueStatus(topic).messages) == 0 }
    }
}

/// A one-shot gate a handler can wait on.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}
