import ClusterStore
import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport

@Suite("Listing, paging, sorting and scoping on both backends")
struct ClusterListTests {
    static let other = "0000000000000000000000000000other"

    /// Five clusters: three in our project, one in another, one with no project (user only).
    static func seed(_ store: any ClusterStore) async throws -> [Cluster] {
        var out: [Cluster] = []
        out.append(try await store.createCluster(Sample.cluster("c-alpha", extra: ["stack_id": "s1", "docker_volume_size": 20])))
        out.append(try await store.createCluster(Sample.cluster("c-bravo", status: "CREATE_FAILED", extra: ["docker_volume_size": 10])))
        out.append(try await store.createCluster(Sample.cluster("c-charlie", status: "UPDATE_COMPLETE")))
        out.append(try await store.createCluster(Sample.cluster("c-other", project: other, user: "someone")))
        var noProject = Sample.cluster("c-noproject", user: "lonely")
        noProject["project_id"] = .null
        out.append(try await store.createCluster(noProject))
        // Nodegroups for node_count / master_count filters and stats.
        for (i, c) in out.enumerated() {
            _ = try await store.createNodeGroup(Sample.nodeGroup("default-master", cluster: c.uuid ?? "", role: "master", count: 1,
                                                                 project: c.projectId ?? "", isDefault: true))
            _ = try await store.createNodeGroup(Sample.nodeGroup("default-worker", cluster: c.uuid ?? "", count: i + 1,
                                                                 project: c.projectId ?? "", isDefault: true))
        }
        return out
    }

    func names(_ clusters: [Cluster]) -> [String] { clusters.map { $0.name ?? "" } }

