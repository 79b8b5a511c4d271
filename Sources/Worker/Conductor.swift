public import ClusterCertificates
public import ClusterStore
public import JSON
public import Logging
public import MagnumObjects
public import OsloMessaging

/// What magnum-conductor's RPC handlers do (`magnum/conductor/handlers/*.py`), over Magnum's
/// database, a cluster driver, the certificate service and the notifier — independent of the RPC
/// transport (`ConductorEndpoints` binds it to the wire).
///
/// Each method follows its Python handler step by step: the same status checks and
/// `NotSupported` texts, the same status transitions and `status_reason` (`str(e)`), the same
/// rows written in the same order, the same CADF notifications, the same exceptions raised and
/// values returned. Deliberate differences are listed in docs/conductor.md; the notable ones:
/// a failed CA rotation keeps the cluster on its old certificates, notifications never fail an
/// operation, and every status change also sends `magnum.cluster.status_update`.
public struct Conductor: Sendable {
    public let store: any ClusterStore
    public let drivers: ClusterDriverRegistry
    public let certificates: ClusterCertificateService
    public let notifications: ConductorNotifications
    let logger: Logger

    public init(store: any ClusterStore, drivers: ClusterDriverRegistry, certificates: ClusterCertificateService,
                notifications: ConductorNotifications, logger: Logger) {
        self.store = store
        self.drivers = drivers
        self.certificates = certificates
        self.notifications = notifications
        self.logger = logger
    }

    /// Statuses from which a cluster may be updated, upgraded or get new CAs.
    static let updatable: Set<String> = [
        "CREATE_COMPLETE", "UPDATE_COMPLETE", "RESUME_COMPLETE", "RESTORE_COMPLETE", "ROLLBACK_COMPLETE",
        "SNAPSHOT_COMPLETE", "CHECK_COMPLETE", "ADOPT_COMPLETE",
    ]
    /// Resizing is also allowed while an update runs or after one failed (the autoscaler retries).
    static let resizable: Set<String> = updatable.union(["UPDATE_FAILED", "UPDATE_IN_PROGRESS"])
    /// `nodegroup_conductor.ALLOWED_NODEGROUP_STATES` and `credential_conductor.ALLOWED_CLUSTER_STATES`.
    static let nodeGroupAllowed: Set<String> = resizable

    func log(_ cluster: Cluster, _ request: RequestContext) -> Logger {
        var log = logger
        log[metadataKey: "cluster_uuid"] = "\(cluster.uuid ?? "None")"
        if let requestID = request.requestID { log[metadataKey: "request_id"] = "\(requestID)" }
        return log
    }

    // MARK: - cluster_create

    /// `cluster_create(context, cluster, master_count, node_count, create_timeout)`: the cluster
    /// row (`CREATE_IN_PROGRESS`), its `default-master` and `default-worker` nodegroups, its
    /// certificates, the pending notification, then the driver; the nodegroups get the cluster's
    /// `stack_id`. Any failure after the rows exist: `CREATE_FAILED` with `str(e)`, a failure
    /// notification, and the error.
    public func clusterCreate(context: RequestContext, cluster input: Cluster, masterCount: JSONValue, nodeCount: JSONValue,
                              createTimeout: JSONValue) async throws -> Cluster {
        let scope = StoreContext(context)
        if let resumed = try await resumableCreate(input, context: context) {
            return try await resumeClusterCreate(resumed, masterCount: masterCount, nodeCount: nodeCount, createTimeout: createTimeout,
                                                 context: context)
        }
        var cluster = input
        var tracker = ClusterStatusTracker(initial: nil)
        cluster.status = .createInProgress
        cluster.statusReason = nil
        try await store.createRow(&cluster)
        let log = log(cluster, context)
        log.info("cluster created in the database")
        await tracker.saved(cluster, notifications: notifications, context: context)

        var master = try await defaultNodeGroup(of: &cluster, nodeCount: masterCount, isMaster: true, scope: scope)
        try await store.createRow(&master)
        var minion = try await defaultNodeGroup(of: &cluster, nodeCount: nodeCount, isMaster: false, scope: scope)
        try await store.createRow(&minion)
        return try await finishClusterCreate(cluster, tracker: tracker, createTimeout: createTimeout, context: context)
    }

