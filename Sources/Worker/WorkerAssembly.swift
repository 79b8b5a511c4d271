public import CapiHelmRuntime
import ClusterCertificates
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

    /// Every option the conductor and the driver read (the CLI adds messaging and operations).
    public static func register(into registry: inout OptionRegistry) {
        for spec in ConductorService.optionSpecs + DatabaseSettings.optionSpecs { registry.register(spec) }
        CapiHelmRuntimeOptions.register(into: &registry)
    }

    /// Builds the worker over `store` (already opened and checked against Magnum's schema).
    /// `reliability` (leases, journal, sharding; docs/reliability.md) takes the store's database
    /// and `ReliabilityOptions(configuration:)`.
    ///
    /// - Throws: `CapiHelmRuntimeStartupError` (every startup problem, each naming its option)
    ///   or the `ConfigError` of a bad conductor option.
    public static func build(configuration: Configuration, transport: any MessageTransport,
                             notificationTransport: (any MessageTransport)? = nil, store: any ClusterStore,
                             rpcOptions: RPCServerOptions = RPCServerOptions(settlement: ConductorService.settlement()),
                             clock: any WorkerClock = WallClock(), periodicMode: ConductorService.PeriodicMode = .automatic,
                             runtimeHooks: CapiHelmRuntime.Hooks = CapiHelmRuntime.Hooks(),
                             reliability: ReliabilitySetup? = nil, logger: Logger) async throws -> WorkerAssembly {
        let options = try ConductorOptions(configuration: configuration)
        let selection = try DriverSelectionOptions(configuration: configuration)
        let x509 = try X509Options(configuration: configuration)
        let runtime = try await CapiHelmRuntime.start(configuration: configuration, store: store, logger: logger, hooks: runtimeHooks)
        let drivers = ClusterDriverRegistry(
            [ClusterDriverRegistry.Entry(name: CapiHelmClusterDriver.entryPoint,
                                         driver: CapiHelmClusterDriver(driver: runtime.driver(logger: logger)))],
            options: selection)
        let conductor = ConductorService(options: options, transport: transport, notificationTransport: notificationTransport,
                                         store: store, drivers: drivers, x509: x509, rpcOptions: rpcOptions, clock: clock,
                                         periodicMode: periodicMode, reliability: reliability, logger: logger)
        return WorkerAssembly(conductor: conductor, runtime: runtime, drivers: drivers, options: options)
    }
}
