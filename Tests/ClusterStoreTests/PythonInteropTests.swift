import ClusterStore
import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport

/// Rows written by the Swift store are read by Magnum's own objects (`magnum.objects.*` over
/// `magnum.db.sqlalchemy.api`) and rows Magnum's objects write are read by the store — field by
/// field, on SQLite and on MariaDB.
@Suite("Magnum's Python objects and the Swift store share rows", .enabled(if: TestEnvironment.pythonEnabled))
struct PythonInteropTests {
    static let contextJSON: JSONValue = ["project_id": .string(Sample.project), "user_id": .string(Sample.user),
                                         "is_admin": false, "all_tenants": false]

    /// Runs real magnum object calls against the fixture's database.
    static func python(_ f: StoreFixture, _ calls: [JSONValue]) async throws -> [JSONValue] {
        let request: JSONValue = ["op": "calls", "connection": .string(f.url), "calls": .array(calls)]
        let answer = try JSONValue(parsing: await TestEnvironment.magnumDBPeer.request(request.jsonString(.compact)))
        guard case .array(let answers) = answer else { throw PeerError(answer: answer) }
        for a in answers where a["error"] != nil { Issue.record("Python failed: \(a.jsonString())") }
        return answers.map { $0["result"] ?? .null }
    }

    struct PeerError: Error { let answer: JSONValue }

    static func call(_ cls: String, _ method: String, _ args: [JSONValue] = [], kwargs: JSONObject = [:]) -> JSONValue {
        ["context": contextJSON, "class": .string(cls), "method": .string(method), "args": .array(args), "kwargs": .object(kwargs)]
    }

    static func instance(_ object: JSONValue, _ method: String) -> JSONValue {
        ["context": contextJSON, "object": object, "method": .string(method), "args": []]
    }

