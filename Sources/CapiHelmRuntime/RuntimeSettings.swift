public import OsloConfig

/// How the runtime reaches helm, the management cluster and OpenStack, read from `magnum.conf`
/// (`[capi_helm]` executor options and `[capi_worker]` modes). What the driver itself does is
/// `DriverConfiguration`.
public struct RuntimeSettings: Sendable, Equatable {
    /// `[capi_worker] helm_mode`.
    public enum HelmMode: String, Sendable, CaseIterable {
        /// `helm upgrade --install` / `helm uninstall` against the management cluster.
        case real
        /// `helm template` into `render_output_dir`; nothing is installed.
        case renderOnly = "render-only"
        /// Nothing runs: the helm command line and values are recorded (`helm-command.json`)
        /// without rendering; no helm binary or chart needed (replay, benchmarks, a first try).
        case record = "record"
    }

    /// `[capi_worker] management_cluster`.
    public enum ManagementCluster: String, Sendable, CaseIterable {
        /// The cluster of `[capi_helm] kubeconfig_file`.
        case real
        /// None: writes are recorded, reads find nothing.
        case none
        /// None, with `SimulatedManagementCluster` answering reads.
        case simulated
    }

    public var helmMode: HelmMode = .real
    public var managementCluster: ManagementCluster = .real
    /// `[capi_helm] kubeconfig_file` ("" = `$KUBECONFIG`, then `~/.kube/config`).
    public var kubeconfigFile = ""
    public var helmExecutable = "helm"
    public var helmMaxConcurrency = 4
    public var helmStateDirectory: String?
    /// `[capi_worker] render_output_dir` (interpolated).
    public var renderOutputDirectory = "/var/lib/magnum/capi-helm-rendered"
    /// `[capi_worker] render_chart`, else `[capi_helm] helm_chart_name` when it is a local path.
    public var renderChart: String?
    /// `[capi_worker] simulation_delay` in seconds.
    public var simulationDelay: Double = 30
    /// `[capi_worker] offline_cloud_file`; nil: the real cloud.
    public var offlineCloudFile: String?
    /// `[capi_worker] offline_state_dir` (interpolated); nil: offline state in memory.
    public var offlineStateDirectory: String?

    public init() {}

    /// Reads the options (registered with `CapiHelmRuntimeOptions.register`). Bad values throw
    /// `ConfigError` naming the option and the file line.
    public init(configuration: Configuration) throws(ConfigError) {
        let (settings, errors) = Self.read(configuration)
        if let first = errors.first { throw first }
        self = settings
    }

    /// Every option read on its own: a bad value keeps its default and is reported, the others
    /// still count (so one typo does not hide the rest of the configuration).
    public static func read(_ configuration: Configuration) -> (RuntimeSettings, [ConfigError]) {
        var settings = RuntimeSettings()
        var errors: [ConfigError] = []
        func option(_ read: () throws -> Void) {
            do {
                try read()
            } catch let error as ConfigError {
                errors.append(error)
            } catch {
                errors.append(ConfigError(option: nil, location: nil, message: "\(error)"))
            }
        }
        let g = CapiHelmRuntimeOptions.workerGroup
        option { if let v = try configuration.string(g, "helm_mode") { settings.helmMode = HelmMode(rawValue: v) ?? .real } }
        option {
            if let v = try configuration.string(g, "management_cluster") { settings.managementCluster = ManagementCluster(rawValue: v) ?? .real }
        }
        option { settings.kubeconfigFile = try configuration.string("capi_helm", "kubeconfig_file") ?? "" }
        option { if let v = try configuration.string("capi_helm", "helm_executable"), !v.isEmpty { settings.helmExecutable = v } }
        option { if let v = try configuration.int("capi_helm", "helm_max_concurrency") { settings.helmMaxConcurrency = v } }
        option { settings.helmStateDirectory = try configuration.string("capi_helm", "helm_state_dir").flatMap { $0.isEmpty ? nil : $0 } }
        option { if let v = try configuration.string(g, "render_output_dir") { settings.renderOutputDirectory = v } }
        option {
            settings.renderChart = try configuration.string(g, "render_chart").flatMap { $0.isEmpty ? nil : $0 }
            if settings.renderChart == nil, let name = try configuration.string("capi_helm", "helm_chart_name"), isLocalPath(name) {
                settings.renderChart = name
            }
        }
        option { if let v = try configuration.double(g, "simulation_delay") { settings.simulationDelay = v } }
        option { settings.offlineCloudFile = try configuration.string(g, "offline_cloud_file").flatMap { $0.isEmpty ? nil : $0 } }
        option { settings.offlineStateDirectory = try configuration.string(g, "offline_state_dir").flatMap { $0.isEmpty ? nil : $0 } }
        return (settings, errors)
    }

    static func isLocalPath(_ chart: String) -> Bool {
        chart.hasPrefix("/") || chart.hasPrefix("./") || chart.hasPrefix("../")
    }

    /// Whether anything real is touched: helm installs, a management cluster, an OpenStack cloud.
    public var isOffline: Bool { helmMode != .real && managementCluster != .real }
}
