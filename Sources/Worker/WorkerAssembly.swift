public import CapiHelmRuntime
public import ClusterCertificates
public import ClusterStore
import Foundation
public import Logging
public import OsloConfig
public import OsloMessaging

/// `[database]` as the worker reads it: Magnum's `connection` (SQLAlchemy URL), and the oslo.db
/// pool options that map onto the MariaDB pool. Other oslo.db options are accepted and reported
/// as having no effect, so an existing magnum.conf validates cleanly.
public struct DatabaseSettings: Sendable, Equatable {
    /// `[database] connection`: `mysql+pymysql://user:pass@host/magnum`, or `sqlite:///path`.
    /// Holds a password: never logged (the store logs it masked).
    public var connection: String
    public var maxPoolSize: Int

    public init(connection: String, maxPoolSize: Int = 5) {
        self.connection = connection
        self.maxPoolSize = maxPoolSize
    }

    /// Used when `[database] connection` is unset: an SQLite file under `[DEFAULT] state_path`.
    public static let embeddedDefault = "sqlite:///$state_path/magnum-capi-worker.sqlite"

    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("database", "connection", .string, default: embeddedDefault,
                   secret: true, deprecatedNames: [OptionName("DEFAULT", "sql_connection"), OptionName("sql", "connection")],
                   help: "The SQLAlchemy connection string of Magnum's database (mysql+pymysql://, mysql://, mariadb:// or sqlite:///). Unset: an SQLite database under state_path, for trying the worker out."),
        OptionSpec("database", "max_pool_size", .integer(min: 1, max: 1000), default: "5",
                   help: "Most connections the worker keeps open to a MariaDB/MySQL database."),
    ] + ["backend", "slave_connection", "sqlite_synchronous", "connection_debug", "connection_trace", "max_overflow",
         "pool_timeout", "connection_recycle_time", "max_retries", "retry_interval", "db_retry_interval",
         "db_inc_retry_interval", "db_max_retry_interval", "db_max_retries", "mysql_sql_mode", "mysql_enable_ndb",
         "mysql_wsrep_sync_wait", "connection_parameters", "use_db_reconnect", "asyncio_connection", "asyncio_slave_connection"].map {
        OptionSpec("database", $0, .string, help: "oslo.db option accepted for compatibility; it has no effect on this worker.")
    }

    public init(configuration: Configuration) throws {
        let raw = try configuration.string("database", "connection") ?? ""
        connection = raw.isEmpty ? Self.embeddedDefault : raw
        if connection.contains("$state_path") {
            let statePath = try configuration.string("DEFAULT", "state_path") ?? "/var/lib/magnum"
            connection = connection.replacingOccurrences(of: "$state_path", with: statePath)
        }
        maxPoolSize = try configuration.int("database", "max_pool_size") ?? 5
    }
}

/// The conductor and the capi-helm driver assembled from one magnum.conf: the runtime's ports
/// (real or offline, per `[capi_worker]`), the driver registry with `k8s_capi_helm_v1`, and
/// `ConductorService` on the given transport. `serve`, `replay` and the benchmarks all build
/// the worker here, so they run the same dispatcher, endpoints and driver.
public struct WorkerAssembly: Sendable {
    public let conductor: ConductorService
    public let runtime: CapiHelmRuntime
    public let drivers: ClusterDriverRegistry
    public let options: ConductorOptions
    /// The certificate options the conductor was built with (for more consumers).
    public let x509: X509Options

    /// Every option the conductor and the driver read (the CLI adds messaging and operations).
    public static func register(into registry: inout OptionRegistry) {
        for spec in ConductorService.optionSpecs + DatabaseSettings.optionSpecs { registry.register(spec) }
        CapiHelmRuntimeOptions.register(into: &registry)
    }

