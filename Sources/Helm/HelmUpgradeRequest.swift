public import JSON
public import Logging

/// One `helm upgrade --install`: the release the driver (re)renders on every create, update,
/// resize, upgrade and node group change.
public struct HelmUpgradeRequest: Sendable {
    /// The Python driver's `--timeout` (helm's own, for hooks and resource operations).
    public static let defaultTimeout: Duration = .seconds(300)
    /// The Python driver's `--history-max`.
    public static let defaultHistoryMax = 10

    /// Release name (the cluster's `stack_id`).
    public var release: String
    public var chart: HelmChartReference
    public var namespace: String
    /// The chart values; sent as JSON on helm's standard input (`--values -`), never on argv.
    public var values: JSONValue
    /// Adds `--create-namespace` (the Python driver creates the namespace itself and never sets it).
    public var createNamespace: Bool
    /// helm's `--timeout`; the process itself gets this plus the executor's deadline margin.
    public var timeout: Duration
    public var historyMax: Int
    /// Overrides the executor's configured kubeconfig for this call.
    public var kubeconfig: HelmKubeconfig?

    /// Added to every log line of this call (`cluster_uuid`, `msg_id`, `request_id`, ...).
    public var logMetadata: Logger.Metadata

    public init(
        release: String,
        chart: HelmChartReference,
        namespace: String,
        values: JSONValue,
        createNamespace: Bool = false,
        timeout: Duration = HelmUpgradeRequest.defaultTimeout,
        historyMax: Int = HelmUpgradeRequest.defaultHistoryMax,
        kubeconfig: HelmKubeconfig? = nil,
        logMetadata: Logger.Metadata = [:]
    ) {
        self.logMetadata = logMetadata
        self.release = release
        self.chart = chart
        self.namespace = namespace
        self.values = values
        self.createNamespace = createNamespace
        self.timeout = timeout
        self.historyMax = historyMax
        self.kubeconfig = kubeconfig
    }
}
