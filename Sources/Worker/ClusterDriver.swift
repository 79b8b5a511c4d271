public import MagnumObjects
public import OrderedCollections
public import OsloMessaging

/// One cluster type a driver builds, Magnum's `(server_type, os, coe)` — matched against a
/// template's `server_type`, `cluster_distro` and `coe`.
public struct ClusterType: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var serverType: String?
    public var os: String?
    public var coe: String?

    public init(serverType: String?, os: String?, coe: String?) {
        self.serverType = serverType
        self.os = os
        self.coe = coe
    }

    /// `(vm, ubuntu, kubernetes)`, as Magnum lists supported types.
    public var description: String { "(\(serverType ?? "None"), \(os ?? "None"), \(coe ?? "None"))" }

    public static func < (a: ClusterType, b: ClusterType) -> Bool {
        (a.serverType ?? "", a.os ?? "", a.coe ?? "") < (b.serverType ?? "", b.os ?? "", b.coe ?? "")
    }
}

/// What a driver's monitor reports about a cluster's health (`monitor.data` after
/// `poll_health_status()`): the status, and a reason per part of the cluster.
public struct ClusterHealthReport: Sendable, Equatable {
    /// `nil` or empty leaves the cluster's health as it is (Magnum: `if data.get('health_status')`).
    public var healthStatus: String?
    public var healthStatusReason: OrderedDictionary<String, String>?

    public init(healthStatus: String?, healthStatusReason: OrderedDictionary<String, String>? = nil) {
        self.healthStatus = healthStatus
        self.healthStatusReason = healthStatusReason
    }
}

/// Magnum's cluster driver interface (`magnum/drivers/common/driver.py`) as the conductor calls
/// it. The conductor owns the request flow (status transitions, notifications, the database rows
/// it creates); the driver does the cloud work.
///
/// Like Magnum's drivers, an operation receives the conductor's objects and may change them:
/// they are `inout`, and whatever a driver changes it also saves itself (Magnum's drivers call
/// `cluster.save()` / `nodegroup.save()`), resetting the objects' change tracking; the
/// conductor then saves what it changes on top. An error thrown by an operation fails it: the
/// conductor records `*_FAILED` with the error's text as `status_reason` and sends it back,
/// so throw `MagnumError` for anything a user should read.
///
/// `context` is the caller's request context (an admin context for the periodic tasks): the
/// driver acts on the caller's behalf in OpenStack (token, trust, application credentials).
///
/// The extension below gives Magnum's base-class behaviour for the optional methods.
public protocol ClusterDriver: Sendable {
    /// Magnum's `provides`: the cluster types the driver builds.
    var provides: [ClusterType] { get }
    /// Magnum's `beta`: used only when named in `[drivers] enabled_beta_drivers`.
    var isBeta: Bool { get }

    /// `create_cluster(context, cluster, cluster_create_timeout)`. The cluster and its default
    /// nodegroups exist in the database (`CREATE_IN_PROGRESS`); its certificates are made.
    func createCluster(_ cluster: inout Cluster, createTimeout: Int?, context: RequestContext) async throws
    /// `update_cluster(context, cluster, scale_manager, rollback)`: the default worker
    /// nodegroup's new `node_count` is saved already. (Magnum's `scale_manager` is Heat's and
    /// is not passed.)
    func updateCluster(_ cluster: inout Cluster, rollback: Bool, context: RequestContext) async throws
    /// `resize_cluster(context, cluster, resize_manager, node_count, nodes_to_remove, nodegroup)`:
    /// `nodeGroup` carries the new `node_count` (saved, `UPDATE_IN_PROGRESS`).
    func resizeCluster(_ cluster: inout Cluster, nodeCount: Int, nodesToRemove: [String], nodeGroup: inout NodeGroup,
                       context: RequestContext) async throws
    /// `upgrade_cluster(context, cluster, cluster_template, max_batch_size, nodegroup, rollback)`.
    /// Throwing `NotSupported` means nothing was done: the cluster keeps its status.
    func upgradeCluster(_ cluster: inout Cluster, to clusterTemplate: ClusterTemplate, maxBatchSize: Int?,
                        nodeGroup: inout NodeGroup, rollback: Bool, context: RequestContext) async throws
    /// `delete_cluster(context, cluster)`: starts the deletion; the status sync finishes it.
    func deleteCluster(_ cluster: inout Cluster, context: RequestContext) async throws
    /// `create_nodegroup(context, cluster, nodegroup)`: the nodegroup row exists
    /// (`CREATE_IN_PROGRESS`); the conductor saves `nodeGroup` afterwards.
    func createNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws
    /// `update_nodegroup(context, cluster, nodegroup)`: `nodeGroup` holds the unsaved changes
    /// (`UPDATE_IN_PROGRESS`); the conductor saves it afterwards.
    func updateNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws
    /// `delete_nodegroup(context, cluster, nodegroup)` (`DELETE_IN_PROGRESS`, not saved by the
    /// conductor: a driver that wants the status stored saves it).
    func deleteNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws

    /// `update_cluster_status(context, cluster)`, called by the status sync for clusters in a
    /// `*_IN_PROGRESS` status: moves the cluster (and its nodegroups) on to `*_COMPLETE` or
    /// `*_FAILED` when the underlying work finished, saving what it changes.
    func updateClusterStatus(_ cluster: inout Cluster, context: RequestContext) async throws
    /// `get_monitor(context, cluster)` + `poll_health_status()`: `nil` when the driver has no
    /// monitor; throwing skips this round (Magnum logs and carries on).
    func clusterHealth(_ cluster: Cluster, context: RequestContext) async throws -> ClusterHealthReport?
    /// `rotate_ca_certificate(context, cluster)`: the cluster carries its new certificate refs.
    func rotateCACertificate(_ cluster: inout Cluster, context: RequestContext) async throws
    /// `rotate_credential(context, cluster)` (credential_conductor); throw
    /// `DriverNotImplemented` when the driver cannot.
    func rotateCredential(_ cluster: inout Cluster, context: RequestContext) async throws
    /// `validate_master_size(node_count)`: `MasterNGSizeInvalid` unless a positive odd count.
    func validateMasterSize(_ nodeCount: Int) throws
    /// `validate_master_resize(node_count)`: `MasterNGResizeNotSupported` in the base driver.
    func validateMasterResize(_ nodeCount: Int) throws
}

/// Magnum's base `Driver` behaviour for the methods a driver need not implement.
extension ClusterDriver {
    public var isBeta: Bool { false }

    public func updateClusterStatus(_ cluster: inout Cluster, context: RequestContext) async throws {}

    public func clusterHealth(_ cluster: Cluster, context: RequestContext) async throws -> ClusterHealthReport? { nil }

    public func rotateCACertificate(_ cluster: inout Cluster, context: RequestContext) async throws {
        throw MagnumError("NotSupported", message: "'rotate_ca_certificate' is not supported by this driver.")
    }

    public func rotateCredential(_ cluster: inout Cluster, context: RequestContext) async throws {
        throw DriverNotImplemented("Driver does not support credential rotate.")
    }

    public func validateMasterSize(_ nodeCount: Int) throws {
        if nodeCount % 2 == 0 || nodeCount < 1 {
            throw MagnumError("MasterNGSizeInvalid", ["requested_size": .int(Int64(nodeCount))])
        }
    }

    public func validateMasterResize(_ nodeCount: Int) throws {
        throw MagnumError("MasterNGResizeNotSupported")
    }
}

/// A driver does not implement an operation (Python's `NotImplementedError`).
public struct DriverNotImplemented: Error, Sendable, Equatable, CustomStringConvertible, RemoteExceptionConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
    public var remoteClassName: String { "NotImplementedError" }
    public var remoteModuleName: String { "builtins" }
    public var remoteMessage: String { message }
}
