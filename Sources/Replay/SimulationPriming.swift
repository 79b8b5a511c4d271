import CapiHelmDriver
import CapiHelmRuntime
import ClusterStore
import Logging
import MagnumObjects

/// Seeded clusters in the simulated management cluster (kept apart from `ReplaySession`, where
/// `RequestContext` would mean oslo's context).
enum SimulationPriming {
    /// A seeded cluster that exists (`*_COMPLETE`, with a release name) gets its Cluster API
    /// objects in the simulated management cluster, built from the values the driver would
    /// install for it now — so status and health syncs see a running cluster, as they would
    /// in the cloud the recording was made in.
    static func prime(runtime: CapiHelmRuntime, store: SQLiteClusterStore, seed: ReplaySeed, logger: Logger) async throws {
        guard let simulation = runtime.simulation else { return }
        let driver = runtime.driver(logger: logger)
        for row in seed.clusters {
            guard let uuid = row["uuid"]?.stringValue, row["status"]?.stringValue?.hasSuffix("_COMPLETE") == true,
                  !(row["stack_id"]?.stringValue ?? "").isEmpty else { continue }
            let cluster = try await store.cluster(uuid: uuid, context: .allProjects)
            let template = try await driver.template(for: cluster)
            let context = adminContext(for: cluster)
            do {
                let spec = try await driver.helmRelease(cluster, template: template, context: context)
                try await simulation.installed(release: spec.release, namespace: spec.namespace, values: spec.values)
            } catch {
                logger.warning("seeded cluster not simulated: its values could not be built", metadata: [
                    "cluster_uuid": "\(uuid)", "error": "\(error)",
                ])
            }
        }
    }


    /// The driver's context for work nobody asked for in a request: the cluster's owner, admin.
    static func adminContext(for cluster: Cluster) -> RequestContext {
        RequestContext(userId: cluster.userId, projectId: cluster.projectId, isAdmin: true)
    }
}
