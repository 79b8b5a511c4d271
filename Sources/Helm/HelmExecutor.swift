/// Runs helm for the driver: the one place where Magnum's clusters become Helm releases.
///
/// The driver builds the `openstack-cluster` values and calls these operations; implementations
/// decide how they happen: ``HelmCommandExecutor`` runs the real `helm` binary,
/// ``RecordingHelmExecutor`` records calls for tests, replay and benchmarks, and
/// ``RenderOnlyHelmExecutor`` only renders manifests with `helm template` (quickstart, dry runs).
///
/// Errors are ``HelmError`` (with a ``HelmError/Kind`` to match on and text safe for Magnum's
/// `status_reason`), or `CancellationError` when the calling task was cancelled.
public protocol HelmExecutor: Sendable {
    /// `helm upgrade <release> <chart> --history-max 10 --install --output json --timeout 5m
    /// --values - --namespace <ns> [--repo r] [--version v] [--kubeconfig k]`, values on stdin.
    func upgradeInstall(_ request: HelmUpgradeRequest) async throws -> HelmRelease

    /// `helm uninstall <release> --timeout 5m --namespace <ns> [--kubeconfig k]`; a release that
    /// does not exist is not an error (``HelmUninstallResult/releaseNotFound``), as in the Python
    /// driver.
    func uninstall(_ request: HelmUninstallRequest) async throws -> HelmUninstallResult

    /// `helm status <release> --namespace <ns> --output json [--kubeconfig k]`.
    func status(_ request: HelmStatusRequest) async throws -> HelmRelease

    /// `helm template`: renders the chart with the values (on stdin) without touching a cluster.
    func template(_ request: HelmTemplateRequest) async throws -> HelmRenderedManifests

    /// The helm client's version (`helm version`).
    func version() async throws -> HelmVersion
}

/// The helm operations, named as operators know them; recorded calls and errors carry one.
public enum HelmOperation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case upgradeInstall = "upgrade_install"
    case uninstall
    case status
    case template
    case version

    /// The helm sub-command line an operator would type, for messages (`helm upgrade --install`).
    public var command: String {
        switch self {
        case .upgradeInstall: "helm upgrade --install"
        case .uninstall: "helm uninstall"
        case .status: "helm status"
        case .template: "helm template"
        case .version: "helm version"
        }
    }

    public var description: String { rawValue }
}
