import Crypto
import Foundation
public import JSON
public import MagnumObjects
public import OsloMessaging

/// The CADF actions and outcomes Magnum's cluster notifications use (`pycadf.cadftaxonomy`).
public enum CADFAction: String, Sendable, Equatable {
    case create, update, delete
}

public enum CADFOutcome: String, Sendable, Equatable {
    case pending, success, failure
}

/// CADF identifiers as pycadf makes them: `uuid5(AUDIT_NS, str(uuid4()))`, where `AUDIT_NS` is
/// the first 128 bits of SHA-256 of `[audit] namespace` (`openstack`); a plain uuid4 when the
/// namespace is empty.
public struct CADFIdentifiers: Sendable, Equatable {
    public let namespace: String
    private let namespaceBytes: [UInt8]?

    public init(namespace: String = "openstack") {
        self.namespace = namespace
        if namespace.isEmpty {
            namespaceBytes = nil
        } else {
            namespaceBytes = Array(SHA256.hash(data: Array(namespace.utf8)).prefix(16))
        }
    }

    public func generate() -> String {
        let random = UUID().uuidString.lowercased()
        guard namespaceBytes != nil else { return random }
        return identifier(forName: random)
    }

    /// `uuid5(AUDIT_NS, name)`.
    public func identifier(forName name: String) -> String {
        let namespace = namespaceBytes ?? Array(repeating: 0, count: 16)
        var digest = Array(Insecure.SHA1.hash(data: namespace + Array(name.utf8)).prefix(16))
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        let hex = digest.map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}

/// The payload of Magnum's `magnum.cluster.{create,update,delete}` notifications, built as
/// `conductor_utils.notify_about_cluster_operation` builds it with pycadf: key order, the
/// initiator's optional ids, the target's optional name and the attachment's content (including
/// Magnum's `"docker_volume_size:"` key, colon and all) are Magnum's.
public struct ClusterAuditEvent: Sendable {
    public var action: CADFAction
    public var outcome: CADFOutcome
    public var eventID: String
    public var observerID: String
    public var initiatorID: String
    public var targetID: String?
    public var eventTime: Timestamp
    /// The caller: `context.user_id`, `project_id`, `domain_id` (each only when set).
    public var userID: String?
    public var projectID: String?
    public var domainID: String?
    /// The cluster, and the nodegroups its derived counts and addresses come from.
    public var cluster: Cluster?
    public var nodeGroups: [NodeGroup]

    public init(action: CADFAction, outcome: CADFOutcome, context: RequestContext, cluster: Cluster?, nodeGroups: [NodeGroup],
                time: Timestamp, identifiers: CADFIdentifiers) {
        self.action = action
        self.outcome = outcome
        self.initiatorID = identifiers.generate()
        self.targetID = cluster == nil ? identifiers.generate() : nil
        self.observerID = identifiers.generate()
        self.eventID = identifiers.generate()
        self.eventTime = time
        self.userID = context.userID
        self.projectID = context.projectID
        self.domainID = context.domainID
        self.cluster = cluster
        self.nodeGroups = nodeGroups
    }

    /// `magnum.cluster.<action>`.
    public var eventType: String { "magnum.cluster.\(action.rawValue)" }

    /// ERROR for failures, INFO otherwise (`notifier.error` / `notifier.info`).
    public var priority: NotificationPriority { outcome == .failure ? .error : .info }

    public var payload: JSONValue {
        var initiator: JSONObject = ["id": .string(initiatorID), "typeURI": "service/security/account/user"]
        if let userID, !userID.isEmpty { initiator["user_id"] = .string(userID) }
        if let projectID, !projectID.isEmpty { initiator["project_id"] = .string(projectID) }
        if let domainID, !domainID.isEmpty { initiator["domain_id"] = .string(domainID) }

        var event: JSONObject = [
            "typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event",
            "eventType": "activity",
            "id": .string(eventID),
            "eventTime": .string(eventTime.cadfEventTime),
            "action": .string(action.rawValue),
            "outcome": .string(outcome.rawValue),
            "observer": ["id": .string(observerID), "typeURI": "service/magnum/cluster"],
            "initiator": .object(initiator),
        ]
        event["target"] = .object(target)
        return .object(event)
    }