    /// Builds the worker over `store` (already opened and checked against Magnum's schema).
    /// `reliability` (leases, journal, sharding; docs/reliability.md) takes the store's database
    /// and `ReliabilityOptions(configuration:)`.
    ///
    /// - Throws: `WorkerStartupError` with every problem found (conductor options, the driver
    ///   runtime's startup checks), each naming its option.
    public static func build(configuration: Configuration, transport: any MessageTransport,
                             notificationTransport: (any MessageTransport)? = nil, store: any ClusterStore,
                             rpcOptions: RPCServerOptions = RPCServerOptions(settlement: ConductorService.settlement()),
                             clock: any WorkerClock = WallClock(), periodicMode: ConductorService.PeriodicMode = .automatic,
                             runtimeHooks: CapiHelmRuntime.Hooks = CapiHelmRuntime.Hooks(),
                             notificationObserver: (@Sendable (_ eventType: String, _ published: Bool) -> Void)? = nil,
                             reliability: ReliabilitySetup? = nil, logger: Logger) async throws(WorkerStartupError) -> WorkerAssembly {
        var problems: [String] = []
        var options: ConductorOptions?
        var selection: DriverSelectionOptions?
        var x509: X509Options?
        var x509Problem: String?
        do { options = try ConductorOptions(configuration: configuration) } catch { problems.append("\(error)") }
        do { selection = try DriverSelectionOptions(configuration: configuration) } catch { problems.append("\(error)") }
        do { x509 = try X509Options(configuration: configuration) } catch { x509Problem = "\(error)" }
        var runtime: CapiHelmRuntime?
        do {
            runtime = try await CapiHelmRuntime.start(configuration: configuration, store: store, logger: logger, hooks: runtimeHooks)
        } catch {
            problems += error.problems.map(\.description)
        }
        // The runtime checks the certificate options too; report them once.
        if let x509Problem, !problems.contains(where: { $0.contains("[certificates]") || $0.contains("[x509]") }) {
            problems.append(x509Problem)
        }
        guard problems.isEmpty, let options, let selection, let x509, let runtime else {
            await runtime?.shutdown()
            throw WorkerStartupError(problems: problems.isEmpty ? ["the worker could not be assembled"] : problems)
        }
        let drivers = ClusterDriverRegistry(
            [ClusterDriverRegistry.Entry(name: CapiHelmClusterDriver.entryPoint,
                                         driver: CapiHelmClusterDriver(driver: runtime.driver(logger: logger)))],
            options: selection)
        let conductor = ConductorService(options: options, transport: transport, notificationTransport: notificationTransport,
                                         store: store, drivers: drivers, x509: x509, rpcOptions: rpcOptions, clock: clock,
                                         periodicMode: periodicMode, notificationObserver: notificationObserver,
                                         reliability: reliability, logger: logger)
        return WorkerAssembly(conductor: conductor, runtime: runtime, drivers: drivers, options: options, x509: x509)
    }

    /// One more consumer of the conductor topic in this process (`serve --workers N`): the same
    /// driver runtime, store and options on its own broker connection, with its own lease owner,
    /// and without periodic tasks (the first consumer runs them once for the process; they
    /// share its host name, hence its shard). Its heartbeat keeps the shared service row fresh.
    public func additionalConsumer(transport: any MessageTransport, notificationTransport: (any MessageTransport)? = nil,
                                   store: any ClusterStore,
                                   rpcOptions: RPCServerOptions = RPCServerOptions(settlement: ConductorService.settlement()),
                                   notificationObserver: (@Sendable (_ eventType: String, _ published: Bool) -> Void)? = nil,
                                   reliability: ReliabilitySetup? = nil, logger: Logger) -> ConductorService {
        var consumerOptions = options
        consumerOptions.periodicEnable = false
        return ConductorService(options: consumerOptions, transport: transport, notificationTransport: notificationTransport,
                                store: store, drivers: drivers, x509: x509, rpcOptions: rpcOptions,
                                notificationObserver: notificationObserver, reliability: reliability, logger: logger)
    }
}

/// The worker cannot start: every problem found in magnum.conf or its environment, each a line
/// naming the option to change. Nothing secret is quoted.
public struct WorkerStartupError: Error, Sendable, CustomStringConvertible {
    public let problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    public var description: String {
        "The worker cannot start (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
