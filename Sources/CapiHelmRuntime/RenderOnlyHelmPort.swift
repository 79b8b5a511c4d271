import Foundation
public import CapiHelmDriver
public import Helm
public import JSON
public import Logging
import Synchronization

/// One helm operation render-only mode did instead of running it: the exact command line the
/// real mode would have run (`helm upgrade ... --values -`), the values it would have had on
/// standard input, and where the manifests went.
public struct RenderedHelmCall: Sendable, Equatable {
    public var operation: HelmOperation
    public var release: String
    public var namespace: String
    /// What `helm_mode = real` would run (values on stdin, never on it).
    public var commandLine: HelmCommandLine
    /// The values document (upgrades only).
    public var values: JSONValue?
    /// `<render_output_dir>/<namespace>/<release>/manifests` (upgrades only).
    public var manifestsDirectory: String?

    /// `helm-command.json`, as written next to the manifests.
    public var json: JSONValue {
        var object: JSONObject = [
            "operation": .string(operation.rawValue), "release": .string(release), "namespace": .string(namespace),
            "command": .string(commandLine.description),
            "argv": .array((["helm"] + commandLine.arguments).map { .string($0) }),
        ]
        if let values { object["values"] = values }
        if let manifestsDirectory { object["manifests"] = .string(manifestsDirectory) }
        return .object(object)
    }
}

/// The driver's `HelmPort` in render-only mode (quickstart, demos, `--dry-run`): every install or
/// upgrade renders the release with `helm template` and a local chart into
/// `<output>/<namespace>/<release>/manifests` (`RenderOnlyHelmExecutor`), and the helm command
/// line and values the real mode would have used are logged and written to `helm-command.json`
/// beside them; an uninstall removes the directory. Nothing reaches a cluster.
///
/// The values are what the chart would get in production: no secrets are in them (cloud
/// credentials and CAs go into Secrets the chart only names).
public final class RenderOnlyHelmPort: HelmPort {
    public let executor: RenderOnlyHelmExecutor
    /// `[capi_helm] kubeconfig_file`, shown in the command line as the real mode would pass it.
    public let kubeconfigFile: String?
    let logger: Logger
    let recorded = Mutex<[RenderedHelmCall]>([])

    public init(executor: RenderOnlyHelmExecutor, kubeconfigFile: String?, logger: Logger) {
        self.executor = executor
        self.kubeconfigFile = kubeconfigFile.flatMap { $0.isEmpty ? nil : $0 }
        self.logger = logger
    }

    /// What was rendered or removed so far, oldest first.
    public var calls: [RenderedHelmCall] { recorded.withLock { $0 } }

    public func installOrUpgrade(release: String, chart: String, values: JSONValue, repo: String, version: String, namespace: String) async throws {
        let request = HelmExecutorPort.upgradeRequest(release: release, chart: chart, values: values, repo: repo, version: version,
                                                      namespace: namespace)
        let commandLine = HelmCommandLine.upgradeInstall(request, kubeconfigPath: kubeconfigFile)
        do {
            _ = try await executor.upgradeInstall(request)
        } catch let error as HelmError {
            throw HelmReleaseFailure(error)
        }
        let directory = executor.releaseDirectory(release: release, namespace: namespace)
        let call = RenderedHelmCall(operation: .upgradeInstall, release: release, namespace: namespace, commandLine: commandLine,
                                    values: values, manifestsDirectory: executor.chartDirectory.isEmpty ? nil : "\(directory)/manifests")
        recorded.withLock { $0.append(call) }
        do {
            try Data(call.json.serialized(.pretty)).write(to: URL(fileURLWithPath: "\(directory)/helm-command.json"))
        } catch {
            logger.warning("could not write helm-command.json", metadata: ["directory": "\(directory)", "error": "\(error.localizedDescription)"])
        }
        logger.info(call.manifestsDirectory == nil ? "helm upgrade not run; command and values recorded" : "render-only: helm upgrade not run; manifests rendered", metadata: [
            "helm_release": "\(release)", "namespace": "\(namespace)", "command": "\(commandLine)",
            "output": "\(call.manifestsDirectory ?? "\(directory)/helm-command.json")",
        ])
        logger.debug("render-only: values for \(release)", metadata: ["values": "\(values.serialized(.canonical).utf8String)"])
    }

    public func uninstallRelease(release: String, namespace: String) async throws {
        let request = HelmUninstallRequest(release: release, namespace: namespace)
        let commandLine = HelmCommandLine.uninstall(request, kubeconfigPath: kubeconfigFile)
        let result: HelmUninstallResult
        do {
            result = try await executor.uninstall(request)
        } catch let error as HelmError {
            throw HelmReleaseFailure(error)
        }
        recorded.withLock {
            $0.append(RenderedHelmCall(operation: .uninstall, release: release, namespace: namespace, commandLine: commandLine))
        }
        logger.info("render-only: helm uninstall not run", metadata: [
            "helm_release": "\(release)", "namespace": "\(namespace)", "command": "\(commandLine)",
            "rendered": "\(result == .uninstalled(release: release) ? "removed" : "none")",
        ])
    }
}

extension Array where Element == UInt8 {
    var utf8String: String { String(decoding: self, as: UTF8.self) }
}
