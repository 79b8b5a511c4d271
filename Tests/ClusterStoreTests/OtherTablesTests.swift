import ClusterStore
import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport

@Suite("Nodegroups, templates, key pairs, services, quotas, federations on both backends")
struct OtherTablesTests {
    static let clusterUUID = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"

    @Test(arguments: Backend.allCases)
    func nodeGroupsCRUDFiltersAndScope(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let c = Self.clusterUUID
            let master = try await f.store.createNodeGroup(Sample.nodeGroup("default-master", cluster: c, role: "master", count: 3, isDefault: true))
            _ = try await f.store.createNodeGroup(Sample.nodeGroup("default-worker", cluster: c, count: 2, isDefault: true))
            let gpu = try await f.store.createNodeGroup(Sample.nodeGroup("gpu-pool", cluster: c, extra: [
                "node_labels": ["tier": "gpu"], "node_taints": [["key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"]],
                "status": "CREATE_COMPLETE",
            ]))
            #expect(master.minNodeCount == 0)  // NULL column, field default
            #expect(gpu.nodeTaints?.first?["effect"] == "NoSchedule")
            let dup = await expectMagnumError("NodeGroupAlreadyExists") {
                _ = try await f.store.createNodeGroup(Sample.nodeGroup("gpu-pool", cluster: c))
            }
            #expect(dup?.message == "A node group with name gpu-pool already exists in the cluster \(c).")

            let ctx = Sample.context
            #expect(try await f.store.nodeGroups(clusterId: c, context: ctx, filters: [:], options: .all).map(\.name) == ["default-master", "default-worker", "gpu-pool"])
            #expect(try await f.store.nodeGroups(clusterId: c, context: ctx, filters: ["role": "master"], options: .all).map(\.name) == ["default-master"])
            #expect(try await f.store.nodeGroups(clusterId: c, context: ctx, filters: ["is_default": true], options: .all).count == 2)
            #expect(try await f.store.nodeGroups(clusterId: c, context: ctx, filters: ["status": ["CREATE_COMPLETE"]], options: .all).map(\.name) == ["gpu-pool"])
            #expect(try await f.store.nodeGroups(clusterId: c, context: ctx, filters: ["node_count": 2], options: .all).map(\.name) == ["default-worker"])
            #expect(try await f.store.nodeGroupCount(clusterId: c, context: ctx) == 3)
            // Another project sees nothing, an admin of any project sees everything.
            let stranger = StoreContext(projectId: "elsewhere", userId: "u")
            #expect(try await f.store.nodeGroupCount(clusterId: c, context: stranger) == 0)
            #expect(try await f.store.nodeGroupCount(clusterId: c, context: StoreContext(projectId: "elsewhere", userId: "u", isAdmin: true)) == 3)
            _ = await expectMagnumError("NodeGroupNotFound") { _ = try await f.store.nodeGroup(name: "gpu-pool", clusterId: c, context: stranger) }

            #expect(try await f.store.nodeGroup(id: gpu.id ?? 0, clusterId: c, context: ctx).name == "gpu-pool")
            #expect(try await f.store.nodeGroup(uuid: gpu.uuid ?? "", clusterId: c, context: ctx).name == "gpu-pool")
            _ = await expectMagnumError("NodeGroupNotFound") { _ = try await f.store.nodeGroup(uuid: gpu.uuid ?? "", clusterId: "other", context: ctx) }

            let resized = try await f.store.updateNodeGroup(clusterId: c, .uuid(gpu.uuid ?? ""), values: ["node_count": 4, "status": "UPDATE_IN_PROGRESS"])
            #expect(resized.nodeCount == 4)
            #expect(resized.updatedAt != nil)
            // Renaming onto an existing name is the database's duplicate-entry error, as in Magnum.
            let rename = await #expect(throws: StoreError.self) {
                _ = try await f.store.updateNodeGroup(clusterId: c, .id(gpu.id ?? 0), values: ["name": "default-worker"])
            }
            #expect(rename?.kind == .duplicateEntry)
            try await f.store.destroyNodeGroup(clusterId: c, .uuid(gpu.uuid ?? ""))
            _ = await expectMagnumError("NodeGroupNotFound") { try await f.store.destroyNodeGroup(clusterId: c, .uuid(gpu.uuid ?? "")) }
            #expect(try await f.store.nodeGroupCount(clusterId: c, context: ctx) == 2)
        }
    }

    @Test(arguments: Backend.allCases)
    func clusterTemplateVisibilityAndReferences(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let own = try await f.store.createClusterTemplate(Sample.template("own"))
            _ = try await f.store.createClusterTemplate(Sample.template("public", project: "ops", isPublic: true))
            _ = try await f.store.createClusterTemplate(Sample.template("hidden", project: "ops", isPublic: true, hidden: true))
            _ = try await f.store.createClusterTemplate(Sample.template("foreign", project: "ops"))
            let ctx = Sample.context
            let admin = StoreContext(projectId: Sample.project, userId: Sample.user, isAdmin: true)
            #expect(try await f.store.clusterTemplates(context: ctx, filters: [:], options: .all).map(\.name) == ["own", "public"])
            #expect(try await f.store.clusterTemplates(context: admin, filters: [:], options: .all).map(\.name) == ["own", "public", "hidden"])
            // Filters only narrow the project's own templates; public ones always show (Magnum's UNION).
            #expect(try await f.store.clusterTemplates(context: ctx, filters: ["name": "nothing"], options: .all).map(\.name) == ["public"])
            #expect(try await f.store.clusterTemplate(name: "public", context: ctx).projectId == "ops")
            _ = await expectMagnumError("ClusterTemplateNotFound") { _ = try await f.store.clusterTemplate(name: "foreign", context: ctx) }
            _ = await expectMagnumError("ClusterTemplateNotFound") { _ = try await f.store.clusterTemplate(name: "hidden", context: ctx) }
            #expect(try await f.store.clusterTemplate(name: "hidden", context: admin).hidden == true)

            // A template in use may only be renamed, published or hidden.
            _ = try await f.store.createCluster(Sample.cluster("user", template: own.uuid ?? ""))
            let referenced = await expectMagnumError("ClusterTemplateReferenced") {
                _ = try await f.store.updateClusterTemplate(.uuid(own.uuid ?? ""), values: ["image_id": "other"])
            }
            #expect(referenced?.code == 400)
            #expect(try await f.store.updateClusterTemplate(.uuid(own.uuid ?? ""), values: ["name": "renamed"]).name == "renamed")
            #expect(try await f.store.updateClusterTemplate(.uuid(own.uuid ?? ""), values: ["public": true]).isPublic == true)
            _ = await expectMagnumError("ClusterTemplateReferenced") { try await f.store.destroyClusterTemplate(.uuid(own.uuid ?? "")) }
            #expect(try await f.store.clusterTemplate(uuid: own.uuid ?? "", context: ctx).imageId == "ubuntu-2204-kube-v1.31.4")
            let dup = await expectMagnumError("ClusterTemplateAlreadyExists") {
                _ = try await f.store.createClusterTemplate(Sample.template("again", extra: ["uuid": .string(own.uuid ?? "")]))
            }
            #expect(dup?.code == 409)
        }
    }

    @Test(arguments: Backend.allCases)
    func x509KeyPairs(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let pair = try await f.store.createX509KeyPair([
                "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "private_key": "encrypted",
                "project_id": .string(Sample.project), "user_id": .string(Sample.user),
            ])
            #expect(try await f.store.x509KeyPair(uuid: pair.uuid ?? "", context: Sample.context).certificate?.hasPrefix("-----BEGIN") == true)
            #expect(try await f.store.x509KeyPairs(context: Sample.context, filters: ["user_id": .string(Sample.user)], options: .all).count == 1)
            #expect(try await f.store.x509KeyPairs(context: Sample.context, filters: ["user_id": "x"], options: .all).isEmpty)
            _ = await expectMagnumError("X509KeyPairNotFound") {
                _ = try await f.store.x509KeyPair(uuid: pair.uuid ?? "", context: StoreContext(projectId: "other", userId: "u"))
            }
            let updated = try await f.store.updateX509KeyPair(.id(pair.id ?? 0), values: ["intermediates": "chain"])
            #expect(updated.intermediates == "chain")
            _ = await expectMagnumError("InvalidParameterValue") {
                _ = try await f.store.updateX509KeyPair(.id(pair.id ?? 0), values: ["uuid": "x"])
            }
            try await f.store.destroyX509KeyPair(.uuid(pair.uuid ?? ""))
            // Magnum passes the id positionally here: the message is the id itself.
            let gone = await expectMagnumError("X509KeyPairNotFound") { try await f.store.destroyX509KeyPair(.uuid(pair.uuid ?? "")) }
            #expect(gone?.message == pair.uuid)
        }
    }

    @Test(arguments: Backend.allCases)
    func magnumServices(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let created = try await f.store.createMagnumService(["host": "worker-1", "binary": "magnum-conductor", "report_count": 0])
            #expect(created.disabled == false)
            #expect(created.forcedDown == false)
            #expect(created.lastSeenUp == nil)
            // A second create for the same host and binary returns the existing row.
            let again = try await f.store.createMagnumService(["host": "worker-1", "binary": "magnum-conductor", "report_count": 7])
            #expect(again.id == created.id)
            #expect(again.reportCount == 0)
            #expect(try await f.store.magnumService(host: "worker-1", binary: "magnum-conductor")?.id == created.id)
            #expect(try await f.store.magnumService(host: "nobody", binary: "magnum-conductor") == nil)
            // A growing report_count is a heartbeat: last_seen_up is stamped.
            let beat = try await f.store.updateMagnumService(.id(created.id ?? 0), values: ["report_count": 1])
            #expect(beat.lastSeenUp != nil)
            #expect(beat.reportCount == 1)
            let same = try await f.store.updateMagnumService(.id(created.id ?? 0), values: ["disabled": true, "disabled_reason": "maintenance"])
            #expect(same.lastSeenUp == beat.lastSeenUp)
            _ = try await f.store.createMagnumService(["host": "worker-2", "binary": "magnum-conductor"])
            #expect(try await f.store.magnumServices(disabled: nil, options: .all).count == 2)
            #expect(try await f.store.magnumServices(disabled: true, options: .all).map(\.host) == ["worker-1"])
            #expect(try await f.store.magnumServices(disabled: nil, options: ListOptions(sortKey: "host", sortDirection: "desc")).map(\.host) == ["worker-2", "worker-1"])
            try await f.store.destroyMagnumService(.id(created.id ?? 0))
            _ = await expectMagnumError("MagnumServiceNotFound") { try await f.store.destroyMagnumService(.id(created.id ?? 0)) }
        }
    }

    @Test(arguments: Backend.allCases)
    func quotas(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let q = try await f.store.createQuota(["project_id": "p1", "resource": "Cluster", "hard_limit": 5])
            let dup = await expectMagnumError("QuotaAlreadyExists") {
                _ = try await f.store.createQuota(["project_id": "p1", "resource": "Cluster", "hard_limit": 9])
            }
            #expect(dup?.message == "Quota for project p1 already exists for resource Cluster.")
            _ = try await f.store.createQuota(["project_id": "p2", "resource": "Cluster", "hard_limit": 1])
            #expect(try await f.store.quota(id: q.id ?? 0).hardLimit == 5)
            #expect(try await f.store.quota(projectId: "p1", resource: "Cluster").id == q.id)
            #expect(try await f.store.quotas(filters: ["project_id": "p2"], options: .all).count == 1)
            #expect(try await f.store.quotas(projectId: "p1").map(\.hardLimit) == [5])
            #expect(try await f.store.updateQuota(projectId: "p1", values: ["resource": "Cluster", "hard_limit": 10]).hardLimit == 10)
            let missing = await expectMagnumError("QuotaNotFound") {
                _ = try await f.store.updateQuota(projectId: "p3", values: ["resource": "Cluster", "hard_limit": 1])
            }
            #expect(missing?.message == "Quota could not be found: project_id p3 resource Cluster.")
            try await f.store.deleteQuota(projectId: "p1", resource: "Cluster")
            _ = await expectMagnumError("QuotaNotFound") { _ = try await f.store.quota(id: q.id ?? 0) }
        }
    }

    @Test(arguments: Backend.allCases)
    func federations(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let fed = try await f.store.createFederation([
                "name": "fed", "project_id": .string(Sample.project), "hostcluster_id": .string(Self.clusterUUID),
                "member_ids": ["a", "b"], "status": "CREATE_COMPLETE", "properties": ["dns-zone": "example.com."],
            ])
            #expect(try await f.store.federation(name: "fed", context: Sample.context).memberIds == ["a", "b"])
            #expect(try await f.store.federations(context: Sample.context, filters: ["member_ids": ["a", "b"]], options: .all).count == 1)
            #expect(try await f.store.federations(context: Sample.context, filters: ["member_ids": ["a"]], options: .all).isEmpty)
            #expect(try await f.store.federationCount(context: Sample.context, filters: ["status": ["CREATE_COMPLETE"]]) == 1)
            let updated = try await f.store.updateFederation(.uuid(fed.uuid ?? ""), values: ["member_ids": ["a", "b", "c"]])
            #expect(updated.memberIds == ["a", "b", "c"])
            _ = await expectMagnumError("FederationAlreadyExists") {
                _ = try await f.store.createFederation(["name": "dup", "uuid": .string(fed.uuid ?? "")])
            }
            try await f.store.destroyFederation(.id(fed.id ?? 0))
            _ = await expectMagnumError("FederationNotFound") { _ = try await f.store.federation(id: fed.id ?? 0, context: Sample.context) }
        }
    }
}
