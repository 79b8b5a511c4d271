public import ClusterStore
import Foundation
import JSON
public import Logging
public import MagnumObjects
public import OsloMessaging

/// Sends the conductor's notifications: Magnum's CADF cluster events and the worker's own
/// `magnum.cluster.status_update`, with publisher `container-infra.<host>` (what Magnum's
/// `rpc.get_notifier()` uses).
///
/// A notification never fails the operation it reports on: oslo.messaging logs and drops a
/// notification its driver cannot send, and so do we; when the nodegroups an event needs cannot
/// be read, the event is logged and skipped.
public struct ConductorNotifications: Sendable {
    public let notifier: Notifier?
    public let store: any ClusterStore
    public let clock: any WorkerClock
    public let identifiers: CADFIdentifiers
    /// `[DEFAULT] host`: in `status_update` payloads.
    public let host: String
    /// Whether `magnum.cluster.status_update` events are sent.
    public let statusUpdates: Bool
    let logger: Logger

    public init(notifier: Notifier?, store: any ClusterStore, clock: any WorkerClock, host: String,
                identifiers: CADFIdentifiers = CADFIdentifiers(), statusUpdates: Bool = true, logger: Logger) {
        self.notifier = notifier
        self.store = store
        self.clock = clock
        self.host = host
        self.identifiers = identifiers
        self.statusUpdates = statusUpdates
        self.logger = logger
    }

    /// `conductor_utils.notify_about_cluster_operation(context, action, outcome, cluster)`.
    public func clusterOperation(_ action: CADFAction, _ outcome: CADFOutcome, cluster: Cluster, context: RequestContext) async {
        guard let notifier else { return }
        let nodeGroups: [NodeGroup]
        do {
            nodeGroups = try await store.nodeGroups(of: cluster, context: StoreContext(context))
        } catch {
            logger.error("cannot send magnum.cluster.\(action.rawValue) (\(outcome.rawValue)): the cluster's nodegroups cannot be read: \(error)",
                         metadata: ["cluster_uuid": "\(cluster.uuid ?? "None")"])
            return
        }
        let now = clock.now()
        let event = ClusterAuditEvent(action: action, outcome: outcome, context: context, cluster: cluster, nodeGroups: nodeGroups,
                                      time: now, identifiers: identifiers)
        do {
            try await notifier.notify(event.eventType, payload: event.payload, priority: event.priority, context: context,
                                      at: Date(timeIntervalSince1970: now.secondsSinceEpoch))
        } catch {
            logger.error("could not send \(event.eventType) (\(outcome.rawValue)): \(error)",
                         metadata: ["cluster_uuid": "\(cluster.uuid ?? "None")"])
        }
    }

    /// `magnum.cluster.status_update` for a status change from `previousStatus`.
    /// `magnum_capi_worker.request.dead_lettered` (ERROR): a request was given up on and kept in
    /// the dead-letter queue for an operator (`[capi_worker] max_deliveries`).
    public static let deadLetterEventType = "magnum_capi_worker.request.dead_lettered"

    public func requestDeadLettered(method: String, messageID: String, clusterUUID: String?, reason: String, context: RequestContext) async {
        guard let notifier else { return }
        let payload: JSONValue = [
            "method": .string(method), "unique_id": .string(messageID), "cluster_uuid": clusterUUID.map { .string($0) } ?? .null,
            "reason": .string(reason), "worker": .string(host),
        ]
        do {
            try await notifier.notify(Self.deadLetterEventType, payload: payload, priority: .error, context: context)
        } catch {
            logger.warning("could not send \(Self.deadLetterEventType): \(error)")
        }
    }

    public func statusChanged(cluster: Cluster, from previousStatus: String?, context: RequestContext) async {
        guard let notifier, statusUpdates else { return }
        let nodeGroups: [NodeGroup]
        do {
            nodeGroups = try await store.nodeGroups(clusterId: cluster.uuid ?? "None", context: .allProjects, filters: [:], options: .all)
        } catch {
            logger.error("cannot send \(ClusterStatusUpdate.eventType): the cluster's nodegroups cannot be read: \(error)",
                         metadata: ["cluster_uuid": "\(cluster.uuid ?? "None")"])
            return
        }
        let now = clock.now()
        let update = ClusterStatusUpdate(cluster: cluster, previousStatus: previousStatus, nodeGroups: nodeGroups, changedAt: now,
                                         worker: host)
        do {
            try await notifier.notify(ClusterStatusUpdate.eventType, payload: update.payload, priority: update.priority,
                                      context: context, at: Date(timeIntervalSince1970: now.secondsSinceEpoch))
        } catch {
            logger.error("could not send \(ClusterStatusUpdate.eventType): \(error)", metadata: ["cluster_uuid": "\(cluster.uuid ?? "None")"])
        }
    }
}

/// Follows one cluster's status through an operation and reports each change once, when the
/// conductor saves it (and once more when a driver changed it behind the conductor's back).
struct ClusterStatusTracker: Sendable {
    private(set) var reported: String?

    init(initial: String?) { reported = initial }

    /// Sends `status_update` when `cluster` (just saved) has another status than last reported.
    mutating func saved(_ cluster: Cluster, notifications: ConductorNotifications, context: RequestContext) async {
        let status = cluster.base["status"]?.stringValue
        guard status != reported, status != nil else { return }
        let previous = reported
        reported = status
        await notifications.statusChanged(cluster: cluster, from: previous, context: context)
    }
}
