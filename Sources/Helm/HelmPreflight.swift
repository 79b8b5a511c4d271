/// Startup checks, run before the worker takes work: a missing or too old helm, or a chart that
/// cannot be located, should stop `serve` (and fail `check-config`) with a message naming the
/// option to fix — not fail every cluster later.
public enum HelmPreflight {
    /// Checks the chart reference and the helm binary; returns helm's version.
    ///
    /// - Throws: ``HelmConfigurationError``, or `CancellationError`.
    public static func check(_ executor: HelmCommandExecutor, chart: HelmChartReference) async throws -> HelmVersion {
        try checkChart(chart)
        let configuration = executor.configuration
        guard configuration.resolvedExecutable() != nil else {
            throw HelmConfigurationError(
                kind: .executableMissing, option: HelmConfiguration.Option.executable,
                message: missingExecutableMessage(configuration))
        }
        let version: HelmVersion
        do {
            version = try await executor.version()
        } catch let error as HelmError {
            throw HelmConfigurationError(
                kind: .executableUnusable, option: HelmConfiguration.Option.executable,
                message: "\(configuration.executable) does not work as helm: \(error.detail). Install helm ≥ \(HelmVersion.minimumSupported) (tools/helm fetches one) and point \(HelmConfiguration.Option.executable) at it.")
        }
        guard version >= HelmVersion.minimumSupported else {
            throw HelmConfigurationError(
                kind: .executableTooOld, option: HelmConfiguration.Option.executable,
                message: "helm \(version.text) at \(configuration.resolvedExecutable() ?? configuration.executable) is too old: this worker needs helm ≥ \(HelmVersion.minimumSupported). Install a newer helm (tools/helm fetches 3.17.2) and point \(HelmConfiguration.Option.executable) at it.")
        }
        return version
    }

    /// The chart must be locatable: a repository URL, an `oci://` reference or a local path.
    public static func checkChart(_ chart: HelmChartReference) throws(HelmConfigurationError) {
        if chart.name.isEmpty {
            throw HelmConfigurationError(
                kind: .chartNameUnset, option: HelmConfiguration.Option.chartName,
                message: "\(HelmConfiguration.Option.chartName) is empty. Set it to the chart's name in the repository (default \(HelmChartReference.defaultName)) or to an oci:// reference.")
        }
        let repository = chart.repository ?? ""
        if repository.isEmpty && !chart.isOCIReference && !chart.isLocalPath {
            throw HelmConfigurationError(
                kind: .chartRepositoryUnset, option: HelmConfiguration.Option.chartRepository,
                message: "\(HelmConfiguration.Option.chartRepository) is empty, so helm cannot find chart \"\(chart.name)\". Set it to the chart repository URL (default \(HelmChartReference.defaultRepository)), or set \(HelmConfiguration.Option.chartName) to an oci:// reference.")
        }
    }

    static func missingExecutableMessage(_ configuration: HelmConfiguration) -> String {
        if configuration.executable.contains("/") {
            return "helm executable \(configuration.executable) does not exist or is not executable. Install helm ≥ \(HelmVersion.minimumSupported) there (tools/helm fetches one) or set \(HelmConfiguration.Option.executable) to its path."
        }
        return "helm executable \"\(configuration.executable)\" was not found in \(configuration.searchPath). Install helm ≥ \(HelmVersion.minimumSupported) (tools/helm fetches one) or set \(HelmConfiguration.Option.executable) to its absolute path."
    }
}

/// A helm setting that keeps the worker from starting, with the option that fixes it.
public struct HelmConfigurationError: Error, Sendable, CustomStringConvertible {
    public struct Kind: RawRepresentable, Sendable, Hashable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let executableMissing = Kind(rawValue: "executable_missing")
        public static let executableUnusable = Kind(rawValue: "executable_unusable")
        public static let executableTooOld = Kind(rawValue: "executable_too_old")
        public static let chartRepositoryUnset = Kind(rawValue: "chart_repository_unset")
        public static let chartNameUnset = Kind(rawValue: "chart_name_unset")
    }

    public var kind: Kind
    /// The `magnum.conf` option to change, e.g. `[capi_helm] helm_chart_repo`.
    public var option: String
    /// What is wrong and how to fix it.
    public var message: String

    public var description: String { message }
}
