public import JSON
public import Logging

/// One `helm template`: renders a chart with values, offline, without a cluster. Used by
/// render-only mode (quickstart, `--dry-run`) and to check values against a chart's schema.
public struct HelmTemplateRequest: Sendable {
    public var release: String
    public var chart: HelmChartReference
    public var namespace: String
    /// Sent as JSON on standard input (`--values -`), like for upgrades.
    public var values: JSONValue
    /// Where helm writes one file per template (`--output-dir`); `nil` returns the manifests as
    /// one string instead.
    public var outputDirectory: String?
    /// `--kube-version`, the Kubernetes version templates see in `.Capabilities` (helm's default
    /// when `nil`).
    public var kubeVersion: String?
    /// How long the helm process may take.
    public var timeout: Duration

    /// Added to every log line of this call (`cluster_uuid`, `msg_id`, `request_id`, ...).
    public var logMetadata: Logger.Metadata

    public init(
        release: String,
        chart: HelmChartReference,
        namespace: String,
        values: JSONValue,
        outputDirectory: String? = nil,
        kubeVersion: String? = nil,
        timeout: Duration = .seconds(120),
        logMetadata: Logger.Metadata = [:]
    ) {
        self.logMetadata = logMetadata
        self.release = release
        self.chart = chart
        self.namespace = namespace
        self.values = values
        self.outputDirectory = outputDirectory
        self.kubeVersion = kubeVersion
        self.timeout = timeout
    }
}

/// What `helm template` produced.
public struct HelmRenderedManifests: Sendable, Equatable {
    /// The output directory, when one was asked for.
    public var directory: String?
    /// Files written under `directory`, relative to it, sorted (for example
    /// `openstack-cluster/templates/cluster.yaml`).
    public var files: [String]
    /// The rendered manifests as one YAML stream, when no directory was asked for.
    public var manifest: String?

    public init(directory: String?, files: [String], manifest: String?) {
        self.directory = directory
        self.files = files
        self.manifest = manifest
    }
}