    var target: JSONObject {
        guard let cluster else { return ["id": .string(targetID ?? ""), "typeURI": "service/magnum/cluster"] }
        var target: JSONObject = ["id": cluster.base["uuid"] ?? .null, "typeURI": "service/magnum/cluster"]
        if let name = cluster.base["name"], !name.isNull { target["name"] = name }
        target["attachments"] = [["typeURI": "service/magnum/cluster", "content": .object(content(cluster)), "name": "cluster_data"]]
        return target
    }

    func content(_ cluster: Cluster) -> JSONObject {
        let workers = nodeGroups.filter { $0.role != NodeGroupRole.master }
        let masters = nodeGroups.filter { $0.role == NodeGroupRole.master }
        func field(_ name: String) -> JSONValue { cluster.base[name] ?? .null }
        func time(_ name: String) -> JSONValue {
            guard let t = cluster.base.timestamp(name) else { return .null }
            return .string(t.pythonPrimitive)
        }
        func addresses(_ groups: [NodeGroup]) -> JSONValue {
            .array(groups.flatMap { ($0.nodeAddresses ?? []).map { JSONValue.string($0) } })
        }
        func count(_ groups: [NodeGroup]) -> JSONValue { .int(Int64(groups.reduce(0) { $0 + ($1.nodeCount ?? 0) })) }
        return [
            "status": field("status"),
            "status_reason": field("status_reason"),
            "project_id": field("project_id"),
            "created_at": time("created_at"),
            "updated_at": time("updated_at"),
            "cluster_template_id": field("cluster_template_id"),
            "keypair": field("keypair"),
            "docker_volume_size:": field("docker_volume_size"),
            "labels": field("labels"),
            "master_flavor_id": field("master_flavor_id"),
            "flavor_id": field("flavor_id"),
            "stack_id": field("stack_id"),
            "health_status": field("health_status"),
            "create_timeout": field("create_timeout"),
            "api_address": field("api_address"),
            "discovery_url": field("discovery_url"),
            "node_addresses": addresses(workers),
            "master_addresses": addresses(masters),
            "node_count": count(workers),
            "master_count": count(masters),
        ]
    }
}

/// The payload of the worker's own `magnum.cluster.status_update` event
/// (`schemas/cluster-status-update.schema.json`): one per status change the worker makes or
/// sees, so dashboards can follow clusters without polling the API. Not sent by Magnum.
public struct ClusterStatusUpdate: Sendable, Equatable {
    public static let eventType = "magnum.cluster.status_update"

    public var cluster: Cluster
    public var previousStatus: String?
    public var nodeGroups: [NodeGroup]
    public var changedAt: Timestamp
    public var worker: String

    public init(cluster: Cluster, previousStatus: String?, nodeGroups: [NodeGroup], changedAt: Timestamp, worker: String) {
        self.cluster = cluster
        self.previousStatus = previousStatus
        self.nodeGroups = nodeGroups
        self.changedAt = changedAt
        self.worker = worker
    }

    /// ERROR for a `*_FAILED` status, INFO otherwise.
    public var priority: NotificationPriority {
        (cluster.status.map { $0.rawValue.hasSuffix("_FAILED") } ?? false) ? .error : .info
    }

    public var payload: JSONValue {
        func field(_ name: String) -> JSONValue { cluster.base[name] ?? .null }
        let workers = nodeGroups.filter { $0.role != NodeGroupRole.master }
        let masters = nodeGroups.filter { $0.role == NodeGroupRole.master }
        let groups: [JSONValue] = nodeGroups.map { ng in
            [
                "uuid": ng.base["uuid"] ?? .null, "name": .string(ng.name ?? ""), "role": ng.base["role"] ?? .null,
                "status": ng.base["status"] ?? .null, "status_reason": ng.base["status_reason"] ?? .null,
                "node_count": ng.base["node_count"] ?? .null,
            ]
        }
        return [
            "cluster_uuid": field("uuid"),
            "name": field("name"),
            "project_id": field("project_id"),
            "previous_status": JSONValue(previousStatus),
            "status": field("status"),
            "status_reason": field("status_reason"),
            "health_status": field("health_status"),
            "stack_id": field("stack_id"),
            "api_address": field("api_address"),
            "coe_version": field("coe_version"),
            "node_count": .int(Int64(workers.reduce(0) { $0 + ($1.nodeCount ?? 0) })),
            "master_count": .int(Int64(masters.reduce(0) { $0 + ($1.nodeCount ?? 0) })),
            "nodegroups": .array(groups),
            "changed_at": .string(changedAt.pythonPrimitive + "+00:00"),
            "worker": .string(worker),
        ]
    }
}
