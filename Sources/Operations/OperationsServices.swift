public import Logging
public import ServiceLifecycle
public import UnixSignals

/// Reopens the log files on SIGHUP (logrotate's `postrotate`, systemd's `ExecReload`), then runs
/// the caller's extra hangup action, until graceful shutdown.
public struct LogReopenOnHangupService: Service {
    let logging: OperationsLogging?
    let logger: Logger
    let onHangup: @Sendable () async -> Void
    let onInstalled: @Sendable () async -> Void

    /// - Parameters:
    ///   - onHangup: more work on SIGHUP, after the logs were reopened.
    ///   - onInstalled: called once the SIGHUP handler is in place (tests wait for it).
    public init(logging: OperationsLogging?, logger: Logger, onHangup: @escaping @Sendable () async -> Void = {},
                onInstalled: @escaping @Sendable () async -> Void = {}) {
        self.logging = logging
        self.logger = logger
        self.onHangup = onHangup
        self.onInstalled = onInstalled
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await onInstalled()
        for await _ in signals.cancelOnGracefulShutdown() {
            let errors = logging?.reopen() ?? []
            if errors.isEmpty {
                logger.info("SIGHUP received: log files reopened")
            } else {
                for error in errors { logger.error("SIGHUP received: cannot reopen log file: \(error)") }
            }
            await onHangup()
        }
    }
}

/// The last service to be told about graceful shutdown is the first in line: it marks the
/// worker not ready at once, while the others drain and `/healthz`, `/metrics` keep answering.
struct ShutdownAnnouncerService: Service {
    let health: HealthMonitor
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        health.markShuttingDown()
        logger.info("graceful shutdown: readiness now fails while work drains")
    }
}

/// Runs the worker's services with an operator's expectations: SIGTERM/SIGINT start a graceful
/// shutdown (bounded by `maximumGracefulShutdownDuration`, after which the rest is cancelled),
/// SIGHUP reopens log files, readiness fails as soon as shutdown starts, and the HTTP endpoints
/// are stopped last so probes and scrapes keep working while work drains.
public struct WorkerServiceRunner: Sendable {
    public var services: [any Service]
    public var httpServer: OperationsHTTPServer?
    public var logging: OperationsLogging?
    public var health: HealthMonitor?
    public var logger: Logger
    public var gracefulShutdownSignals: [UnixSignal]
    /// Below systemd's `TimeoutStopSec=120` of etc/systemd, so we cancel before being killed.
    public var maximumGracefulShutdownDuration: Duration?
    public var onHangup: @Sendable () async -> Void
    public var onHangupInstalled: @Sendable () async -> Void

    public init(services: [any Service], httpServer: OperationsHTTPServer? = nil, logging: OperationsLogging? = nil,
                health: HealthMonitor? = nil, logger: Logger,
                gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
                maximumGracefulShutdownDuration: Duration? = .seconds(110),
                onHangup: @escaping @Sendable () async -> Void = {},
                onHangupInstalled: @escaping @Sendable () async -> Void = {}) {
        self.services = services
        self.httpServer = httpServer
        self.logging = logging
        self.health = health ?? httpServer?.health
        self.logger = logger
        self.gracefulShutdownSignals = gracefulShutdownSignals
        self.maximumGracefulShutdownDuration = maximumGracefulShutdownDuration
        self.onHangup = onHangup
        self.onHangupInstalled = onHangupInstalled
    }

    /// The group, in shutdown order: services are told to shut down from the last to the first,
    /// so the announcer goes first and the HTTP server and the SIGHUP handler last.
    public func makeServiceGroup() -> ServiceGroup {
        var entries: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let httpServer {
            entries.append(.init(service: httpServer))
        }
        entries.append(.init(service: LogReopenOnHangupService(
            logging: logging, logger: logger, onHangup: onHangup, onInstalled: onHangupInstalled)))
        for service in services {
            entries.append(.init(service: service))
        }
        if let health {
            entries.append(.init(service: ShutdownAnnouncerService(health: health, logger: logger)))
        }
        var configuration = ServiceGroupConfiguration(services: entries, logger: logger)
        configuration.gracefulShutdownSignals = gracefulShutdownSignals
        configuration.maximumGracefulShutdownDuration = maximumGracefulShutdownDuration
        return ServiceGroup(configuration: configuration)
    }

    /// Runs until every service has stopped (after a signal or a service's end).
    public func run() async throws {
        try await makeServiceGroup().run()
    }
}