    @Test(arguments: Backend.allCases)
    func projectScopingFollowsAddTenantFilters(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            _ = try await Self.seed(f.store)
            let mine = try await f.store.clusters(context: Sample.context, filters: [:], options: .all)
            #expect(names(mine) == ["c-alpha", "c-bravo", "c-charlie"])
            // An admin without all_tenants is still scoped to its project.
            let admin = StoreContext(projectId: Self.other, userId: "admin", isAdmin: true)
            #expect(names(try await f.store.clusters(context: admin, filters: [:], options: .all)) == ["c-other"])
            #expect(try await f.store.clusters(context: .allProjects, filters: [:], options: .all).count == 5)
            // all_tenants without admin changes nothing.
            let sneaky = StoreContext(projectId: Sample.project, userId: Sample.user, allTenants: true)
            #expect(try await f.store.clusters(context: sneaky, filters: [:], options: .all).count == 3)
            // No project: scoped by user.
            let userOnly = StoreContext(projectId: nil, userId: "lonely")
            #expect(names(try await f.store.clusters(context: userOnly, filters: [:], options: .all)) == ["c-noproject"])
            // Another project's cluster is not found, by uuid or by name.
            _ = await expectMagnumError("ClusterNotFound") { _ = try await f.store.cluster(name: "c-other", context: Sample.context) }
            #expect(try await f.store.clusterCount(context: Sample.context, filters: [:]) == 3)
        }
    }

    @Test(arguments: Backend.allCases)
    func filtersAsMagnumAppliesThem(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            let seeded = try await Self.seed(f.store)
            let ctx = StoreContext.allProjects
            func list(_ filters: JSONObject) async throws -> [String] {
                names(try await f.store.clusters(context: ctx, filters: filters, options: .all))
            }
            #expect(try await list(["name": "c-bravo"]) == ["c-bravo"])
            #expect(try await list(["stack_id": "s1"]) == ["c-alpha"])
            #expect(try await list(["status": ["CREATE_FAILED", "UPDATE_COMPLETE"]]) == ["c-bravo", "c-charlie"])
            #expect(try await list(["status": []]) == [])
            #expect(try await list(["project_id": .string(Self.other)]) == ["c-other"])
            #expect(try await list(["cluster_template_id": "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11", "user_id": "someone"]) == ["c-other"])
            // node_count sums non-master nodegroups, master_count master ones.
            #expect(try await list(["node_count": 2]) == ["c-bravo"])
            #expect(try await list(["master_count": 1]).count == 5)
            #expect(try await list(["master_count": 2]) == [])
            // Unknown keys are ignored, as Magnum ignores them.
            #expect(try await list(["flavour": "x"]).count == 5)
            #expect(try await f.store.clusterCount(context: ctx, filters: ["status": ["CREATE_COMPLETE"]]) == 3)
            // node_addresses is in Magnum's list but not a cluster column: SQLAlchemy refuses it.
            let error = await #expect(throws: StoreError.self) { _ = try await list(["node_addresses": ["10.0.0.1"]]) }
            #expect(error?.kind == .invalidFilter)
            // status must be a list.
            await #expect(throws: StoreError.self) { _ = try await list(["status": "CREATE_COMPLETE"]) }
            _ = seeded
        }
    }

    @Test(arguments: Backend.allCases)
    func sortingAndMarkerPaging(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            _ = try await Self.seed(f.store)
            let ctx = StoreContext.allProjects
            let byName = try await f.store.clusters(context: ctx, filters: [:], options: ListOptions(sortKey: "name", sortDirection: "desc"))
            #expect(names(byName) == ["c-other", "c-noproject", "c-charlie", "c-bravo", "c-alpha"])

            // Pages of two by id, each after the previous page's last object.
            var seen: [String] = []
            var marker: VersionedObject?
            while true {
                let page = try await f.store.clusters(context: ctx, filters: [:], options: ListOptions(limit: 2, marker: marker))
                if page.isEmpty { break }
                #expect(page.count <= 2)
                seen += names(page)
                marker = page.last?.base
            }
            #expect(seen == ["c-alpha", "c-bravo", "c-charlie", "c-other", "c-noproject"])

            // Paging on a nullable, non-unique key: (docker_volume_size, id) with NULLs last.
            let first = try await f.store.clusters(context: ctx, filters: [:],
                                                   options: ListOptions(limit: 2, sortKey: "docker_volume_size", sortDirection: "asc-nullslast"))
            #expect(names(first) == ["c-bravo", "c-alpha"])
            let rest = try await f.store.clusters(context: ctx, filters: [:],
                                                  options: ListOptions(marker: first.last?.base, sortKey: "docker_volume_size", sortDirection: "asc-nullslast"))
            #expect(names(rest) == ["c-charlie", "c-other", "c-noproject"])
            let nullsFirst = try await f.store.clusters(context: ctx, filters: [:],
                                                        options: ListOptions(sortKey: "docker_volume_size", sortDirection: "desc-nullsfirst"))
            #expect(names(nullsFirst) == ["c-noproject", "c-other", "c-charlie", "c-alpha", "c-bravo"])

            let bad = await expectMagnumError("InvalidParameterValue") {
                _ = try await f.store.clusters(context: ctx, filters: [:], options: ListOptions(sortKey: "node_count"))
            }
            #expect(bad?.message == "The sort_key value \"node_count\" is an invalid field for sorting")
            let direction = await #expect(throws: StoreError.self) {
                _ = try await f.store.clusters(context: ctx, filters: [:], options: ListOptions(sortDirection: "sideways"))
            }
            #expect(direction?.pythonClassName == "ValueError")
            #expect(direction?.message == "Unknown sort direction, must be one of: asc-nullsfirst, asc-nullslast, desc-nullsfirst, desc-nullslast")
            #expect(try await f.store.clusters(context: ctx, filters: [:], options: ListOptions(limit: 0)).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func statsCountClustersAndAllNodes(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { (f: StoreFixture) async throws in
            #expect(try await f.store.clusterStats(projectId: nil) == ClusterStats(clusters: 0, nodes: 0))
            _ = try await Self.seed(f.store)
            // 5 masters + workers 1+2+3+4+5
            #expect(try await f.store.clusterStats(projectId: nil) == ClusterStats(clusters: 5, nodes: 20))
            #expect(try await f.store.clusterStats(projectId: Sample.project) == ClusterStats(clusters: 3, nodes: 9))
            #expect(try await f.store.clusterStats(projectId: "") == ClusterStats(clusters: 5, nodes: 20))
        }
    }
}