    /// Compares two object primitives field by field (reporting each difference).
    static func expectSameFields(_ python: JSONValue, _ swift: JSONValue, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(python[PrimitiveKey.name] == swift[PrimitiveKey.name], "\(what): name", sourceLocation: sourceLocation)
        #expect(python[PrimitiveKey.version] == swift[PrimitiveKey.version], "\(what): version", sourceLocation: sourceLocation)
        let p = python[PrimitiveKey.data]?.objectValue ?? [:]
        let s = swift[PrimitiveKey.data]?.objectValue ?? [:]
        #expect(Array(p.keys) == Array(s.keys), "\(what): fields", sourceLocation: sourceLocation)
        for (key, value) in p {
            #expect(s[key] == value, "\(what).\(key): Python \(value.jsonString()) vs Swift \((s[key] ?? .null).jsonString())",
                    sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: Backend.allCases)
    func rowsWrittenBySwiftAreReadByMagnumsObjects(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let template = try await f.store.createClusterTemplate(Sample.template("k8s", extra: ["server_type": "vm", "tags": ""]))
            let cluster = try await f.store.createCluster(Sample.cluster("prod-east", template: template.uuid ?? "", extra: [
                "health_status": "HEALTHY", "health_status_reason": ["api": "ok"], "api_address": "https://203.0.113.10:6443",
                "master_lb_enabled": true, "coe_version": "v1.31.4", "status_reason": "Cluster creation complete",
            ]))
            let uuid = cluster.uuid ?? ""
            let gpu = try await f.store.createNodeGroup(Sample.nodeGroup("gpu-pool", cluster: uuid, extra: [
                "node_labels": ["tier": "gpu"], "node_taints": [["key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"]],
                "node_addresses": ["10.0.0.5"], "max_node_count": 5, "status": "CREATE_COMPLETE",
            ]))
            _ = try await f.store.createNodeGroup(Sample.nodeGroup("default-master", cluster: uuid, role: "master", count: 3, isDefault: true))
            _ = try await f.store.updateCluster(.uuid(uuid), values: ["status": "UPDATE_IN_PROGRESS", "labels": ["kube_tag": "v1.32.0"]])
            let pair = try await f.store.createX509KeyPair(["certificate": "CERT", "private_key": "KEY", "project_id": .string(Sample.project),
                                                            "user_id": .string(Sample.user)])
            _ = try await f.store.createMagnumService(["host": "worker-1", "binary": "magnum-conductor", "report_count": 3])
            _ = try await f.store.createQuota(["project_id": .string(Sample.project), "resource": "Cluster", "hard_limit": 7])
            let fed = try await f.store.createFederation(["name": "fed", "project_id": .string(Sample.project), "member_ids": [.string(uuid)],
                                                          "properties": ["dns-zone": "example.com."], "status": "CREATE_COMPLETE"])

            let answers = try await Self.python(f, [
                Self.call("Cluster", "get_by_uuid", [.string(uuid)]),
                Self.call("ClusterTemplate", "get_by_uuid", [.string(template.uuid ?? "")]),
                Self.call("NodeGroup", "get_by_uuid", [.string(uuid), .string(gpu.uuid ?? "")]),
                Self.call("NodeGroup", "list", [.string(uuid)]),
                Self.call("X509KeyPair", "get_by_uuid", [.string(pair.uuid ?? "")]),
                Self.call("MagnumService", "get_by_host_and_binary", ["worker-1", "magnum-conductor"]),
                Self.call("Quota", "get_quota_by_project_id_resource", [.string(Sample.project), "Cluster"]),
                Self.call("Federation", "get_by_uuid", [.string(fed.uuid ?? "")]),
                Self.call("Cluster", "list", kwargs: ["sort_key": "name"]),
            ])
            let ctx = Sample.context
            Self.expectSameFields(answers[0], try await f.store.cluster(uuid: uuid, context: ctx).primitive(), "Cluster")
            Self.expectSameFields(answers[1], try await f.store.clusterTemplate(uuid: template.uuid ?? "", context: ctx).primitive(), "ClusterTemplate")
            Self.expectSameFields(answers[2], try await f.store.nodeGroup(uuid: gpu.uuid ?? "", clusterId: uuid, context: ctx).primitive(), "NodeGroup")
            let groups = try await f.store.nodeGroups(clusterId: uuid, context: ctx, filters: [:], options: .all)
            #expect(answers[3].arrayValue?.count == groups.count)
            for (p, s) in zip(answers[3].arrayValue ?? [], groups) { Self.expectSameFields(p, try s.primitive(), "NodeGroup.list") }
            Self.expectSameFields(answers[4], try await f.store.x509KeyPair(uuid: pair.uuid ?? "", context: ctx).primitive(), "X509KeyPair")
            let service = try await f.store.magnumService(host: "worker-1", binary: "magnum-conductor")
            Self.expectSameFields(answers[5], try service?.primitive() ?? .null, "MagnumService")
            Self.expectSameFields(answers[6], try await f.store.quota(projectId: Sample.project, resource: "Cluster").primitive(), "Quota")
            Self.expectSameFields(answers[7], try await f.store.federation(uuid: fed.uuid ?? "", context: ctx).primitive(), "Federation")
            #expect(answers[0][PrimitiveKey.data]?["labels"] == ["kube_tag": "v1.32.0"])
            #expect(answers[0][PrimitiveKey.data]?["updated_at"]?.isNull == false)
            #expect(answers[8].arrayValue?.count == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func rowsWrittenByMagnumsObjectsAreReadBySwift(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let clusterUUID = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"
            var cluster = Cluster()
            cluster.uuid = clusterUUID
            cluster.name = "from-python"
            cluster.projectId = Sample.project
            cluster.userId = Sample.user
            cluster.labels = ["kube_tag": "v1.31.4", "auto_healing_enabled": "true"]
            cluster.status = .createInProgress
            cluster.createTimeout = 60
            cluster.masterLBEnabled = true
            var nodeGroup = NodeGroup()
            nodeGroup.uuid = "42e07147-fddb-5c3c-a670-4e80ee2753b9"
            nodeGroup.name = "default-worker"
            nodeGroup.clusterId = clusterUUID
            nodeGroup.projectId = Sample.project
            nodeGroup.role = "worker"
            nodeGroup.nodeCount = 2
            nodeGroup.nodeTaints = [["key": "k", "value": "v", "effect": "NoExecute"]]
            var service = MagnumService()
            service.host = "py-host"
            service.binary = "magnum-conductor"
            service.reportCount = 0
            service.disabled = false
            service.forcedDown = false
            var quota = Quota()
            quota.projectId = Sample.project
            quota.resource = "Cluster"
            quota.hardLimit = 3

            let created = try await Self.python(f, [
                Self.instance(try cluster.primitive(), "create"),
                Self.instance(try nodeGroup.primitive(), "create"),
                Self.instance(try service.primitive(), "create"),
                Self.instance(try quota.primitive(), "create"),
            ])
            // Python saves a change to the cluster: only status, as a real conductor would.
            var saved = try Cluster(primitive: created[0])
            saved.status = .createComplete
            saved.healthStatusReason = ["api": "ok"]
            _ = try await Self.python(f, [Self.instance(try saved.primitive(), "save")])

            let reread = try await Self.python(f, [
                Self.call("Cluster", "get_by_uuid", [.string(clusterUUID)]),
                Self.call("NodeGroup", "get_by_uuid", [.string(clusterUUID), "42e07147-fddb-5c3c-a670-4e80ee2753b9"]),
                Self.call("MagnumService", "get_by_host_and_binary", ["py-host", "magnum-conductor"]),
                Self.call("Quota", "get_quota_by_project_id_resource", [.string(Sample.project), "Cluster"]),
            ])
            let ctx = Sample.context
            let swiftCluster = try await f.store.cluster(uuid: clusterUUID, context: ctx)
            Self.expectSameFields(reread[0], try swiftCluster.primitive(), "Cluster")
            #expect(swiftCluster.status == .createComplete)
            #expect(swiftCluster.healthStatusReason == ["api": "ok"])
            #expect(swiftCluster.labels == ["kube_tag": "v1.31.4", "auto_healing_enabled": "true"])
            #expect(swiftCluster.updatedAt != nil)
            Self.expectSameFields(reread[1], try await f.store.nodeGroup(uuid: "42e07147-fddb-5c3c-a670-4e80ee2753b9", clusterId: clusterUUID, context: ctx).primitive(), "NodeGroup")
            Self.expectSameFields(reread[2], try await f.store.magnumService(host: "py-host", binary: "magnum-conductor")?.primitive() ?? .null, "MagnumService")
            Self.expectSameFields(reread[3], try await f.store.quota(projectId: Sample.project, resource: "Cluster").primitive(), "Quota")

            // What Python's create() answered matches what the Swift store answers for the same input.
            var again = cluster
            again.uuid = "11111111-2222-4333-8444-555555555555"
            let swiftCreated = try await f.store.create(again)
            var pythonData = created[0][PrimitiveKey.data]?.objectValue ?? [:]
            var swiftData = try swiftCreated.primitive()[PrimitiveKey.data]?.objectValue ?? [:]
            for key in ["id", "uuid", "created_at"] {
                pythonData[key] = nil
                swiftData[key] = nil
            }
            #expect(pythonData == swiftData)
        }
    }
}
