public import ClusterCertificates
public import ClusterStore
import JSON
public import Logging
public import MagnumObjects
public import OsloConfig
public import OsloMessaging

/// magnum-conductor as one object (`magnum/cmd/conductor.py` + `rpc_service.Service`): the RPC
/// server on `[conductor] topic` (server = `[DEFAULT] host`, exchange `[DEFAULT]
/// control_exchange`) with Magnum's endpoints behind `MagnumObjectSerializer`, the notifier, the
/// periodic status and health syncs, and the `magnum_service` heartbeat.
///
/// `start()` declares and consumes the queues, then starts the periodic tasks; `stop()` stops
/// consuming (running requests finish), then the periodic tasks. With
/// `PeriodicMode.manual` nothing periodic runs by itself: the caller moves a `VirtualClock`
/// with `runPeriodicTasks(until:)` (tests, replay).
public actor ConductorService {
    public enum PeriodicMode: Sendable, Equatable {
        /// Periodic tasks run on their own, sleeping on the service's clock.
        case automatic
        /// Periodic tasks run only in `runPeriodicTasks(until:)`, on a virtual clock.
        case manual(VirtualClock)

        public static func == (a: PeriodicMode, b: PeriodicMode) -> Bool {
            switch (a, b) {
            case (.automatic, .automatic): return true
            case (.manual(let x), .manual(let y)): return x === y
            default: return false
            }
        }
    }

    public nonisolated let options: ConductorOptions
    public nonisolated let conductor: Conductor
    public nonisolated let statusSync: ClusterStatusSync
    public nonisolated let heartbeat: ServiceHeartbeat
    public nonisolated let notifications: ConductorNotifications
    public nonisolated let server: RPCServer
    public nonisolated let scheduler: PeriodicTaskScheduler
    public nonisolated let dispatcher: RPCDispatcher
    public nonisolated let periodicMode: PeriodicMode
    let logger: Logger
    private var started = false
    private var tasksConfigured = false

    /// - Parameters:
    ///   - transport: the broker connection for RPC (and notifications, unless
    ///     `notificationTransport` is given, for `[oslo_messaging_notifications] transport_url`).
    ///   - rpcOptions: rabbit options, settlement (default `ConductorService.settlement()`),
    ///     concurrency and limits of the RPC server.
    ///   - clock: the wall clock, or the `VirtualClock` of `periodicMode: .manual`.
    public init(options: ConductorOptions, transport: any MessageTransport, notificationTransport: (any MessageTransport)? = nil,
                store: any ClusterStore, drivers: ClusterDriverRegistry, x509: X509Options = .defaults,
                rpcOptions: RPCServerOptions = RPCServerOptions(settlement: ConductorService.settlement()),
                clock: any WorkerClock = WallClock(), periodicMode: PeriodicMode = .automatic,
                notificationObserver: (@Sendable (_ eventType: String, _ published: Bool) -> Void)? = nil, logger: Logger) {
        self.options = options
        self.periodicMode = periodicMode
        self.logger = logger
        let effectiveClock: any WorkerClock
        if case .manual(let virtual) = periodicMode { effectiveClock = virtual } else { effectiveClock = clock }
        var notifierOptions = NotifierOptions(driver: options.notificationDriver, topics: options.notificationTopics,
                                              exchange: options.controlExchange, rabbit: rpcOptions.rabbit)
        notifierOptions.observer = notificationObserver
        let notifier = options.notificationDriver == .noop ? nil
            : Notifier(transport: notificationTransport ?? transport, publisherID: "container-infra.\(options.host)",
                       options: notifierOptions, logger: logger)
        let notifications = ConductorNotifications(
            notifier: notifier, store: store, clock: effectiveClock, host: options.host,
            identifiers: CADFIdentifiers(namespace: options.auditNamespace), statusUpdates: options.statusUpdateNotifications,
            logger: logger)
        let certificates = ClusterCertificateService(store: ClusterStoreX509KeyPairs(store: store), options: x509, logger: logger)
        let conductor = Conductor(store: store, drivers: drivers, certificates: certificates, notifications: notifications, logger: logger)
        let dispatcher = RPCDispatcher(
            endpoints: ConductorEndpoints.all(conductor: conductor, indirection: IndirectionAPI(store: store, logger: logger)),
            serializer: MagnumObjectSerializer(), pingEnabled: options.rpcPingEnabled)
        self.notifications = notifications
        self.conductor = conductor
        self.dispatcher = dispatcher
        self.statusSync = ClusterStatusSync(store: store, drivers: drivers, certificates: certificates, notifications: notifications,
                                            maxConcurrency: options.periodicMaxConcurrency, logger: logger)
        self.heartbeat = ServiceHeartbeat(store: store, host: options.host, logger: logger)
        self.server = RPCServer(transport: transport,
                                target: RPCTarget(exchange: options.controlExchange, topic: options.topic, server: options.host),
                                dispatcher: dispatcher, options: rpcOptions, logger: logger)
        self.scheduler = PeriodicTaskScheduler(clock: effectiveClock, logger: logger)
    }

    /// Every option the conductor reads, for `check-config` and unknown-option warnings.
    public static let optionSpecs: [OptionSpec] = ConductorOptions.optionSpecs + DriverSelectionOptions.optionSpecs + X509Options.optionSpecs

    /// Acknowledge after the handler: success and Magnum's own failures (recorded in the
    /// database and notified, as Magnum does) are acked; a call is always acked once answered;
    /// a cast that failed unexpectedly (database unreachable, a bug) is dead-lettered, so it is
    /// kept for an operator instead of vanishing.
    public static func settlement() -> SettlementPolicy {
        SettlementPolicy(timing: .afterOutcome) { outcome in
            guard let error = outcome.error else { return .ack }
            if outcome.isCall { return .ack }
            switch error {
            case is MagnumError, is ObjectError, is IndirectionFailure, is PythonBuiltinError, is DriverNotImplemented,
                 is NoSuchMethod, is UnsupportedVersion, is CertificateOperationError:
                return .ack
            default:
                return .deadLetter
            }
        }
    }

    /// The periodic tasks, as `create_periodic_tasks` sets them up.
    private func configureTasks() async {
        guard !tasksConfigured else { return }
        tasksConfigured = true
        let heartbeat = self.heartbeat, statusSync = self.statusSync
        await scheduler.add("update_magnum_service", interval: options.heartbeatInterval) { await heartbeat.report() }
        guard options.periodicEnable else { return }
        await scheduler.add("sync_cluster_status", interval: options.statusSyncInterval) { await statusSync.syncClusterStatus() }
        if options.healthPollingInterval >= 0 {
            let interval = options.healthPollingInterval == 0 ? Double(options.periodicIntervalMax) : Double(options.healthPollingInterval)
            await scheduler.add("sync_cluster_health_status", interval: interval) { await statusSync.syncClusterHealth() }
        }
    }

    public func start() async throws {
        guard !started else { return }
        await configureTasks()
        try await server.start()
        started = true
        if case .automatic = periodicMode { await scheduler.start() }
        let tasks = await scheduler.taskNames
        logger.info("conductor started", metadata: [
            "topic": "\(options.topic)", "server": "\(options.host)", "exchange": "\(options.controlExchange)",
            "periodic": "\(tasks)",
        ])
    }

    /// Stops consuming (running handlers finish and settle), then the periodic tasks. The
    /// `magnum_service` row stays; magnum-api shows the service down after `service_down_time`.
    public func stop() async {
        guard started else { return }
        started = false
        await server.stop()
        await scheduler.stop()
        logger.info("conductor stopped")
    }

    /// Virtual time (`PeriodicMode.manual`): runs every periodic task due up to `time`.
    public func runPeriodicTasks(until time: Timestamp) async {
        guard case .manual(let clock) = periodicMode else {
            logger.warning("runPeriodicTasks(until:) needs PeriodicMode.manual; ignored")
            return
        }
        await configureTasks()
        await scheduler.advance(clock, to: time)
    }
}