    /// The cluster row an interrupted earlier attempt of this request made (`OperationAttempt`
    /// says this is a resumed request), if there is one.
    func resumableCreate(_ input: Cluster, context: RequestContext) async throws -> Cluster? {
        guard let attempt = OperationAttempt.current, attempt.isResume, let uuid = input.uuid else { return nil }
        do {
            return try await store.cluster(uuid: uuid, context: .allProjects)
        } catch let error as MagnumError where error.className == "ClusterNotFound" {
            return nil
        }
    }

    /// `cluster_create` redelivered after an interrupted attempt: the rows that exist are kept,
    /// the missing default nodegroups made, the certificates made only when the cluster has
    /// none, the driver called only when the journal has not seen it finish.
    func resumeClusterCreate(_ existing: Cluster, masterCount: JSONValue, nodeCount: JSONValue, createTimeout: JSONValue,
                             context: RequestContext) async throws -> Cluster {
        let scope = StoreContext(context)
        var cluster = existing
        let log = log(cluster, context)
        guard cluster.status == .createInProgress else {
            log.warning("cluster_create redelivered; the earlier attempt already left the cluster \(cluster.status?.rawValue ?? "None")")
            return cluster
        }
        log.warning("resuming an interrupted cluster_create")
        let tracker = ClusterStatusTracker(initial: cluster.base["status"]?.stringValue)
        let names = Set(try await store.nodeGroups(of: cluster, context: scope).compactMap(\.name))
        if !names.contains("default-master") {
            var master = try await defaultNodeGroup(of: &cluster, nodeCount: masterCount, isMaster: true, scope: scope)
            try await store.createRow(&master)
        }
        if !names.contains("default-worker") {
            var minion = try await defaultNodeGroup(of: &cluster, nodeCount: nodeCount, isMaster: false, scope: scope)
            try await store.createRow(&minion)
        }
        return try await finishClusterCreate(cluster, tracker: tracker, createTimeout: createTimeout, context: context)
    }

    /// Certificates, pending notification, driver, saves: the part of `cluster_create` after the rows.
    func finishClusterCreate(_ input: Cluster, tracker inputTracker: ClusterStatusTracker, createTimeout: JSONValue,
                             context: RequestContext) async throws -> Cluster {
        let scope = StoreContext(context)
        var cluster = input
        var tracker = inputTracker
        let log = log(cluster, context)
        do {
            if cluster.caCertRef == nil || OperationAttempt.current?.isResume != true {
                try await certificates.generateCertificates(for: &cluster, context: CertificateContext(context))
            }
            await notifications.clusterOperation(.create, .pending, cluster: cluster, context: context)
            let driver = try await drivers.driver(for: cluster, store: store, context: scope)
            try await driver.createCluster(&cluster, createTimeout: createTimeout.intValue, context: context)
            try await store.saveRow(&cluster)
            await tracker.saved(cluster, notifications: notifications, context: context)
            for var nodeGroup in try await store.nodeGroups(of: cluster, context: scope) {
                nodeGroup.base.set("stack_id", cluster.base["stack_id"] ?? .null)
                try await store.saveRow(&nodeGroup)
            }
        } catch {
            log.error("cluster create failed: \(PythonText.str(error))")
            cluster.status = .createFailed
            cluster.statusReason = PythonText.str(error)
            try await store.saveRow(&cluster)
            await tracker.saved(cluster, notifications: notifications, context: context)
            await notifications.clusterOperation(.create, .failure, cluster: cluster, context: context)
            throw error
        }
        return cluster
    }

