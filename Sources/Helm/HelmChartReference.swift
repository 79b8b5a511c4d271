/// Which chart a release uses: a chart name in a repository (`--repo`), an `oci://` reference, or
/// a local chart directory, optionally pinned to a version (`--version`).
///
/// Mirrors `[capi_helm] helm_chart_name`, `helm_chart_repo` and the chart version (the
/// `capi_helm_chart_version` template label or `[capi_helm] default_helm_chart_version`).
public struct HelmChartReference: Sendable, Hashable, CustomStringConvertible {
    /// `[capi_helm] helm_chart_name`'s default.
    public static let defaultName = "openstack-cluster"
    /// `[capi_helm] helm_chart_repo`'s default.
    public static let defaultRepository = "https://azimuth-cloud.github.io/capi-helm-charts"

    /// Chart name in the repository, `oci://...` reference, or local directory path.
    public var name: String
    /// Repository URL given to `--repo`; `nil` or empty leaves the flag out (as Python does).
    public var repository: String?
    /// Chart version given to `--version`; `nil` or empty leaves the flag out.
    public var version: String?

    public init(name: String, repository: String? = nil, version: String? = nil) {
        self.name = name
        self.repository = repository
        self.version = version
    }

    /// True for an `oci://` reference, which needs no repository.
    public var isOCIReference: Bool { name.hasPrefix("oci://") }

    /// True for a chart directory or archive given by path (render-only mode, tests).
    public var isLocalPath: Bool {
        name.hasPrefix("/") || name.hasPrefix("./") || name.hasPrefix("../") || name == "."
    }

    public var description: String {
        var text = name
        if let version, !version.isEmpty { text += "@\(version)" }
        if let repository, !repository.isEmpty { text += " from \(repository)" }
        return text
    }
}
