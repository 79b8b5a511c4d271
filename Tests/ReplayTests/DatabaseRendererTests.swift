import ClusterStore
import Foundation
import JSON
import Replay
import Testing
import TestSupport

/// `render --from-database`: the values of a cluster in Magnum's database, from a magnum.conf.
@Suite struct DatabaseRendererTests {
    @Test func valuesOfAClusterInTheDatabaseAsTheDriverBuildsThem() async throws {
        let dir = try TestEnvironment.temporaryDirectory("render")
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = dir.appendingPathComponent("magnum.sqlite").path
        let store = try await SQLiteClusterStore.open(path: database)
        let seed = ReplaySeed.embedded
        for row in seed.clusterTemplates { _ = try await store.createClusterTemplate(row) }
        for row in seed.clusters { _ = try await store.createCluster(row) }
        for row in seed.nodeGroups { _ = try await store.createNodeGroup(row) }
        await store.close()
        let cloud = dir.appendingPathComponent("cloud.json").path
        try Data(ReplayDefaults.cloud.utf8).write(to: URL(fileURLWithPath: cloud))
        let conf = dir.appendingPathComponent("magnum.conf").path
        try """
            [database]
            connection = sqlite:///\(database)
            [certificates]
            cert_manager_type = x509keypair
            [cinder_client]
            region_name = RegionOne
            [capi_worker]
            offline_cloud_file = \(cloud)
            [capi_helm]
            kubeconfig_file = /etc/magnum/kubeconfig

            """.write(toFile: conf, atomically: true, encoding: .utf8)

        for identifier in ["prod-east", "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"] {
            let rendered = try await DatabaseRenderer.render(configFile: conf, cluster: identifier, logger: ReplayFixtures.quiet)
            #expect(rendered.command.hasPrefix("helm upgrade prod-east-a1b2c3d4 openstack-cluster "))
            #expect(rendered.command.contains("--kubeconfig /etc/magnum/kubeconfig"))
            #expect(rendered.command.contains("--values -"))
            #expect(rendered.values["machineImageId"] == "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70")
            #expect(rendered.values["controlPlane"]?["machineCount"] == 3)
            #expect(rendered.values["nodeGroups"]?.arrayValue?.map { $0["name"] } == ["default-worker", "gpu-pool"])
        }
        await #expect(throws: (any Error).self) {
            _ = try await DatabaseRenderer.render(configFile: conf, cluster: "no-such-cluster", logger: ReplayFixtures.quiet)
        }
    }
}