    /// `conductor_utils._get_nodegroup_object`: a default nodegroup from the cluster and its
    /// template (`default-master` / `default-worker`, `is_default`, `CREATE_IN_PROGRESS`).
    func defaultNodeGroup(of cluster: inout Cluster, nodeCount: JSONValue, isMaster: Bool, scope: StoreContext) async throws -> NodeGroup {
        var ng = NodeGroup()
        try ng.setValue(try attribute(cluster, "uuid"), for: "cluster_id")
        try ng.setValue(try attribute(cluster, "project_id"), for: "project_id")
        try ng.setValue(.object([:]), for: "labels")
        let labels = try attribute(cluster, "labels")
        if !labels.isNull { try ng.setValue(labels, for: "labels") }
        try ng.setValue(nodeCount, for: "node_count")
        let template = try await store.loadTemplate(of: &cluster, context: scope)
        try ng.setValue(template.base["image_id"] ?? .null, for: "image_id")
        try ng.setValue(Self.or(try attribute(cluster, "docker_volume_size"), template.base["docker_volume_size"]),
                        for: "docker_volume_size")
        if isMaster {
            try ng.setValue(Self.or(try attribute(cluster, "master_flavor_id"), template.base["master_flavor_id"]), for: "flavor_id")
            ng.role = NodeGroupRole.master
        } else {
            try ng.setValue(Self.or(try attribute(cluster, "flavor_id"), template.base["flavor_id"]), for: "flavor_id")
            ng.role = NodeGroupRole.worker
            if case .object(let l) = labels, let minimum = l["min_node_count"] {
                try ng.setValue(minimum, for: "min_node_count")
            }
        }
        ng.name = "default-\(ng.role ?? "")"
        ng.isDefault = true
        ng.status = .createInProgress
        return ng
    }

    /// Python's `a or b`.
    static func or(_ a: JSONValue, _ b: JSONValue?) -> JSONValue {
        a.pythonTruthiness ? a : (b ?? .null)
    }

    // MARK: - cluster_update

    /// `cluster_update(context, cluster, node_count, health_status, health_status_reason, rollback)`:
    /// only the default worker nodegroup is resized; a health-only change is saved without the
    /// driver; nothing to change returns `None`.
    public func clusterUpdate(context: RequestContext, cluster input: Cluster, nodeCount: JSONValue, healthStatus: JSONValue,
                              healthStatusReason: JSONValue, rollback: Bool) async throws -> Cluster? {
        let scope = StoreContext(context)
        var cluster = input
        let status = try attribute(cluster, "status")
        var tracker = ClusterStatusTracker(initial: status.stringValue)
        guard Self.updatable.contains(status.stringValue ?? "") else {
            await notifications.clusterOperation(.update, .failure, cluster: cluster, context: context)
            throw MagnumError.notSupported("Updating a cluster when status is \"\(PythonFormat.str(status))\"")
        }
        var worker = try await defaultWorker(of: cluster, scope: scope)
        // A resumed request may find its own new count saved already: it still has to finish.
        let sameCount = PythonText.equals(worker.nodeCount, nodeCount) && OperationAttempt.current?.isResume != true
        if sameCount, try attribute(cluster, "health_status") == healthStatus,
           try attribute(cluster, "health_status_reason") == healthStatusReason {
            return nil
        }
        try cluster.setValue(healthStatus, for: "health_status")
        try cluster.setValue(healthStatusReason, for: "health_status_reason")
        if sameCount {
            try await store.saveRow(&cluster)
            return cluster
        }
        let oldNodeCount = worker.base["node_count"] ?? .null
        let template = try await store.clusterTemplate(uuid: cluster.clusterTemplateId ?? "None", context: scope)
        let driver = try drivers.driver(for: template)
        let log = log(cluster, context)
        do {
            await notifications.clusterOperation(.update, .pending, cluster: cluster, context: context)
            try worker.setValue(nodeCount, for: "node_count")
            try await store.saveRow(&worker)
            try await driver.updateCluster(&cluster, rollback: rollback, context: context)
            cluster.status = .updateInProgress
            cluster.statusReason = nil
        } catch {
            log.error("cluster update failed: \(PythonText.str(error))")
            cluster.status = .updateFailed
            cluster.statusReason = PythonText.str(error)
            try await store.saveRow(&cluster)
            await tracker.saved(cluster, notifications: notifications, context: context)
            try worker.setValue(oldNodeCount, for: "node_count")
            try await store.saveRow(&worker)
            await notifications.clusterOperation(.update, .failure, cluster: cluster, context: context)
            throw error
        }
        try await store.saveRow(&cluster)
        await tracker.saved(cluster, notifications: notifications, context: context)
        return cluster
    }

