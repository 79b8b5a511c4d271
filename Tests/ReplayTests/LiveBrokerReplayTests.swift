import AMQP
import Foundation
import JSON
import Logging
import OsloMessaging
import Replay
import Synchronization
import Testing
import TestSupport

/// The same recording run live — the worker on a real RabbitMQ (`AMQPTransport`), the requests
/// published by a second connection, everything captured through the firehose by `record`'s
/// `BusRecorder` — and replayed in memory gives the same executor calls, replies, notifications
/// and database; and the live capture itself replays to the same executor calls.
@Suite(.serialized) struct LiveBrokerReplayTests {
    static let logger = ReplayFixtures.quiet

    /// A private vhost with the firehose on, removed afterwards.
    static func withVhost(_ body: (String) async throws -> Void) async throws {
        let broker = try TestEnvironment.requireBroker()
        let vhost = "mcw-replay-\(UUID().uuidString.prefix(8).lowercased())"
        try await broker.rabbitmqctl("add_vhost", vhost)
        do {
            try await broker.rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
            try await broker.rabbitmqctl("trace_on", "-p", vhost)
            let base = broker.url.hasSuffix("/") ? broker.url : broker.url + "/"
            try await body(base + vhost)
        } catch {
            _ = try? await broker.rabbitmqctl("delete_vhost", vhost)
            throw error
        }
        _ = try? await broker.rabbitmqctl("delete_vhost", vhost)
    }

    static func connect(_ url: String, _ name: String) async throws -> AMQPTransport {
        try await AMQPTransport.connect(configuration: AMQPConfiguration(transportURL: try TransportURL(parsing: url)),
                                        options: AMQPTransportOptions(connectionName: name), logger: logger)
    }

    static func withoutCause(_ calls: JSONValue?) -> JSONValue {
        .array((calls?.arrayValue ?? []).map { call in
            var o = call.objectValue ?? [:]
            o["cause"] = nil
            return .object(o)
        })
    }

    @Test(.enabled(if: TestEnvironment.brokerEnabled), arguments: ["cluster_create_network_options", "cluster_upgrade"])
    func liveRunAndReplayAgree(_ name: String) async throws {
        try await Self.withVhost { url in
            let recording = try ReplayFixtures.recording(name)
            // The capture, through the firehose.
            let tap = try await Self.connect(url, "replay-test-record")
            let capture = BusRecorder(source: .firehose)
            let subscription = try await capture.subscribe(tap)
            let captured = LineBox()
            let reader = Task {
                for try await delivery in subscription {
                    if let line = capture.line(for: delivery, seq: captured.count, at: Date()) { captured.append(line) }
                    try await delivery.settle(.ack)
                }
            }
            // The live run.
            let worker = try await Self.connect(url, "replay-test-worker")
            let client = try await Self.connect(url, "replay-test-client")
            let live = try await ReplaySession.run(recording: recording, bus: ReplayBus(worker: worker, client: client), logger: Self.logger)
            let requests = live["requests"]?.arrayValue?.count ?? 0
            let expected = requests + (live["replies"]?.arrayValue?.count ?? 0) + (live["notifications"]?.arrayValue?.count ?? 0)
            let deadline = Date().addingTimeInterval(30)
            while captured.count < expected && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            await subscription.cancel()
            reader.cancel()
            await worker.close()
            await client.close()
            await tap.close()

            let memory = try await ReplayFixtures.replay(name)
            #expect(ReplayDiff.render(expected: memory["executor_calls"] ?? .null, actual: live["executor_calls"] ?? .null).isEmpty)
            for key in ["requests", "replies", "notifications", "database"] {
                #expect(ReplayDiff.render(expected: memory[key] ?? .null, actual: live[key] ?? .null).isEmpty, "\(name) \(key)")
            }
            let helmCalls = memory["executor_calls"]?["helm"]?.arrayValue?.count ?? 0
            #expect(helmCalls > 0)

            // The capture holds the requests (masked), the replies and the notifications, and
            // replays to the same executor calls.
            #expect(captured.count == expected)
            let lines = captured.lines
            #expect(!lines.joined().contains("gAAAAAB"), "a token was recorded")
            let fromCapture = try await ReplaySession.run(recording: Array(lines.joined(separator: "\n").utf8), logger: Self.logger)
            for executor in ["helm", "kubernetes", "openstack"] {
                #expect(Self.withoutCause(fromCapture["executor_calls"]?[executor]) == Self.withoutCause(memory["executor_calls"]?[executor]),
                        "\(name) \(executor)")
            }
        }
    }
}

/// Lines captured by the reader task.
final class LineBox: Sendable {
    private let stored = Mutex<[String]>([])
    var count: Int { stored.withLock { $0.count } }
    var lines: [String] { stored.withLock { $0 } }
    func append(_ line: String) { stored.withLock { $0.append(line) } }
}
