import Foundation
public import Logging

/// Checks the worker can use the management cluster before it takes work: the kubeconfig
/// (`[capi_helm] kubeconfig_file`) reads and resolves, the API server answers with these
/// credentials, and the Cluster API resources are served. Every failure says which option to fix.
public struct KubernetesStartupCheck: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let problem: String
        public let remedy: String
        public var description: String { "\(problem). \(remedy)" }
    }

    public struct Report: Sendable {
        public var kubeconfigPath: String
        public var connection: KubernetesConnection
        public var serverVersion: String?
    }

    /// `configuredPath` is `[capi_helm] kubeconfig_file` (nil or empty: `$KUBECONFIG`, then
    /// `~/.kube/config`, as the Python driver does).
    public static func run(configuredPath: String?, context: String? = nil, logger: Logger) async throws -> Report {
        let path = Kubeconfig.defaultPath(configured: configuredPath)
        let origin = (configuredPath?.isEmpty ?? true) ? "found through $KUBECONFIG or ~/.kube/config" : "set by [capi_helm] kubeconfig_file"
        let connection: KubernetesConnection
        do {
            connection = try Kubeconfig.load(path: path).connection(context: context)
        } catch {
            throw Failure(
                problem: "The kubeconfig \(path) (\(origin)) cannot be used: \(error.problem)",
                remedy: "Set [capi_helm] kubeconfig_file in magnum.conf to a readable kubeconfig for the Cluster API management cluster")
        }
        let client: KubernetesAPIClient
        do {
            client = try KubernetesAPIClient(connection: connection, configuration: .init(requestTimeout: .seconds(15)), logger: logger)
        } catch {
            throw Failure(problem: "No HTTP client could be created: \(error)", remedy: "Check libcurl is installed")
        }
        let version: String?
        do {
            version = try await client.serverVersion()["gitVersion"]?.stringValue
        } catch let error as KubernetesError {
            throw Failure(
                problem: "The Kubernetes API server \(connection.server) of the kubeconfig \(path) (\(origin)) is unreachable or refused the credentials: \(error)",
                remedy: "Check [capi_helm] kubeconfig_file points at the management cluster, that its server is reachable from this host, and that its certificate or token is still valid")
        }
        do {
            _ = try await client.list(.clusters, namespace: nil, options: ListOptions(limit: 1))
        } catch let error as KubernetesError where error.kind == .notFound {
            throw Failure(
                problem: "The cluster behind \(path) does not serve \(KubernetesResource.clusters.qualifiedName) (\(KubernetesResource.clusters.apiVersion))",
                remedy: "Install Cluster API on the management cluster, or point [capi_helm] kubeconfig_file at the cluster where it runs")
        } catch let error as KubernetesError where error.kind == .forbidden {
            throw Failure(
                problem: "The credentials of \(path) may not list Cluster API clusters: \(error.message)",
                remedy: "Grant the kubeconfig's user access to Cluster API resources, Secrets and Namespaces (the Python driver uses cluster-admin)")
        }
        logger.info("Kubernetes management cluster reachable", metadata: [
            "server": "\(connection.server)", "version": "\(version ?? "unknown")",
        ])
        return Report(kubeconfigPath: path, connection: connection, serverVersion: version)
    }
}