    /// `cluster.default_ng_worker`: the first default nodegroup that is not a master.
    func defaultWorker(of cluster: Cluster, scope: StoreContext) async throws -> NodeGroup {
        let defaults = try await store.nodeGroups(clusterId: cluster.uuid ?? "None", context: scope, filters: ["is_default": true],
                                                  options: .all)
        guard let worker = defaults.first(where: { $0.role != NodeGroupRole.master }) else {
            throw PythonBuiltinError("IndexError", "list index out of range")
        }
        return worker
    }

    // MARK: - cluster_delete

    /// `cluster_delete(context, uuid)`: the pending notification and the driver's delete, then
    /// `DELETE_IN_PROGRESS`; the status sync removes the rows once the driver reports
    /// `DELETE_COMPLETE`. A driver failure: a failure notification, `DELETE_FAILED`, the error.
    public func clusterDelete(context: RequestContext, uuid: JSONValue) async throws {
        let scope = StoreContext(context)
        var cluster = try await store.cluster(uuid: uuid.stringValue ?? PythonFormat.str(uuid), context: scope)
        var tracker = ClusterStatusTracker(initial: cluster.base["status"]?.stringValue)
        let template = try await store.clusterTemplate(uuid: cluster.clusterTemplateId ?? "None", context: scope)
        let driver = try drivers.driver(for: template)
        let log = log(cluster, context)
        do {
            await notifications.clusterOperation(.delete, .pending, cluster: cluster, context: context)
            try await driver.deleteCluster(&cluster, context: context)
            cluster.status = .deleteInProgress
            cluster.statusReason = nil
        } catch {
            log.error("cluster delete failed: \(PythonText.str(error))")
            await notifications.clusterOperation(.delete, .failure, cluster: cluster, context: context)
            cluster.status = .deleteFailed
            cluster.statusReason = PythonText.str(error)
            try await store.saveRow(&cluster)
            await tracker.saved(cluster, notifications: notifications, context: context)
            throw error
        }
        try await store.saveRow(&cluster)
        await tracker.saved(cluster, notifications: notifications, context: context)
    }

    // MARK: - cluster_resize

    /// `cluster_resize(context, cluster, node_count, nodes_to_remove, nodegroup)`: the nodegroup's
    /// new count saved (`UPDATE_IN_PROGRESS`), the pending notification, the driver; on failure
    /// both go to `UPDATE_FAILED` and the old count is restored.
    public func clusterResize(context: RequestContext, cluster input: Cluster, nodeCount: JSONValue, nodesToRemove: [String],
                              nodeGroup inputNodeGroup: NodeGroup) async throws -> Cluster {
        let scope = StoreContext(context)
        var cluster = input
        var nodeGroup = inputNodeGroup
        let status = try attribute(cluster, "status")
        var tracker = ClusterStatusTracker(initial: status.stringValue)
        guard Self.resizable.contains(status.stringValue ?? "") else {
            await notifications.clusterOperation(.update, .failure, cluster: cluster, context: context)
            throw MagnumError.notSupported("Resizing a cluster when status is \"\(PythonFormat.str(status))\"")
        }
        let template = try await store.clusterTemplate(uuid: cluster.clusterTemplateId ?? "None", context: scope)
        let driver = try drivers.driver(for: template)
        let oldNodeCount = try attribute(nodeGroup, "node_count")
        let log = log(cluster, context)
        do {
            try nodeGroup.setValue(nodeCount, for: "node_count")
            nodeGroup.status = .updateInProgress
            try await store.saveRow(&nodeGroup)
            await notifications.clusterOperation(.update, .pending, cluster: cluster, context: context)
            try await driver.resizeCluster(&cluster, nodeCount: nodeGroup.nodeCount ?? 0, nodesToRemove: nodesToRemove,
                                           nodeGroup: &nodeGroup, context: context)
            cluster.status = .updateInProgress
            cluster.statusReason = nil
        } catch {
            log.error("cluster resize failed: \(PythonText.str(error))")
            cluster.status = .updateFailed
            cluster.statusReason = PythonText.str(error)
            try await store.saveRow(&cluster)
            await tracker.saved(cluster, notifications: notifications, context: context)
            try nodeGroup.setValue(oldNodeCount, for: "node_count")
            nodeGroup.status = .updateFailed
            nodeGroup.statusReason = PythonText.str(error)
            try await store.saveRow(&nodeGroup)
            await notifications.clusterOperation(.update, .failure, cluster: cluster, context: context)
            throw error
        }
        try await store.saveRow(&cluster)
        await tracker.saved(cluster, notifications: notifications, context: context)
        return cluster
    }

