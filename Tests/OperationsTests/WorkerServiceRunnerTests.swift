import Foundation
import JSON
import Logging
import Operations
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Services start, drain and stop in the order an operator expects; signals do what systemd's
/// unit says they do. Serialized: the signal tests signal this very process.
@Suite(.serialized) struct WorkerServiceRunnerTests {
    final class Events: Sendable {
        private let list = Mutex<[String]>([])
        func append(_ e: String) { list.withLock { $0.append(e) } }
        var all: [String] { list.withLock { $0 } }
    }

    /// A worker loop that drains until the test lets it finish.
    struct DrainingService: Service {
        let started: Gate
        let mayFinish: Gate
        let events: Events

        func run() async throws {
            events.append("worker started")
            started.open()
            try? await gracefulShutdown()
            events.append("worker draining")
            await mayFinish.wait()
            events.append("worker stopped")
        }
    }

    static let quiet = Logger(label: "runner-test") { _ in SwiftLogNoOpLogHandler() }

    func makeServer(health: HealthMonitor, ports: AsyncStream<Int>.Continuation) -> OperationsHTTPServer {
        OperationsHTTPServer(settings: .init(enabled: true, host: "127.0.0.1", port: 0),
                             registry: PrometheusCollectorRegistry(), health: health, logger: Self.quiet,
                             onListening: { ports.yield($0) })
    }

    @Test func gracefulShutdownFailsReadinessFirstDrainsThenStopsTheEndpoints() async throws {
        let health = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .zero))
        health.registerReadinessCheck(ReadinessCheck.broker) { .healthy() }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let started = Gate(), mayFinish = Gate(), events = Events()
        let runner = WorkerServiceRunner(
            services: [DrainingService(started: started, mayFinish: mayFinish, events: events)],
            httpServer: makeServer(health: health, ports: portContinuation), logger: Self.quiet,
            gracefulShutdownSignals: [])
        let group = runner.makeServiceGroup()
        let run = Task { try await group.run() }

        var portIterator = ports.makeAsyncIterator()
        let port = try #require(await portIterator.next())
        await started.wait()
        #expect(try await HTTPTestClient.get(port: port, path: "/readyz").status == 200)

        await group.triggerGracefulShutdown()
        #expect(try await eventually { events.all.contains("worker draining") })
        let draining = try await HTTPTestClient.get(port: port, path: "/readyz")
        #expect(draining.status == 503)
        #expect(try JSONValue(parsing: draining.text)["note"] == "shutting down")
        #expect(try await HTTPTestClient.get(port: port, path: "/healthz").status == 200, "alive while draining")
        #expect(try await HTTPTestClient.get(port: port, path: "/metrics").status == 200)

        mayFinish.open()
        try await run.value
        #expect(events.all == ["worker started", "worker draining", "worker stopped"])
        await #expect(throws: HTTPTestClientError.self) { try await HTTPTestClient.get(port: port, path: "/healthz") }
    }

    @Test func sigtermStartsAGracefulShutdown() async throws {
        let started = Gate(), mayFinish = Gate(), events = Events()
        mayFinish.open()
        let runner = WorkerServiceRunner(
            services: [DrainingService(started: started, mayFinish: mayFinish, events: events)],
            health: HealthMonitor(), logger: Self.quiet)
        let run = Task { try await runner.run() }
        await started.wait()
        // ServiceGroup traps its signals before it starts any service.
        kill(getpid(), SIGTERM)
        try await run.value
        #expect(events.all == ["worker started", "worker draining", "worker stopped"])
    }

    @Test func sighupReopensTheLogFileAfterRotation() async throws {
        let dir = try TemporaryDirectory()
        let logging = OperationsLogging()
        logging.use(LogOutput(formatter: OsloLogFormatter(localTime: false), redactor: LogRedactor(),
                              sinks: [try LogFile(path: dir.file("worker.log"), watchInterval: 3600)], level: .info))
        let logger = Logger(label: "lifecycle") { logging.makeHandler(label: $0) }
        let installed = Gate(), started = Gate(), mayFinish = Gate(), events = Events()
        let hangups = CallCounter()
        let runner = WorkerServiceRunner(
            services: [DrainingService(started: started, mayFinish: mayFinish, events: events)],
            logging: logging, logger: logger, gracefulShutdownSignals: [],
            onHangup: { hangups.increment() }, onHangupInstalled: { installed.open() })
        let group = runner.makeServiceGroup()
        let run = Task { try await group.run() }
        await installed.wait()
        await started.wait()

        logger.info("before rotation")
        try FileManager.default.moveItem(atPath: dir.file("worker.log"), toPath: dir.file("worker.log.1"))
        logger.info("rotated, not reopened yet")
        kill(getpid(), SIGHUP)
        #expect(try await eventually { hangups.value == 1 })
        logger.info("after reopen")

        mayFinish.open()
        await group.triggerGracefulShutdown()
        try await run.value

        let old = dir.read("worker.log.1"), new = dir.read("worker.log")
        #expect(old.contains("[-] before rotation") && old.contains("[-] rotated, not reopened yet"))
        #expect(new.contains("[-] SIGHUP received: log files reopened"))
        #expect(new.contains("[-] after reopen"))
        #expect(!old.contains("after reopen"))
    }
}
