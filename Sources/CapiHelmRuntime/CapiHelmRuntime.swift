public import CapiHelmDriver
public import ClusterCertificates
public import ClusterStore
public import Foundation
public import Helm
public import Kubernetes
public import Logging
public import MagnumObjects
public import OsloConfig

/// The capi-helm driver wired to the world, built from `magnum.conf`: `DriverConfiguration`
/// plus `DriverPorts` whose adapters run helm, talk to the Cluster API management cluster, act
/// in OpenStack as the calling user, read Magnum's certificates and write Magnum's tables — or,
/// for the quickstart, demos and `--dry-run`, their offline variants (`[capi_worker] helm_mode`,
/// `management_cluster`, `offline_cloud_file`).
///
/// `start` runs the startup checks once (helm present and recent enough, chart locatable,
/// kubeconfig readable and the management cluster reachable with Cluster API installed,
/// OpenStack settings complete, offline files well-formed, the worker's tables migrated) and
/// fails with every problem found, each naming its option.
public struct CapiHelmRuntime: Sendable {
    public let configuration: DriverConfiguration
    public let settings: RuntimeSettings
    public let ports: DriverPorts
    let logger: Logger

    /// The real helm executor (`helm_mode = real`), or the renderer of render-only mode.
    public let helmExecutor: HelmCommandExecutor
    /// Render-only mode's port (what was rendered, the command lines that did not run).
    public let renderOnly: RenderOnlyHelmPort?
    /// `management_cluster = none | simulated`: the writes the driver made.
    public let offlineManagementCluster: OfflineManagementCluster?
    public let simulation: SimulatedManagementCluster?
    /// `offline_cloud_file`.
    public let offlineCloud: OfflineCloud?
    /// The helm version the startup check found.
    public let helmVersion: HelmVersion
    /// The management cluster the startup check reached (`management_cluster = real`).
    public let kubernetesReport: KubernetesStartupCheck.Report?
    let openStackPort: OpenStackClientPort?
    let kubernetesClient: KubernetesAPIClient?

    /// Test and tool hooks; the defaults are what `serve` uses.
    public struct Hooks: Sendable {
        /// The simulated management cluster's clock.
        public var simulationClock: @Sendable () -> Date = { Date() }
        /// The environment helm inherits pass-through variables and `KUBECONFIG` from.
        public var environment: [String: String]? = nil
        /// Told about every helm process (metrics).
        public var helmObserver: (@Sendable (HelmInvocation) -> Void)? = nil
        /// The driver's wall clock (operation timeouts); unset: the system clock.
        public var driverClock: (@Sendable () -> Timestamp)? = nil
        /// The random part of new release names (`short_id.generate_id`); unset: random.
        public var releaseSuffix: (@Sendable () -> String)? = nil
        /// 64 random bits for the offline cloud's made-up application credentials; unset: the
        /// system generator. The replay tool derives them from a seed, so runs are repeatable.
        public var offlineCloudRandom: (@Sendable () -> UInt64)? = nil
        public init() {}
    }

    /// The hooks the runtime was started with.
    public let hooks: Hooks

    /// A driver over these ports.
    public func driver(logger: Logger? = nil) -> CapiHelmDriver {
        let now = hooks.driverClock ?? SystemClock.now
        if let releaseSuffix = hooks.releaseSuffix {
            return CapiHelmDriver(configuration: configuration, ports: ports, logger: logger ?? self.logger, now: now, releaseSuffix: releaseSuffix)
        }
        return CapiHelmDriver(configuration: configuration, ports: ports, logger: logger ?? self.logger, now: now)
    }

    /// For readiness: whether the management cluster answers (`GET /version`), as a short text;
    /// `nil` without a real management cluster (offline modes).
    public func managementClusterStatus() async throws -> String? {
        guard let kubernetesClient else { return nil }
        let version = try await kubernetesClient.serverVersion()
        return "Kubernetes \(version["gitVersion"]?.stringValue ?? "answering")"
    }

    /// Stops helm's private directory and the HTTP clients.
    public func shutdown() async {
        helmExecutor.shutdown()
        openStackPort?.shutdown()
        kubernetesClient?.shutdown()
    }

