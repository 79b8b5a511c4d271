internal import Foundation
internal import JSON

/// A ``HelmExecutor`` that changes no cluster: installs and upgrades render the release with
/// `helm template` and a local chart into `<output>/<namespace>/<release>/`, uninstalls remove
/// that directory. For the quickstart (no management cluster) and `--dry-run` (see what would be
/// applied).
///
/// Like `helm install --dry-run`, a rendered release reports status `pending-install` and the
/// description `Dry run complete`. Only release metadata is kept next to the manifests
/// (`release.json`: name, namespace, revision, chart), never the values.
public struct RenderOnlyHelmExecutor: HelmExecutor {
    /// Runs `helm template` (and `helm version`).
    public let renderer: HelmCommandExecutor
    /// The local chart rendered instead of the requested one.
    public let chartDirectory: String
    public let outputDirectory: String
    /// `--kube-version` for templates that look at `.Capabilities.KubeVersion`.
    public let kubeVersion: String?

    public init(renderer: HelmCommandExecutor, chartDirectory: String, outputDirectory: String, kubeVersion: String? = nil) {
        self.renderer = renderer
        self.chartDirectory = chartDirectory
        self.outputDirectory = outputDirectory
        self.kubeVersion = kubeVersion
    }

    /// Where a release's manifests go.
    public func releaseDirectory(release: String, namespace: String) -> String {
        "\(outputDirectory)/\(namespace)/\(release)"
    }

    public func upgradeInstall(_ request: HelmUpgradeRequest) async throws -> HelmRelease {
        let directory = releaseDirectory(release: request.release, namespace: request.namespace)
        let previous = readRelease(directory)
        let fileManager = FileManager.default
        do {
            if fileManager.fileExists(atPath: directory) { try fileManager.removeItem(atPath: directory) }
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw HelmError(
                kind: .failed, operation: .upgradeInstall, release: request.release, namespace: request.namespace,
                detail: "cannot prepare \(directory) for rendered manifests: \(error.localizedDescription)")
        }
        // Without a chart (`helm_mode = record`) only the release metadata is kept.
        let rendered = !chartDirectory.isEmpty
        if rendered {
        let template = HelmTemplateRequest(
            release: request.release, chart: HelmChartReference(name: chartDirectory),
            namespace: request.namespace, values: request.values,
            outputDirectory: "\(directory)/manifests", kubeVersion: kubeVersion)
        do {
            _ = try await renderer.template(template)
        } catch var error as HelmError {
            error.operation = .upgradeInstall
            throw error
        }
        }
        let release = HelmRelease(
            name: request.release, namespace: request.namespace, revision: (previous?.revision ?? 0) + 1,
            status: .pendingInstall,
            description: rendered ? "Dry run complete: manifests rendered to \(directory)/manifests"
                : "Dry run complete: values recorded in \(directory), nothing rendered",
            chartName: request.chart.name, chartVersion: request.chart.version)
        try? Data(release.json.serialized(.pretty)).write(to: URL(fileURLWithPath: "\(directory)/release.json"))
        return release
    }

    public func uninstall(_ request: HelmUninstallRequest) async throws -> HelmUninstallResult {
        let directory = releaseDirectory(release: request.release, namespace: request.namespace)
        guard FileManager.default.fileExists(atPath: directory) else {
            return .releaseNotFound(release: request.release)
        }
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            throw HelmError(
                kind: .failed, operation: .uninstall, release: request.release, namespace: request.namespace,
                detail: "cannot remove \(directory): \(error.localizedDescription)")
        }
        return .uninstalled(release: request.release)
    }

    public func status(_ request: HelmStatusRequest) async throws -> HelmRelease {
        guard let release = readRelease(releaseDirectory(release: request.release, namespace: request.namespace)) else {
            throw HelmError(
                kind: .releaseNotFound, operation: .status, release: request.release,
                namespace: request.namespace, exitStatus: 1, detail: "release: not found")
        }
        return release
    }

    public func template(_ request: HelmTemplateRequest) async throws -> HelmRenderedManifests {
        try await renderer.template(request)
    }

    public func version() async throws -> HelmVersion {
        try await renderer.version()
    }

    private func readRelease(_ directory: String) -> HelmRelease? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/release.json"),
              let json = try? JSONValue(parsing: Array(data))
        else { return nil }
        return HelmRelease(helmOutput: json)
    }
}
