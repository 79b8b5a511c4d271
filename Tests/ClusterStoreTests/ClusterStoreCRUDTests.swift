import ClusterStore
import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport

@Suite("Cluster CRUD on both backends")
struct ClusterStoreCRUDTests {
    @Test(arguments: Backend.allCases)
    func createGeneratesUUIDAndAppliesDefaults(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let created = try await f.store.createCluster(Sample.cluster("prod-east"))
            #expect(created.id == 1)
            #expect(ObjectIdentity.isUUIDLike(created.uuid ?? ""))
            #expect(created.name == "prod-east")
            #expect(created.floatingIPEnabled == true)  // Python-side column default
            #expect(created.masterLBEnabled == false)
            #expect(created.createdAt != nil)
            #expect(created.updatedAt == nil)
            #expect(created.changedFields.isEmpty)
            // Like the ORM object after flush: JSON columns never given are None in the answer...
            #expect(created.base["health_status_reason"] == .null)
            // ...though the database stores them as {} (JsonEncodedType binds None as {}).
            let raw = try await f.rawRows("cluster", columns: ["health_status_reason", "labels", "floating_ip_enabled", "stack_id"])
            #expect(raw == [[.text("{}"), .text("{\"kube_tag\": \"v1.31.4\"}"), .integer(1), .null]])
            let read = try await f.store.cluster(uuid: created.uuid ?? "", context: Sample.context)
            #expect(read.base["health_status_reason"] == .object([:]))
            #expect(read.labels == ["kube_tag": "v1.31.4"])
            #expect(read.createdAt == created.createdAt)
        }
    }

    @Test(arguments: Backend.allCases)
    func getByIdUUIDAndName(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let a = try await f.store.createCluster(Sample.cluster("a", uuid: "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"))
            #expect(try await f.store.cluster(id: a.id ?? 0, context: Sample.context).uuid == a.uuid)
            #expect(try await f.store.cluster(uuid: "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", context: Sample.context).name == "a")
            #expect(try await f.store.cluster(name: "a", context: Sample.context).id == a.id)
            let missing = await expectMagnumError("ClusterNotFound") {
                _ = try await f.store.cluster(uuid: "00000000-0000-4000-8000-000000000000", context: Sample.context)
            }
            #expect(missing?.message == "Cluster 00000000-0000-4000-8000-000000000000 could not be found.")
            #expect(missing?.kwargs == ["cluster": "00000000-0000-4000-8000-000000000000", "code": 404])
            let byID = await expectMagnumError("ClusterNotFound") { _ = try await f.store.cluster(id: 999, context: Sample.context) }
            #expect(byID?.kwargs["cluster"] == .int(999))
        }
    }

    @Test(arguments: Backend.allCases)
    func nameSharedByTwoClustersIsAConflict(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            _ = try await f.store.createCluster(Sample.cluster("twin"))
            _ = try await f.store.createCluster(Sample.cluster("twin"))
            let error = await expectMagnumError("Conflict") { _ = try await f.store.cluster(name: "twin", context: Sample.context) }
            #expect(error?.message == "Multiple clusters exist with same name. Please use the cluster uuid instead.")
            #expect(error?.code == 409)
        }
    }

    @Test(arguments: Backend.allCases)
    func duplicateUUIDIsClusterAlreadyExists(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let uuid = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"
            _ = try await f.store.createCluster(Sample.cluster("a", uuid: uuid))
            let error = await expectMagnumError("ClusterAlreadyExists") { _ = try await f.store.createCluster(Sample.cluster("b", uuid: uuid)) }
            #expect(error?.message == "A cluster with UUID \(uuid) already exists.")
            #expect(try await f.store.clusterCount(context: Sample.context, filters: [:]) == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func updateWritesOnlyChangedColumnsAndStampsUpdatedAt(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let created = try await f.store.createCluster(Sample.cluster("a"))
            let uuid = created.uuid ?? ""
            // Same values: no UPDATE at all, so updated_at stays NULL (SQLAlchemy skips the flush).
            let same = try await f.store.updateCluster(.uuid(uuid), values: ["name": "a", "status": "CREATE_COMPLETE"])
            #expect(same.updatedAt == nil)
            #expect(try await f.rawRows("cluster", columns: ["updated_at"]) == [[.null]])

            let updated = try await f.store.updateCluster(.uuid(uuid), values: ["status": "UPDATE_IN_PROGRESS", "status_reason": .null])
            #expect(updated.status == .updateInProgress)
            #expect(updated.updatedAt != nil)
            #expect(updated.changedFields.isEmpty)
            let read = try await f.store.cluster(uuid: uuid, context: Sample.context)
            #expect(read.status == .updateInProgress)
            #expect(read.updatedAt == updated.updatedAt)
            #expect(read.name == "a")
            #expect(read.labels == ["kube_tag": "v1.31.4"])

            // Setting a JSON column to None stores {} (and counts as a change from the old dict).
            _ = try await f.store.updateCluster(.id(created.id ?? 0), values: ["labels": .null])
            #expect(try await f.rawRows("cluster", columns: ["labels"]) == [[.text("{}")]])
        }
    }

    @Test(arguments: Backend.allCases)
    func updateRefusesUUIDAndChecksIdentity(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let created = try await f.store.createCluster(Sample.cluster("a"))
            let error = await expectMagnumError("InvalidParameterValue") {
                _ = try await f.store.updateCluster(.id(created.id ?? 0), values: ["uuid": .string(created.uuid ?? "")])
            }
            #expect(error?.message == "Cannot overwrite UUID for an existing Cluster.")
            _ = await expectMagnumError("InvalidParameterValue") {
                _ = try await f.store.updateCluster(.id(created.id ?? 0), values: ["id": 42])
            }
            _ = await expectMagnumError("ClusterNotFound") {
                _ = try await f.store.updateCluster(.uuid("00000000-0000-4000-8000-000000000000"), values: ["name": "x"])
            }
            let invalid = await expectMagnumError("InvalidIdentity") { _ = try ObjectIdentity("not-an-id") }
            #expect(invalid?.message == "Expected an uuid or int but received not-an-id.")
            #expect(try ObjectIdentity("42") == .id(42))
            #expect(try ObjectIdentity("{0C7F4A86-51D5-4B57-9A44-7E7F1C1A9B02}") == .uuid("{0C7F4A86-51D5-4B57-9A44-7E7F1C1A9B02}"))
        }
    }

    @Test(arguments: Backend.allCases)
    func wrongFieldTypeIsRefusedBeforeWriting(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            await #expect(throws: ObjectError.self) {
                _ = try await f.store.createCluster(Sample.cluster("a", extra: ["node_count_is_not_a_field": 1, "create_timeout": "soon"]))
            }
            await #expect(throws: ObjectError.self) {
                _ = try await f.store.createCluster(Sample.cluster("a", extra: ["labels": ["not", "a", "dict"]]))
            }
            #expect(try await f.store.clusterCount(context: .allProjects, filters: [:]) == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func destroyRemovesTheRow(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let a = try await f.store.createCluster(Sample.cluster("a"))
            let b = try await f.store.createCluster(Sample.cluster("b"))
            try await f.store.destroyCluster(.uuid(a.uuid ?? ""))
            try await f.store.destroyCluster(.id(b.id ?? 0))
            _ = await expectMagnumError("ClusterNotFound") { try await f.store.destroyCluster(.uuid(a.uuid ?? "")) }
            #expect(try await f.store.clusterCount(context: .allProjects, filters: [:]) == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func objectConveniencesUseTheChangedFields(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            var cluster = Cluster()
            cluster.name = "typed"
            cluster.projectId = Sample.project
            cluster.userId = Sample.user
            cluster.labels = ["a": "b"]
            var created = try await f.store.create(cluster)
            #expect(created.name == "typed")
            created.status = .createComplete
            created.healthStatusReason = ["api": "ok"]
            let saved = try await f.store.save(created)
            #expect(saved.healthStatusReason == ["api": "ok"])
            try await f.store.destroy(saved)
            #expect(try await f.store.clusters(context: Sample.context).isEmpty)
        }
    }
}
