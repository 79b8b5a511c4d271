import Foundation
import JSON
import Logging
import OsloMessaging
import Testing
import TestSupport

/// The `serve` process, alone in its address space, under the 10,000 fuzzed envelopes of
/// `FuzzedEnvelopes` on a real RabbitMQ: it stays up and answers afterwards, and its resident
/// size does not grow with the number of requests (the in-process fuzz test cannot tell, as the
/// in-memory broker and the test's own copies share its process).
@Suite("serve under fuzzed envelopes")
struct ServeFuzzMemoryTests {
    @Test("serve stays up under 10,000 fuzzed envelopes and its resident size stays flat from the 5,000th to the 10,000th",
          .enabled(if: TestEnvironment.brokerEnabled), .timeLimit(.minutes(10)))
    func residentSizeStaysFlat() async throws {
        let broker = try TestEnvironment.requireBroker()
        let directory = try TestEnvironment.temporaryDirectory("e2e-fuzz")
        defer { try? FileManager.default.removeItem(at: directory) }
        let suffix = UInt32.random(in: 0...UInt32.max)
        let exchange = "e2efuzz\(suffix)"
        let topic = "fuzz-conductor-\(suffix)"
        let conf = try ServeEndToEndTests.writeConfiguration(
            in: directory, brokerURL: broker.url, exchange: exchange, extra: "\n[conductor]\ntopic = \(topic)\n")

        let worker = try ServeProcess(["serve", "--config-file", conf], log: directory.appendingPathComponent("worker.log"))
        func workerLog() -> String { worker.output }
        try #require(try await worker.waitUntilServing(seconds: 60), "not serving:\n\(workerLog().suffix(3000))")

        var logger = Logger(label: "e2e-fuzz")
        logger.logLevel = .warning
        let transport = try await MessagingSettings(transportURL: broker.url).connectTransport(connectionName: "e2e-fuzz", logger: logger)
        try await transport.declareQueue(QueueDeclaration(name: FuzzedEnvelopes.replyQueue))
        var generator = FuzzedEnvelopes.Generator(state: 20_261_126)
        var published = 0

        /// Publishes messages up to `end`, then waits until the worker has settled all of them.
        func run(upTo end: Int) async throws {
            while published < end {
                let batch = (published..<min(end, published + 200)).map {
                    FuzzedEnvelopes.message($0, &generator, conductorQueue: topic).body
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for body in batch {
                        group.addTask {
                            _ = try await transport.publish(OutgoingMessage(
                                exchange: exchange, routingKey: topic, body: body, properties: .oslo(), mandatory: false))
                        }
                    }
                    try await group.waitForAll()
                }
                published += batch.count
            }
            let deadline = Date().addingTimeInterval(300)
            while try await broker.queueMessages()[topic] != 0 {
                try #require(worker.isRunning, "serve died:\n\(workerLog().suffix(3000))")
                try #require(Date() < deadline, "messages still queued after 300 s")
                try await Task.sleep(for: .milliseconds(500))
            }
        }

        let start = ProcessMemory.of(worker.pid)
        try await run(upTo: 5_000)
        let middle = ProcessMemory.of(worker.pid)
        try await run(upTo: 10_000)
        let end = ProcessMemory.of(worker.pid)
        print("serve fuzz: VmRSS \(start.resident) KiB at start, \(middle.resident) KiB after 5,000, \(end.resident) KiB after 10,000 (peak \(end.peak) KiB)")

        // Still answering.
        let client = RPCClient(transport: transport, target: RPCTarget(exchange: exchange, topic: topic),
                               options: RPCClientOptions(timeout: .seconds(30)), logger: logger)
        let pong = try await client.call("ping_conductor", context: RequestContext())
        #expect(pong == true)
        await client.close()
        _ = try? await transport.deleteQueue(named: FuzzedEnvelopes.replyQueue)
        await transport.close()

        // The second 5,000 requests hold the same mix as the first (two over the body limit,
        // a few of 128 KiB to 1 MiB): a per-request leak would add at least their bodies again.
        #expect(end.resident - middle.resident < 48 * 1024,
                "VmRSS grew from \(middle.resident) to \(end.resident) KiB over the second 5,000 requests")
        worker.signal(SIGTERM)
        let exit = try await worker.waitForExit()
        #expect(exit.isClean, "\(exit):\n\(workerLog().suffix(3000))")
    }
}
