import ArgumentParser
import CapiHelmRuntime
import ClusterStore
import Foundation
import Logging
import Operations
import OsloConfig
import OsloMessaging
import ServiceLifecycle
import Worker

/// `magnum-capi-worker serve`: the drop-in for `magnum-conductor`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the worker: Magnum's conductor for Cluster API + Helm clusters.",
        discussion: """
            Reads magnum.conf as magnum-conductor does (--config-file, --config-dir), opens Magnum's \
            database ([database] connection), connects to RabbitMQ ([DEFAULT] transport_url, \
            [oslo_messaging_rabbit]), checks the capi-helm driver's environment (helm, chart, management \
            cluster, OpenStack; [capi_helm], [capi_worker]) and serves the conductor topic \
            ([conductor] topic on [DEFAULT] control_exchange, server [DEFAULT] host) with Magnum's \
            endpoints, the periodic status and health syncs and the magnum_service heartbeat. \
            Notifications follow [oslo_messaging_notifications].

            Prometheus metrics and health endpoints: http://[capi_worker] metrics_bind_address:metrics_port \
            /metrics, /healthz, /readyz.

            Several workers share the load safely: each request is acknowledged only once its outcome is in \
            the database, a cluster is worked on by one worker at a time (leases in the worker's own \
            tables), and the periodic syncs are split across live workers ([capi_worker] lease_time, \
            sharding, max_deliveries; docs/reliability.md).

            SIGNALS: SIGTERM or SIGINT stop gracefully (stop consuming, let running requests finish for up \
            to [capi_worker] shutdown_timeout, hand the rest back to the broker, release leases, close \
            connections). SIGHUP reopens log files.

            Startup problems (a bad option, helm missing, the management cluster unreachable, ...) are all \
            listed, each with the option to change, and the exit status is 2. Run `check-config` first to \
            see them without starting anything.

            EXIT STATUS: 0 after a graceful stop, 1 on a failure while running, 2 when the worker cannot start.
            """)

    @OptionGroup var config: ConfigFileOptions

    @Option(name: .long, help: ArgumentHelp("Consumers of the conductor topic in this process, each on its own broker connection with its own cluster leases; the periodic tasks run once per process. Default: 1 ([conductor] workers is not used: Magnum's processes become consumers here).", valueName: "N"))
    var workers: Int = 1

    @Option(name: .long, help: ArgumentHelp("Stop after this many seconds (demos, tests); 0 runs until a signal.", valueName: "seconds"))
    var runFor: Double = 0

    func run() async throws {
        let processStart = Date().timeIntervalSince1970
        let logging = OperationsLogging.bootstrap()
        let loaded: (configuration: Configuration, files: [String], dirs: [String])
        do {
            loaded = try config.load()
        } catch {
            FileHandle.standardError.write(Data("magnum-capi-worker: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let configuration = loaded.configuration
        logging.knownSecrets.registerSecrets(of: configuration)
        let (errors, warnings) = configuration.validate()
        let logger = Logger(label: "worker")
        let operations: OperationsSettings
        do {
            guard errors.isEmpty else { throw StartupFailure(lines: errors.map(\.description)) }
            operations = try OperationsSettings(configuration: configuration)
            try logging.configure(operations.logging)
        } catch let failure as StartupFailure {
            logger.critical("cannot start:\n\(failure.lines.map { "  - \($0)" }.joined(separator: "\n"))")
            throw ExitCode(2)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(2)
        }
        let files = loaded.files + loaded.dirs.map { "\($0)/*.conf" }
        logger.info("magnum-capi-worker \(MagnumCapiWorker.version) starting", metadata: [
            "config": "\(files.isEmpty ? "defaults" : files.joined(separator: ","))", "pid": "\(getpid())",
        ])
        for warning in warnings { logger.warning("\(warning)") }
        for warning in operations.warnings { logger.warning("\(warning)") }

        let prometheus = OperationsMetrics.bootstrap()
        let metrics = WorkerMetrics(version: MagnumCapiWorker.version, startTime: processStart)
        let health = HealthMonitor(settings: operations.readiness, redactor: logging.output.redactor)

        let worker: RunningWorker
        do {
            guard (1...64).contains(workers) else { throw StartupFailure(lines: ["--workers \(workers): use 1 to 64"]) }
            worker = try await RunningWorker.start(configuration: configuration, workers: workers, metrics: metrics, health: health,
                                                   logger: logger)
        } catch let failure as StartupFailure {
            logger.critical("cannot start:\n\(failure.lines.map { "  - \($0)" }.joined(separator: "\n"))")
            throw ExitCode(2)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(2)
        }

        var services: [any Service] = [worker]
        if runFor > 0 { services.append(StopAfter(seconds: runFor, logger: logger)) }
        let runner = WorkerServiceRunner(
            services: services,
            httpServer: operations.http.enabled
                ? OperationsHTTPServer(settings: operations.http, registry: prometheus, health: health, logger: Logger(label: "http"))
                : nil,
            logging: logging, health: health, logger: logger)
        do {
            try await runner.run()
        } catch {
            logger.error("stopped after a failure: \(error)")
            throw ExitCode(1)
        }
        logger.info("stopped")
    }
}

/// Several problems that keep the worker from starting, each a line an operator can act on.
struct StartupFailure: Error, CustomStringConvertible {
    let lines: [String]
    var description: String { lines.joined(separator: "; ") }
}

/// Stops the worker after a while (`--run-for`) the way an operator would: with SIGTERM, so the
/// graceful shutdown path is the one that runs.
struct StopAfter: Service {
    let seconds: Double
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        logger.info("--run-for \(seconds) s elapsed; stopping as on SIGTERM")
        kill(getpid(), SIGTERM)
        try? await gracefulShutdown()
    }
}
