public import CapiHelmDriver
public import Helm
public import JSON
public import Logging

/// The driver's `HelmPort` on a `HelmExecutor`: `helm upgrade --install` with the values on
/// standard input, `helm uninstall` with "release: not found" as success — the commands of
/// magnum-capi-helm's `helm.Client`, argument for argument (`HelmCommandLine`). The kubeconfig
/// (`[capi_helm] kubeconfig_file`) is the executor's.
///
/// Failures are `HelmReleaseFailure`: one masked line fit for `status_reason`.
public struct HelmExecutorPort: HelmPort {
    public let executor: any HelmExecutor
    let logger: Logger

    public init(executor: any HelmExecutor, logger: Logger) {
        self.executor = executor
        self.logger = logger
    }

    /// The request the Python driver's `install_or_upgrade` makes (empty `repo` / `version`: the
    /// flag is left out).
    public static func upgradeRequest(release: String, chart: String, values: JSONValue, repo: String, version: String,
                                      namespace: String) -> HelmUpgradeRequest {
        HelmUpgradeRequest(
            release: release,
            chart: HelmChartReference(name: chart, repository: repo.isEmpty ? nil : repo, version: version.isEmpty ? nil : version),
            namespace: namespace, values: values,
            logMetadata: ["helm_release": "\(release)", "namespace": "\(namespace)"])
    }

    public func installOrUpgrade(release: String, chart: String, values: JSONValue, repo: String, version: String, namespace: String) async throws {
        let request = Self.upgradeRequest(release: release, chart: chart, values: values, repo: repo, version: version, namespace: namespace)
        do {
            let result = try await executor.upgradeInstall(request)
            logger.info("helm release installed or upgraded", metadata: [
                "helm_release": "\(release)", "namespace": "\(namespace)", "revision": "\(result.revision)",
                "status": "\(result.status.rawValue)",
            ])
        } catch let error as HelmError {
            throw HelmReleaseFailure(error)
        }
    }

    public func uninstallRelease(release: String, namespace: String) async throws {
        do {
            switch try await executor.uninstall(HelmUninstallRequest(release: release, namespace: namespace,
                                                                     logMetadata: ["helm_release": "\(release)", "namespace": "\(namespace)"])) {
            case .uninstalled:
                logger.info("helm release uninstalled", metadata: ["helm_release": "\(release)", "namespace": "\(namespace)"])
            case .releaseNotFound:
                logger.info("helm release already gone", metadata: ["helm_release": "\(release)", "namespace": "\(namespace)"])
            }
        } catch let error as HelmError where error.kind == .releaseNotFound {
            // The Python driver's rule: a missing release is the state we want.
            return
        } catch let error as HelmError {
            throw HelmReleaseFailure(error)
        }
    }
}

/// A helm operation of the driver failed. Its text is `HelmError.statusReason` — one line,
/// secrets masked, at most 1000 characters — which the conductor puts into `status_reason`;
/// `error` keeps the kind and exit status for callers that match on them.
public struct HelmReleaseFailure: Error, Sendable, CustomStringConvertible {
    public let error: HelmError

    public init(_ error: HelmError) { self.error = error }

    public var kind: HelmError.Kind { error.kind }
    public var description: String { error.statusReason }
}
