public import JSON

/// One helm operation as a ``RecordingHelmExecutor`` saw it: what the driver asked helm to do,
/// as data (for driver tests against the Python driver's cases, recordings, replay and
/// benchmarks). A kubeconfig's content is never kept, only whether one was given.
public struct HelmCall: Sendable, Equatable {
    public var operation: HelmOperation
    public var release: String?
    public var chart: String?
    public var repository: String?
    public var version: String?
    public var namespace: String?
    public var values: JSONValue?
    /// Everything else that shapes the command: `timeout`, `history_max`, `create_namespace`,
    /// `kubeconfig` (`"file:<path>"`, `"content"` or null), `output_dir`, `kube_version`, and
    /// `argv` (the exact helm arguments, with a placeholder for a temporary kubeconfig path).
    public var flags: JSONObject

    public init(
        operation: HelmOperation, release: String? = nil, chart: String? = nil, repository: String? = nil,
        version: String? = nil, namespace: String? = nil, values: JSONValue? = nil, flags: JSONObject? = nil
    ) {
        self.operation = operation
        self.release = release
        self.chart = chart
        self.repository = repository
        self.version = version
        self.namespace = namespace
        self.values = values
        self.flags = flags ?? [:]
    }

    /// Stands for the path of a kubeconfig written to a temporary file for one call.
    public static let temporaryKubeconfigPlaceholder = "<temporary-kubeconfig>"

    public init(_ request: HelmUpgradeRequest) {
        let kubeconfigPath = Self.kubeconfigPath(request.kubeconfig)
        self.init(
            operation: .upgradeInstall, release: request.release, chart: request.chart.name,
            repository: request.chart.repository, version: request.chart.version,
            namespace: request.namespace, values: request.values,
            flags: [
                "timeout": .string(HelmCommandLine.goDuration(request.timeout)),
                "history_max": .int(Int64(request.historyMax)),
                "install": true,
                "output": "json",
                "create_namespace": .bool(request.createNamespace),
                "kubeconfig": Self.kubeconfigFlag(request.kubeconfig),
                "argv": Self.argv(HelmCommandLine.upgradeInstall(request, kubeconfigPath: kubeconfigPath)),
            ])
    }

    public init(_ request: HelmUninstallRequest) {
        self.init(
            operation: .uninstall, release: request.release, namespace: request.namespace,
            flags: [
                "timeout": .string(HelmCommandLine.goDuration(request.timeout)),
                "kubeconfig": Self.kubeconfigFlag(request.kubeconfig),
                "argv": Self.argv(HelmCommandLine.uninstall(request, kubeconfigPath: Self.kubeconfigPath(request.kubeconfig))),
            ])
    }

    public init(_ request: HelmStatusRequest) {
        self.init(
            operation: .status, release: request.release, namespace: request.namespace,
            flags: [
                "kubeconfig": Self.kubeconfigFlag(request.kubeconfig),
                "argv": Self.argv(HelmCommandLine.status(request, kubeconfigPath: Self.kubeconfigPath(request.kubeconfig))),
            ])
    }

    public init(_ request: HelmTemplateRequest) {
        self.init(
            operation: .template, release: request.release, chart: request.chart.name,
            repository: request.chart.repository, version: request.chart.version,
            namespace: request.namespace, values: request.values,
            flags: [
                "output_dir": JSONValue(request.outputDirectory),
                "kube_version": JSONValue(request.kubeVersion),
                "argv": Self.argv(HelmCommandLine.template(request)),
            ])
    }

    /// `{"operation", "release", "chart", "repo", "version", "namespace", "values", "flags"}`,
    /// absent fields as null: the recording format.
    public var json: JSONValue {
        .object([
            "operation": .string(operation.rawValue),
            "release": JSONValue(release),
            "chart": JSONValue(chart),
            "repo": JSONValue(repository),
            "version": JSONValue(version),
            "namespace": JSONValue(namespace),
            "values": values ?? .null,
            "flags": .object(flags),
        ])
    }

    /// Reads a call back from ``json`` (replay).
    public init?(json: JSONValue) {
        guard let name = json["operation"]?.stringValue, let operation = HelmOperation(rawValue: name) else {
            return nil
        }
        let values = json["values"]
        self.init(
            operation: operation,
            release: json["release"]?.stringValue,
            chart: json["chart"]?.stringValue,
            repository: json["repo"]?.stringValue,
            version: json["version"]?.stringValue,
            namespace: json["namespace"]?.stringValue,
            values: values?.isNull == false ? values : nil,
            flags: json["flags"]?.objectValue ?? [:])
    }

    /// The call in the shape of the Python driver's cases (`expected.helm[]` in
    /// `Tests/Fixtures/driver/*.json`): `install_or_upgrade` with release, chart, repo, version,
    /// namespace and values; `uninstall_release` with release and namespace. `nil` for operations
    /// the Python driver never performs.
    public var driverCaseJSON: JSONValue? {
        switch operation {
        case .upgradeInstall:
            return .object([
                "call": "install_or_upgrade",
                "chart": JSONValue(chart),
                "namespace": JSONValue(namespace),
                "release": JSONValue(release),
                "repo": JSONValue(repository),
                "values": values ?? .null,
                "version": JSONValue(version),
            ])
        case .uninstall:
            return .object([
                "call": "uninstall_release",
                "namespace": JSONValue(namespace),
                "release": JSONValue(release),
            ])
        case .status, .template, .version:
            return nil
        }
    }

    static func kubeconfigFlag(_ kubeconfig: HelmKubeconfig?) -> JSONValue {
        switch kubeconfig {
        case nil: .null
        case .file(let path): .string("file:\(path)")
        case .content: "content"
        }
    }

    static func kubeconfigPath(_ kubeconfig: HelmKubeconfig?) -> String? {
        switch kubeconfig {
        case nil: nil
        case .file(let path): path
        case .content: temporaryKubeconfigPlaceholder
        }
    }

    static func argv(_ commandLine: HelmCommandLine) -> JSONValue {
        .array(commandLine.arguments.map { .string($0) })
    }
}
