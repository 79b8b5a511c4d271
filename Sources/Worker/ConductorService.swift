public import ClusterCertificates
public import ClusterStore
import JSON
public import Logging
public import MagnumObjects
public import OsloConfig
public import OsloMessaging
import Synchronization

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
    /// Leases, journal and sharding when several workers share the bus and the database.
    public nonisolated let reliability: ConductorReliability?
    public nonisolated let shard: ClusterShard?
    public nonisolated let reliabilityOptions: ReliabilityOptions?
    nonisolated let workerDatabase: (any SQLDatabase)?
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
                notificationObserver: (@Sendable (_ eventType: String, _ published: Bool) -> Void)? = nil,
                reliability setup: ReliabilitySetup? = nil, logger: Logger) {
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
        var reliability: ConductorReliability?
        var shard: ClusterShard?
        var drivers = drivers
        if let setup {
            let leases = ClusterLeases(table: ClusterLeaseTable(database: setup.database),
                                       owner: setup.owner ?? ClusterLeases.ownerID(host: options.host),
                                       leaseTime: setup.options.leaseTime, acquireTimeout: setup.options.leaseAcquireTimeout,
                                       clock: effectiveClock, events: setup.leaseEvents, logger: logger)
            reliability = ConductorReliability(leases: leases, journal: OperationJournal(database: setup.database),
                                               maxDeliveries: setup.options.maxDeliveries, clock: effectiveClock,
                                               notifications: notifications)
            if setup.options.sharding {
                shard = ClusterShard(store: store, host: options.host, memberTimeout: setup.options.leaseTime / 2,
                                     serviceDownTime: Double(options.serviceDownTime), clock: effectiveClock, logger: logger)
            }
            drivers = drivers.journaled(logger: logger)
        }
        self.reliability = reliability
        self.shard = shard
        self.reliabilityOptions = setup?.options
        self.workerDatabase = setup?.database
        let conductor = Conductor(store: store, drivers: drivers, certificates: certificates, notifications: notifications, logger: logger)
        var endpoints = ConductorEndpoints.all(conductor: conductor, indirection: IndirectionAPI(store: store, logger: logger))
        if let reliability {
            endpoints = endpoints.map { GuardedEndpoint($0, reliability: reliability, store: store) }
        }
        let dispatcher = RPCDispatcher(endpoints: endpoints, serializer: MagnumObjectSerializer(), pingEnabled: options.rpcPingEnabled)
        self.notifications = notifications
        self.conductor = conductor
        self.dispatcher = dispatcher
        self.statusSync = ClusterStatusSync(store: store, drivers: drivers, certificates: certificates, notifications: notifications,
                                            maxConcurrency: options.periodicMaxConcurrency, shard: shard,
                                            leases: reliability?.leases, logger: logger)
        self.heartbeat = ServiceHeartbeat(store: store, host: options.host, logger: logger)
        // Requests carry Magnum's objects: their keys' strings are shared, as oslo's are.
        var serverOptions = rpcOptions
        serverOptions.limits.sharedKeys = rpcOptions.limits.sharedKeys.adding(ObjectRegistry.magnum.wireKeys)
        self.server = RPCServer(transport: transport,
                                target: RPCTarget(exchange: options.controlExchange, topic: options.topic, server: options.host),
                                dispatcher: dispatcher, options: serverOptions, logger: logger)
        self.scheduler = PeriodicTaskScheduler(clock: effectiveClock, logger: logger)
    }

    /// Every option the conductor reads, for `check-config` and unknown-option warnings.
    public static let optionSpecs: [OptionSpec] = ConductorOptions.optionSpecs + DriverSelectionOptions.optionSpecs + X509Options.optionSpecs
        + ReliabilityOptions.optionSpecs

    /// Acknowledge after the handler: success and Magnum's own failures (recorded in the
    /// database and notified, as Magnum does) are acked; a call is always acked once answered;
    /// a cast that could not run now (cluster busy elsewhere, database unreachable) is requeued;
    /// a cast no handler could take (unknown method or version, arguments that do not bind), a
    /// poison request (`PoisonMessage`) or a cast that failed unexpectedly (a bug) is
    /// dead-lettered, so it is kept for an operator instead of vanishing. See docs/reliability.md.
    public static func settlement() -> SettlementPolicy {
        SettlementPolicy(timing: .afterOutcome) { outcome in
            guard let error = outcome.error else { return .ack }
            // A call is answered (oslo's reply semantics: a reply or the caller's timeout, never
            // a late run after the caller gave up).
            if outcome.isCall { return .ack }
            // A cast that could not run now (its cluster busy elsewhere, the database away) is
            // handed back to the broker; the journal bounds how often one is started.
            if error is any RetryableError { return .requeue }
            if let store = error as? StoreError, store.kind == .connection { return .requeue }
            if error is PoisonMessage { return .deadLetter }
            // A cast no handler could take (unknown method or version, arguments or objects that
            // do not bind) changed nothing and would otherwise vanish: kept for an operator.
            if error is NoSuchMethod || error is UnsupportedVersion || error is ObjectError || error is IndirectionFailure { return .deadLetter }
            if let builtin = error as? PythonBuiltinError, ["TypeError", "ValueError"].contains(builtin.className) { return .deadLetter }
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
        let jitter = reliabilityOptions?.periodicJitter ?? 0
        // With sharding, a worker must be seen alive well within a lease time: it reports every
        // quarter of `lease_time`, and leaves the sharding after half a lease time of silence.
        let heartbeatInterval = reliabilityOptions.map { min(options.heartbeatInterval, $0.leaseTime / 4) } ?? options.heartbeatInterval
        await scheduler.add("update_magnum_service", interval: heartbeatInterval) { await heartbeat.report() }
        if let reliability, let retention = reliabilityOptions?.journalRetention {
            let clock = scheduler.clock, logger = self.logger
            await scheduler.add("prune_operation_journal", interval: 3600, jitter: jitter) {
                do { try await reliability.journal.prune(finishedBefore: clock.now().adding(seconds: -retention)) } catch {
                    logger.warning("could not prune capi_worker_journal: \(error)")
                }
            }
        }
        guard options.periodicEnable else { return }
        await scheduler.add("sync_cluster_status", interval: options.statusSyncInterval, jitter: jitter) {
            await statusSync.syncClusterStatus()
        }
        if options.healthPollingInterval >= 0 {
            let interval = options.healthPollingInterval == 0 ? Double(options.periodicIntervalMax) : Double(options.healthPollingInterval)
            await scheduler.add("sync_cluster_health_status", interval: interval, jitter: jitter) { await statusSync.syncClusterHealth() }
        }
    }

    public func start() async throws {
        guard !started else { return }
        if let workerDatabase { try await WorkerSchema.migrate(workerDatabase) }
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
        await reliability?.leases.releaseAll()
        logger.info("conductor stopped")
    }

    /// SIGTERM: stops consuming at once, gives running requests up to `gracePeriod` seconds
    /// (default `[capi_worker] shutdown_timeout`) to finish and settle, stops the periodic
    /// tasks. Returns whether everything finished in time. When it did not, the caller must
    /// close the broker connection and exit: the unsettled deliveries go back to the broker
    /// (another worker resumes them from the journal) and the leases expire after `lease_time`;
    /// when it did, the leases are released here.
    @discardableResult
    public func shutdown(gracePeriod: Double? = nil) async -> Bool {
        guard started else { return true }
        started = false
        let grace = gracePeriod ?? reliabilityOptions?.shutdownTimeout ?? 30
        let server = self.server
        let stopping = Task { await server.stop() }
        let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let once = ResumeOnce()
            let resume: @Sendable (Bool) -> Void = { value in
                if once.claim() { continuation.resume(returning: value) }
            }
            Task { await stopping.value; resume(true) }
            Task { try? await Task.sleep(for: .seconds(grace)); resume(false) }
        }
        await scheduler.stop()
        if finished {
            await reliability?.leases.releaseAll()
            logger.info("conductor stopped")
        } else {
            logger.warning("requests still running after \(grace) s; their deliveries go back to the broker when the connection closes")
        }
        return finished
    }

    /// Clusters whose lease this worker holds now.
    public var leasesHeld: [String] {
        get async { await reliability?.leases.heldResources ?? [] }
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

/// The first of several racing completions wins.
final class ResumeOnce: Sendable {
    private let done = Mutex(false)
    func claim() -> Bool { done.withLock { d in defer { d = true }; return !d } }
}
