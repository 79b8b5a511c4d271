public import ClusterCertificates
public import ClusterStore
import JSON
public import Logging
public import MagnumObjects
public import OsloMessaging

/// Magnum's periodic cluster tasks (`magnum/service/periodic.py`):
///
/// - `syncClusterStatus()` (`sync_cluster_status`): every cluster in `CREATE_`, `UPDATE_`,
///   `DELETE_` or `ROLLBACK_IN_PROGRESS` is handed to its driver's `update_cluster_status`; a
///   cluster that reached `*_COMPLETE` gets a success notification, one that reached `*_FAILED` a
///   failure notification (action from the status, as in Magnum's `status_to_event`); on
///   `DELETE_COMPLETE` its certificates, nodegroups and row are deleted.
/// - `syncClusterHealth()` (`sync_cluster_health_status`): the driver's monitor reports health;
///   a reported status is saved with its reason.
///
/// Both run with an admin context over all projects, as Magnum's do, and work on at most
/// `maxConcurrency` clusters at a time (Magnum starts one green thread per cluster). A failing
/// cluster is logged and skipped; the others go on.
public struct ClusterStatusSync: Sendable {
    public let store: any ClusterStore
    public let drivers: ClusterDriverRegistry
    public let certificates: ClusterCertificateService
    public let notifications: ConductorNotifications
    public let maxConcurrency: Int
    /// With several workers: the clusters this one looks after (`nil`: every cluster, as Magnum).
    public let shard: ClusterShard?
    /// With several workers: a cluster is synced only under its lease; a cluster whose lease
    /// another worker or a running request holds is skipped this period.
    public let leases: ClusterLeases?
    let logger: Logger

    public init(store: any ClusterStore, drivers: ClusterDriverRegistry, certificates: ClusterCertificateService,
                notifications: ConductorNotifications, maxConcurrency: Int = 8, shard: ClusterShard? = nil,
                leases: ClusterLeases? = nil, logger: Logger) {
        self.store = store
        self.drivers = drivers
        self.certificates = certificates
        self.notifications = notifications
        self.maxConcurrency = max(1, maxConcurrency)
        self.shard = shard
        self.leases = leases
        self.logger = logger
    }

    /// The clusters of `all` this worker looks after now (all of them without a shard).
    public func mine(_ all: [Cluster]) async -> [Cluster] {
        guard let shard else { return all }
        await shard.refresh()
        var out: [Cluster] = []
        for cluster in all where await shard.owns(cluster.uuid ?? "None") { out.append(cluster) }
        return out
    }

    /// Runs `body` under the cluster's lease when there are leases; `nil` when it is busy.
    func leased<T: Sendable>(_ cluster: Cluster, _ body: @Sendable () async throws -> T) async throws -> T? {
        guard let leases else { return try await body() }
        do {
            return try await leases.withLease(cluster.uuid ?? "None", wait: false, body)
        } catch is ClusterBusy {
            logger.debug("cluster busy; skipped this period", metadata: ["cluster_uuid": "\(cluster.uuid ?? "None")"])
            return nil
        }
    }

    /// Statuses `sync_cluster_status` looks at.
    public static let syncedStatuses = ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"]

    /// A status no row keeps for long: the sync saves `DELETE_COMPLETE` and then removes the
    /// cluster, so a row still in it was left by a worker that stopped in between (killed, or
    /// its database went away). Each sync finishes those deletions too.
    public static let leftoverStatuses = [ClusterStatus.deleteComplete.rawValue]

    /// Statuses `sync_cluster_health_status` looks at.
    public static let healthStatuses = [
        "CREATE_IN_PROGRESS", "CREATE_FAILED", "CREATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED",
        "DELETE_IN_PROGRESS", "DELETE_FAILED", "ROLLBACK_IN_PROGRESS",
    ]

    /// `ClusterUpdateJob.status_to_event`.
    public static let statusToEvent: [String: CADFAction] = [
        "DELETE_COMPLETE": .delete, "CREATE_COMPLETE": .create, "UPDATE_COMPLETE": .update, "ROLLBACK_COMPLETE": .update,
        "CREATE_FAILED": .create, "DELETE_FAILED": .delete, "UPDATE_FAILED": .update, "ROLLBACK_FAILED": .update,
    ]

    /// One run of `sync_cluster_status`. Returns the clusters it looked at and their status after.
    @discardableResult
    public func syncClusterStatus() async -> [(uuid: String, status: String?)] {
        let context = RequestContext.magnumAdmin()
        let all: [Cluster]
        do {
            all = try await store.clusters(
                context: .allProjects,
                filters: ["status": .array((Self.syncedStatuses + Self.leftoverStatuses).map { .string($0) })], options: .all)
        } catch {
            logger.warning("Ignore error [\(error)] when syncing up cluster status.")
            return []
        }
        guard !all.isEmpty else { return [] }
        let clusters = await mine(all)
        guard !clusters.isEmpty else { return [] }
        logger.debug("syncing the status of \(clusters.count) cluster(s)")
        return await forEach(clusters) { cluster in
            do {
                guard let status = try await leased(cluster, { () async throws -> String? in
                    // Under a lease, read the cluster again: a request may have changed it since the list.
                    guard leases != nil else { return try await syncStatus(of: cluster, context: context) }
                    let fresh = try await store.cluster(uuid: cluster.uuid ?? "None", context: .allProjects)
                    let status = fresh.base["status"]?.stringValue ?? ""
                    guard Self.syncedStatuses.contains(status) || Self.leftoverStatuses.contains(status) else { return status }
                    return try await syncStatus(of: fresh, context: context)
                }) else {
                    return cluster.base["status"]?.stringValue
                }
                return status
            } catch {
                logger.warning("cluster status sync failed: \(PythonText.str(error))", metadata: ["cluster_uuid": "\(cluster.uuid ?? "None")"])
                return cluster.base["status"]?.stringValue
            }
        }
    }

