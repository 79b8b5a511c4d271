public import JSON

/// A Helm release as helm reports it (`--output json` of `upgrade` and `status`): what the driver
/// needs to know about the outcome, without the rendered manifest or the values helm echoes back
/// (those are never kept, so they cannot leak into logs).
public struct HelmRelease: Sendable, Equatable {
    /// helm's release states (`helm.sh/helm/v3/pkg/release.Status`).
    public struct Status: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let unknown = Status(rawValue: "unknown")
        public static let deployed = Status(rawValue: "deployed")
        public static let uninstalled = Status(rawValue: "uninstalled")
        public static let superseded = Status(rawValue: "superseded")
        public static let failed = Status(rawValue: "failed")
        public static let uninstalling = Status(rawValue: "uninstalling")
        public static let pendingInstall = Status(rawValue: "pending-install")
        public static let pendingUpgrade = Status(rawValue: "pending-upgrade")
        public static let pendingRollback = Status(rawValue: "pending-rollback")

        /// helm refuses new operations on a release in a pending state.
        public var isPending: Bool { rawValue.hasPrefix("pending-") }
        public var description: String { rawValue }
    }

    public var name: String
    public var namespace: String
    /// helm's release version (1 for the first install).
    public var revision: Int
    public var status: Status
    /// helm's own summary ("Install complete", "Upgrade complete", ...).
    public var description: String
    /// The chart, when helm reports it (`upgrade` does; `status` leaves it out).
    public var chartName: String?
    public var chartVersion: String?
    public var appVersion: String?
    /// RFC 3339 times as helm prints them.
    public var firstDeployed: String?
    public var lastDeployed: String?

    public init(
        name: String, namespace: String, revision: Int, status: Status, description: String,
        chartName: String? = nil, chartVersion: String? = nil, appVersion: String? = nil,
        firstDeployed: String? = nil, lastDeployed: String? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.revision = revision
        self.status = status
        self.description = description
        self.chartName = chartName
        self.chartVersion = chartVersion
        self.appVersion = appVersion
        self.firstDeployed = firstDeployed
        self.lastDeployed = lastDeployed
    }

    /// Reads the release object helm 3 and 4 print with `--output json`; `nil` when the document
    /// is not one (no name, namespace, revision or status).
    public init?(helmOutput json: JSONValue) {
        guard let name = json["name"]?.stringValue,
              let namespace = json["namespace"]?.stringValue,
              let revision = json["version"]?.intValue,
              let info = json["info"], let status = info["status"]?.stringValue
        else { return nil }
        let metadata = json["chart"]?["metadata"]
        self.init(
            name: name, namespace: namespace, revision: revision,
            status: Status(rawValue: status),
            description: info["description"]?.stringValue ?? "",
            chartName: metadata?["name"]?.stringValue,
            chartVersion: metadata?["version"]?.stringValue,
            appVersion: metadata?["appVersion"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            firstDeployed: info["first_deployed"]?.stringValue,
            lastDeployed: info["last_deployed"]?.stringValue)
    }

    /// The release as JSON (for recordings and the CLI), in helm's own field names.
    public var json: JSONValue {
        var chart: JSONObject = [:]
        if let chartName { chart["name"] = .string(chartName) }
        if let chartVersion { chart["version"] = .string(chartVersion) }
        if let appVersion { chart["appVersion"] = .string(appVersion) }
        var info: JSONObject = ["status": .string(status.rawValue), "description": .string(description)]
        if let firstDeployed { info["first_deployed"] = .string(firstDeployed) }
        if let lastDeployed { info["last_deployed"] = .string(lastDeployed) }
        return .object([
            "name": .string(name),
            "namespace": .string(namespace),
            "version": .int(Int64(revision)),
            "info": .object(info),
            "chart": .object(["metadata": .object(chart)]),
        ])
    }
}
