import CapiHelmDriver
import CapiHelmRuntime
import ClusterStore
import Foundation
import Helm
public import JSON
public import Logging
import MagnumObjects
import OsloConfig
import OsloMessaging
import Worker

/// `render --from-database`: the values the driver would give helm for a cluster of Magnum's
/// database now, from the operator's magnum.conf — the database and OpenStack (real, or the
/// offline cloud) as configured, helm in `record` mode and no management cluster, so nothing is
/// installed or written anywhere. OpenStack is asked as the admin (`[keystone_auth]`), since
/// there is no user's token.
public enum DatabaseRenderer {
    public struct Rendered: Sendable {
        public var command: String
        public var values: JSONValue
    }

    public static func render(configFile: String, cluster identifier: String, logger: Logger) async throws -> Rendered {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("mcw-render-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var registry = OptionRegistry()
        WorkerAssembly.register(into: &registry)
        MessagingSettings.register(in: &registry)
        guard let data = FileManager.default.contents(atPath: configFile) else { throw ReplayError("cannot read config file \(configFile)") }
        let files = [
            try ConfigFile(path: configFile, contents: String(decoding: data, as: UTF8.self)),
            try ConfigFile(path: "<render overrides>", contents: """
                [capi_worker]
                helm_mode = record
                management_cluster = none
                render_output_dir = \(scratch)/rendered

                """),
        ]
        let configuration = Configuration(registry: registry, files: files)
        let database = try DatabaseSettings(configuration: configuration)
        let store = try await ClusterStores.open(connection: database.connection, logger: logger)
        do {
            let rendered = try await render(configuration: configuration, store: store, cluster: identifier, logger: logger)
            await store.close()
            return rendered
        } catch {
            await store.close()
            throw error
        }
    }

    static func render(configuration: Configuration, store: any ClusterStore, cluster identifier: String, logger: Logger) async throws -> Rendered {
        let runtime = try await CapiHelmRuntime.start(configuration: configuration, store: store, logger: logger)
        defer { Task { await runtime.shutdown() } }
        let cluster: Cluster
        do {
            cluster = try await store.cluster(uuid: identifier, context: .allProjects)
        } catch {
            cluster = try await store.cluster(name: identifier, context: .allProjects)
        }
        let driver = runtime.driver(logger: logger)
        let template = try await driver.template(for: cluster)
        let spec = try await driver.helmRelease(cluster, template: template, context: SimulationPriming.adminContext(for: cluster))
        let request = HelmExecutorPort.upgradeRequest(release: spec.release, chart: spec.chart, values: spec.values, repo: spec.repo,
                                                      version: spec.version, namespace: spec.namespace)
        let kubeconfig = runtime.settings.kubeconfigFile
        let command = HelmCommandLine.upgradeInstall(request, kubeconfigPath: kubeconfig.isEmpty ? nil : kubeconfig)
        return Rendered(command: command.description, values: spec.values)
    }
}