    /// One listed cluster: `updateStatus`, or the rest of a deletion a stopped worker left.
    func syncStatus(of cluster: Cluster, context: RequestContext) async throws -> String? {
        guard cluster.base["status"]?.stringValue == ClusterStatus.deleteComplete.rawValue else {
            return try await updateStatus(of: cluster, context: context)
        }
        var log = logger
        log[metadataKey: "cluster_uuid"] = "\(cluster.uuid ?? "None")"
        log.warning("cluster left in DELETE_COMPLETE by a worker that stopped before removing it; finishing the deletion")
        // Whether the stopped worker sent the delete notification is not known: it is sent
        // (again), so that no consumer misses the end of the cluster.
        await notifications.clusterOperation(.delete, .success, cluster: cluster, context: context)
        try await removeDeleted(cluster, context: context, logger: log)
        return ClusterStatus.deleteComplete.rawValue
    }

    /// `ClusterUpdateJob.update_status` for one cluster; returns its status afterwards.
    public func updateStatus(of input: Cluster, context: RequestContext) async throws -> String? {
        var cluster = input
        var log = logger
        log[metadataKey: "cluster_uuid"] = "\(cluster.uuid ?? "None")"
        let before = cluster.base["status"]?.stringValue
        var tracker = ClusterStatusTracker(initial: before)
        let driver = try await drivers.driver(for: cluster, store: store, context: StoreContext(context))
        try await driver.updateClusterStatus(&cluster, context: context)
        // A driver saves what it changes; anything it left unsaved is saved here, so a finished
        // cluster is not found "in progress" (and notified about) again on the next run.
        if !cluster.changedFields.isEmpty { try await store.saveRow(&cluster) }
        let status = cluster.base["status"]?.stringValue
        if status != before {
            log.info("cluster status changed from \(before ?? "None") to \(status ?? "None") (\(cluster.statusReason ?? ""))")
        }
        await tracker.saved(cluster, notifications: notifications, context: context)
        if let status, status.hasSuffix("_COMPLETE") || status.hasSuffix("_FAILED") {
            if let action = Self.statusToEvent[status] {
                await notifications.clusterOperation(action, status.hasSuffix("_FAILED") ? .failure : .success,
                                                     cluster: cluster, context: context)
            } else {
                log.warning("no notification for status \(status): Magnum has no event for it")
            }
        }
        if status == ClusterStatus.deleteComplete.rawValue {
            try await removeDeleted(cluster, context: context, logger: log)
        }
        return status
    }

    /// A deleted cluster's certificates, nodegroups and row.
    private func removeDeleted(_ cluster: Cluster, context: RequestContext, logger log: Logger) async throws {
        await certificates.deleteCertificates(from: cluster, context: CertificateContext(context))
        for nodeGroup in try await store.nodeGroups(clusterId: cluster.uuid ?? "None", context: StoreContext(context),
                                                    filters: [:], options: .all) {
            try await store.destroy(nodeGroup)
        }
        try await store.destroy(cluster)
        log.info("cluster deleted")
    }

    /// One run of `sync_cluster_health_status`.
    public func syncClusterHealth() async {
        let context = RequestContext.magnumAdmin()
        let all: [Cluster]
        do {
            all = try await store.clusters(context: .allProjects, filters: ["status": .array(Self.healthStatuses.map { .string($0) })],
                                           options: .all)
        } catch {
            logger.warning("Ignore error [\(error)] when syncing up cluster status.")
            return
        }
        let clusters = await mine(all)
        _ = await forEach(clusters) { cluster -> String? in
            do {
                _ = try await leased(cluster) { try await updateHealth(of: cluster, context: context) }
            } catch {
                logger.warning("Skip pulling data from cluster due to error: \(PythonText.str(error))",
                               metadata: ["cluster_uuid": "\(cluster.uuid ?? "None")"])
            }
            return nil
        }
    }

    /// `ClusterHealthUpdateJob.update_health_status` for one cluster.
    public func updateHealth(of input: Cluster, context: RequestContext) async throws {
        var cluster = input
        let driver = try await drivers.driver(for: cluster, store: store, context: StoreContext(context))
        guard let report = try await driver.clusterHealth(cluster, context: context) else { return }
        guard let status = report.healthStatus, !status.isEmpty else { return }
        try cluster.setValue(.string(status), for: "health_status")
        if let reason = report.healthStatusReason {
            var o = JSONObject()
            for (k, v) in reason { o[k] = .string(v) }
            try cluster.setValue(.object(o), for: "health_status_reason")
        } else {
            try cluster.setValue(.null, for: "health_status_reason")
        }
        try await store.saveRow(&cluster)
    }

    /// Runs `body` for every cluster, at most `maxConcurrency` at a time; results in input order.
    func forEach(_ clusters: [Cluster], _ body: @escaping @Sendable (Cluster) async -> String?) async -> [(uuid: String, status: String?)] {
        var results = [(uuid: String, status: String?)](repeating: ("", nil), count: clusters.count)
        await withTaskGroup(of: (Int, String?).self) { group in
            var next = 0
            func launch() {
                let i = next
                let cluster = clusters[i]
                group.addTask { (i, await body(cluster)) }
                next += 1
            }
            while next < clusters.count && next < maxConcurrency { launch() }
            for await (i, status) in group {
                results[i] = (clusters[i].uuid ?? "None", status)
                if next < clusters.count { launch() }
            }
        }
        return results
    }
}
