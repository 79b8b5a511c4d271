public import ClusterStore
public import OsloConfig

/// `[capi_worker]` options for running several workers safely (docs/reliability.md).
public struct ReliabilityOptions: Sendable, Equatable {
    /// `lease_time`: seconds a cluster lease lasts without renewal; a dead worker's clusters are
    /// free after at most this long, and a worker whose heartbeat stopped growing for this long
    /// leaves the sharding.
    public var leaseTime: Double
    /// `lease_acquire_timeout`: seconds a request waits for a busy cluster before it is handed
    /// back to the broker.
    public var leaseAcquireTimeout: Double
    /// `max_deliveries`: a request started this many times without finishing is dead-lettered.
    public var maxDeliveries: Int
    /// `shutdown_timeout`: seconds running requests get to finish on SIGTERM before their
    /// deliveries are handed back to the broker.
    public var shutdownTimeout: Double
    /// `sharding`: split the status and health syncs across live workers.
    public var sharding: Bool
    /// `periodic_jitter`: up to this many seconds added to each periodic run's interval.
    public var periodicJitter: Double
    /// `journal_retention`: seconds finished requests stay in the journal (late redeliveries
    /// are recognised for this long).
    public var journalRetention: Double

    public init(leaseTime: Double = 60, leaseAcquireTimeout: Double = 60, maxDeliveries: Int = 5, shutdownTimeout: Double = 30,
                sharding: Bool = true, periodicJitter: Double = 2, journalRetention: Double = 7 * 86400) {
        self.leaseTime = leaseTime
        self.leaseAcquireTimeout = leaseAcquireTimeout
        self.maxDeliveries = maxDeliveries
        self.shutdownTimeout = shutdownTimeout
        self.sharding = sharding
        self.periodicJitter = periodicJitter
        self.journalRetention = journalRetention
    }

    static let group = ConductorOptions.workerGroup

    public static let optionSpecs: [OptionSpec] = [
        OptionSpec(group, "lease_time", .float(min: 1, max: nil), default: "60",
                   help: "Seconds a worker's lease on a cluster lasts without renewal; a dead worker's clusters are taken over after at most this long."),
        OptionSpec(group, "lease_acquire_timeout", .float(min: 0, max: nil), default: "60",
                   help: "Seconds a request waits for a cluster another worker is acting on before it is handed back to the broker."),
        OptionSpec(group, "max_deliveries", .integer(min: 1, max: 1000), default: "5",
                   help: "A request started this many times without finishing is dead-lettered with an error notification."),
        OptionSpec(group, "shutdown_timeout", .float(min: 0, max: nil), default: "30",
                   help: "Seconds running requests get to finish on SIGTERM before they are handed back to the broker."),
        OptionSpec(group, "sharding", .boolean, default: "true",
                   help: "Split the periodic status and health syncs across the live workers (rendezvous hashing over magnum_service)."),
        OptionSpec(group, "periodic_jitter", .float(min: 0, max: nil), default: "2",
                   help: "Up to this many seconds are added at random to each periodic run's interval."),
        OptionSpec(group, "journal_retention", .float(min: 60, max: nil), default: "604800",
                   help: "Seconds finished requests are kept in capi_worker_journal."),
    ]

    public init(configuration: Configuration) throws {
        self.init()
        let g = Self.group
        if let v = try configuration.double(g, "lease_time") { leaseTime = v }
        if let v = try configuration.double(g, "lease_acquire_timeout") { leaseAcquireTimeout = v }
        if let v = try configuration.int(g, "max_deliveries") { maxDeliveries = v }
        if let v = try configuration.double(g, "shutdown_timeout") { shutdownTimeout = v }
        if let v = try configuration.bool(g, "sharding") { sharding = v }
        if let v = try configuration.double(g, "periodic_jitter") { periodicJitter = v }
        if let v = try configuration.double(g, "journal_retention") { journalRetention = v }
    }
}

/// What `ConductorService` needs to run with leases, the journal and sharding: the database the
/// worker's tables live in (the store's), the options, and metric hooks.
public struct ReliabilitySetup: Sendable {
    public var database: any SQLDatabase
    public var options: ReliabilityOptions
    public var leaseEvents: LeaseEvents
    /// The lease owner; default `host/pid/random` (`ClusterLeases.ownerID`).
    public var owner: String?

    public init(database: any SQLDatabase, options: ReliabilityOptions = ReliabilityOptions(), leaseEvents: LeaseEvents = .none,
                owner: String? = nil) {
        self.database = database
        self.options = options
        self.leaseEvents = leaseEvents
        self.owner = owner
    }
}