    /// Builds the runtime from `configuration` (options registered with
    /// `CapiHelmRuntimeOptions.register`) over Magnum's database.
    ///
    /// - Parameters:
    ///   - store: Magnum's tables (`ClusterStores.open`).
    ///   - database: the store's SQL database for the worker's own tables; by default the one
    ///     under an SQLite or MariaDB store.
    ///   - keyPairs: where Magnum's certificates are; by default the store's `x509keypair` table.
    /// - Throws: `CapiHelmRuntimeStartupError` with every problem found.
    public static func start(configuration: Configuration, store: any ClusterStore, database: (any SQLDatabase)? = nil,
                             keyPairs: (any X509KeyPairStore)? = nil, logger: Logger,
                             hooks: Hooks = Hooks()) async throws(CapiHelmRuntimeStartupError) -> CapiHelmRuntime {
        var problems: [StartupProblem] = []
        func problem(_ error: ConfigError, fallback: String) {
            let location = error.location.map { " (\($0))" } ?? ""
            problems.append(StartupProblem(option: error.option?.description ?? fallback, error.message + location))
        }

        // Options.
        let (settings, settingsErrors) = RuntimeSettings.read(configuration)
        for error in settingsErrors { problem(error, fallback: "[capi_worker]") }
        var driverConfiguration = DriverConfiguration()
        do { driverConfiguration = try DriverConfiguration(configuration: configuration) } catch { problem(error, fallback: "[capi_helm]") }
        var resources = ClusterAPIResources()
        do {
            resources = try ClusterAPIResources(apiResources: driverConfiguration.capiHelm.apiResources)
        } catch {
            problems.append(StartupProblem(option: "[capi_helm] api_resources", error.message))
        }
        problems += RuntimeStartupChecks.modes(settings)

        // Helm.
        let helm = RuntimeStartupChecks.helmExecutor(settings, environment: hooks.environment, logger: logger,
                                                     observer: hooks.helmObserver)
        var helmVersion = HelmVersion(major: 0, minor: 0, patch: 0)
        var renderChart: String?
        switch settings.helmMode {
        case .real:
            let chart = HelmChartReference(name: driverConfiguration.capiHelm.helmChartName, repository: driverConfiguration.capiHelm.helmChartRepo)
            switch await RuntimeStartupChecks.helm(helm, chart: chart) {
            case .success(let version): helmVersion = version
            case .failure(let failure): problems.append(failure)
            }
        case .renderOnly:
            switch RuntimeStartupChecks.renderChart(settings) {
            case .success(let path): renderChart = path
            case .failure(let failure): problems.append(failure)
            }
            if let failure = RuntimeStartupChecks.renderOutput(settings) { problems.append(failure) }
            switch await RuntimeStartupChecks.helm(helm, chart: HelmChartReference(name: renderChart ?? "/")) {
            case .success(let version): helmVersion = version
            case .failure(let failure): problems.append(failure)
            }
        case .record:
            if let failure = RuntimeStartupChecks.renderOutput(settings) { problems.append(failure) }
        }

        // Offline state shared between processes (`offline_state_dir`), one event file per part.
        func offlineState(_ name: String) -> SharedEventLog? {
            guard let directory = settings.offlineStateDirectory else { return nil }
            switch RuntimeStartupChecks.offlineState(directory, name) {
            case .success(let log): return log
            case .failure(let failure):
                if !problems.contains(failure) { problems.append(failure) }
                return nil
            }
        }

        // The management cluster.
        var kubernetesReport: KubernetesStartupCheck.Report?
        var kubernetesClient: KubernetesAPIClient?
        var simulation: SimulatedManagementCluster?
        var offlineCluster: OfflineManagementCluster?
        switch settings.managementCluster {
        case .real:
            switch await RuntimeStartupChecks.kubernetes(settings, logger: logger) {
            case .success(let report):
                kubernetesReport = report
                do {
                    kubernetesClient = try KubernetesAPIClient(connection: report.connection, logger: logger)
                } catch {
                    problems.append(StartupProblem(option: "[capi_helm] kubeconfig_file", "no Kubernetes client could be made: \(error)"))
                }
            case .failure(let failure): problems.append(failure)
            }
        case .none, .simulated:
            if settings.managementCluster == .simulated {
                simulation = SimulatedManagementCluster(delay: settings.simulationDelay,
                                                        controlPlaneConditions: driverConfiguration.capiHelm.k8sControlPlaneResourceConditions,
                                                        now: hooks.simulationClock, log: offlineState(OfflineStateFiles.simulatedReleases),
                                                        logger: logger)
            }
            offlineCluster = OfflineManagementCluster(simulation: simulation, log: offlineState(OfflineStateFiles.managementCluster), logger: logger)
        }

        // OpenStack.
        var offlineCloud: OfflineCloud?
        var openStackPort: OpenStackClientPort?
        let caBundle = driverConfiguration.drivers.openstackCAFile.isEmpty ? nil : driverConfiguration.drivers.openstackCAFile
        if let failure = RuntimeStartupChecks.clusterCABundle(caBundle) { problems.append(failure) }
        if let path = settings.offlineCloudFile {
            switch RuntimeStartupChecks.offlineCloud(path) {
            case .success(let cloud):
                offlineCloud = OfflineCloud(cloud: cloud, clusterCABundleFile: caBundle, random: hooks.offlineCloudRandom,
                                            log: offlineState(OfflineStateFiles.applicationCredentials), logger: logger)
            case .failure(let failure): problems.append(failure)
            }
        } else {
            switch RuntimeStartupChecks.openStack(configuration) {
            case .success(let openStackSettings):
                do {
                    openStackPort = try OpenStackClientPort(settings: openStackSettings, logger: logger)
                } catch {
                    problems.append(StartupProblem(option: "[keystone_auth] cafile", "no HTTP client for OpenStack could be made: \(error)"))
                }
            case .failure(let found): problems += found.problems
            }
        }

        // Certificates.
        var certificateService: ClusterCertificateService?
        do {
            let options = try X509Options(configuration: configuration)
            certificateService = ClusterCertificateService(store: keyPairs ?? X509KeyPairTable(store: store), options: options, logger: logger)
        } catch {
            problem(error, fallback: "[x509]")
        }

        // The worker's tables.
        let sql = database ?? ClusterStorePersistence.database(of: store)
        if let sql {
            do {
                try await OperationStartTable.migrate(sql)
            } catch {
                problems.append(StartupProblem(option: "[database] connection", "the worker's table \(OperationStartTable.table) could not be created: \(error)"))
            }
        }

        let kubernetesPort: (any KubernetesPort)? = offlineCluster
            ?? kubernetesClient.map { KubernetesClientPort(client: $0, resources: resources, logger: logger) }
        let openStack: (any OpenStackPort)? = offlineCloud ?? openStackPort
        guard problems.isEmpty, let certificateService, let kubernetesPort, let openStack else {
            helm.shutdown()
            openStackPort?.shutdown()
            kubernetesClient?.shutdown()
            if problems.isEmpty { problems.append(StartupProblem(option: "[capi_worker]", "the runtime could not be assembled")) }
            throw CapiHelmRuntimeStartupError(problems: problems)
        }

        // Ports.
        var helmPort: any HelmPort
        var renderOnly: RenderOnlyHelmPort?
        switch settings.helmMode {
        case .real:
            helmPort = HelmExecutorPort(executor: helm, logger: logger)
        case .renderOnly, .record:
            let port = RenderOnlyHelmPort(
                executor: RenderOnlyHelmExecutor(renderer: helm, chartDirectory: settings.helmMode == .record ? "" : renderChart ?? "",
                                                 outputDirectory: settings.renderOutputDirectory),
                kubeconfigFile: settings.kubeconfigFile, logger: logger)
            renderOnly = port
            helmPort = port
        }
        if let simulation { helmPort = SimulatingHelmPort(helm: helmPort, simulation: simulation) }
        let ports = DriverPorts(helm: helmPort, kubernetes: kubernetesPort, openStack: openStack,
                                certificates: CertificateServicePort(service: certificateService),
                                store: ClusterStorePersistence(store: store, database: sql))
        logger.info("capi-helm driver runtime ready", metadata: [
            "helm_mode": "\(settings.helmMode.rawValue)", "management_cluster": "\(settings.managementCluster.rawValue)",
            "openstack": "\(settings.offlineCloudFile == nil ? "real" : "offline")", "helm_version": "\(helmVersion.text)",
            "compatibility": "\(driverConfiguration.worker.compatibility.rawValue)",
        ])
        return CapiHelmRuntime(configuration: driverConfiguration, settings: settings, ports: ports, logger: logger, helmExecutor: helm,
                               renderOnly: renderOnly, offlineManagementCluster: offlineCluster, simulation: simulation,
                               offlineCloud: offlineCloud, helmVersion: helmVersion, kubernetesReport: kubernetesReport,
                               openStackPort: openStackPort, kubernetesClient: kubernetesClient, hooks: hooks)
    }
}