    // MARK: - cluster_upgrade

    /// `cluster_upgrade(context, cluster, cluster_template, max_batch_size, nodegroup, rollback)`:
    /// returns the cluster (`UPDATE_IN_PROGRESS`). A driver's `NotSupported` changes nothing
    /// (failure notification, error); any other failure sets `UPDATE_FAILED` on both.
    public func clusterUpgrade(context: RequestContext, cluster input: Cluster, clusterTemplate: ClusterTemplate,
                               maxBatchSize: Int?, nodeGroup inputNodeGroup: NodeGroup, rollback: Bool) async throws -> Cluster {
        let scope = StoreContext(context)
        var cluster = input
        var nodeGroup = inputNodeGroup
        let status = try attribute(cluster, "status")
        var tracker = ClusterStatusTracker(initial: status.stringValue)
        guard Self.updatable.contains(status.stringValue ?? "") else {
            await notifications.clusterOperation(.update, .failure, cluster: cluster, context: context)
            throw MagnumError.notSupported("Upgrading a cluster when status is \"\(PythonFormat.str(status))\"")
        }
        let current = try await store.clusterTemplate(uuid: cluster.clusterTemplateId ?? "None", context: scope)
        let driver = try drivers.driver(for: current)
        let log = log(cluster, context)
        do {
            await notifications.clusterOperation(.update, .pending, cluster: cluster, context: context)
            try await driver.upgradeCluster(&cluster, to: clusterTemplate, maxBatchSize: maxBatchSize, nodeGroup: &nodeGroup,
                                            rollback: rollback, context: context)
            cluster.status = .updateInProgress
            nodeGroup.status = .updateInProgress
            cluster.statusReason = nil
        } catch let error as MagnumError where error.isKind(of: "NotSupported") {
            // Nothing took place: the cluster keeps its status.
            log.info("cluster upgrade not supported by the driver: \(error.message)")
            await tracker.saved(cluster, notifications: notifications, context: context)
            await notifications.clusterOperation(.update, .failure, cluster: cluster, context: context)
            throw error
        } catch {
            log.error("cluster upgrade failed: \(PythonText.str(error))")
            cluster.status = .updateFailed
            cluster.statusReason = PythonText.str(error)
            try await store.saveRow(&cluster)
            await tracker.saved(cluster, notifications: notifications, context: context)
            nodeGroup.status = .updateFailed
            nodeGroup.statusReason = PythonText.str(error)
            try await store.saveRow(&nodeGroup)
            await notifications.clusterOperation(.update, .failure, cluster: cluster, context: context)
            throw error
        }
        try await store.saveRow(&nodeGroup)
        try await store.saveRow(&cluster)
        await tracker.saved(cluster, notifications: notifications, context: context)
        return cluster
    }

    // MARK: - Attributes

    /// A cluster field as Python reads `cluster.<field>`: an unset field cannot be lazy-loaded
    /// (only `cluster_template` can), which Magnum reports as its `ObjectError`.
    func attribute(_ cluster: Cluster, _ field: String) throws -> JSONValue {
        if let value = cluster.base[field] { return value }
        throw MagnumError("ObjectError", [
            "action": "obj_load_attr", "obj_name": cluster.base["name"] ?? .null, "obj_id": cluster.base["uuid"] ?? .null,
            "reason": .string("unable to lazy-load \(field)"),
        ])
    }

    /// A nodegroup field as Python reads it: unset is oslo's `NotImplementedError`.
    func attribute(_ nodeGroup: NodeGroup, _ field: String) throws -> JSONValue {
        if let value = nodeGroup.base[field] { return value }
        throw PythonBuiltinError("NotImplementedError", "Cannot load '\(field)' in the base class")
    }
}
