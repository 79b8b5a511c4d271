import Foundation
import JSON
import Replay
import Testing

@Suite struct ReplaySeedTests {
    @Test func theEmbeddedWorldIsTheRecordingsOne() {
        let seed = ReplaySeed.embedded
        #expect(seed.clusterTemplates.map { $0["name"] } == ["k8s-v1.31"])
        #expect(seed.clusters.map { $0["name"] } == ["prod-east"])
        #expect(seed.nodeGroups.map { $0["name"] } == ["default-master", "default-worker", "gpu-pool"])
    }

    @Test func aSeedFileReplacesRowsByUUIDAndAddsOthers() throws {
        var seed = ReplaySeed.embedded
        let extra = try ReplaySeed(json: [
            "clusters": [["uuid": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "name": "prod-east", "status": "UPDATE_FAILED"]],
            "nodegroups": [["uuid": "11111111-2222-4333-8444-555555555555", "name": "extra"]],
        ])
        seed.merge(extra)
        #expect(seed.clusters.count == 1)
        #expect(seed.clusters[0]["status"] == "UPDATE_FAILED")
        #expect(seed.nodeGroups.count == 4)
    }

    @Test func badSeedsAreRefusedWithTheReason() {
        #expect(throws: ReplaySeed.SeedError.self) { try ReplaySeed(json: ["clusterz": []]) }
        #expect(throws: ReplaySeed.SeedError.self) { try ReplaySeed(json: ["clusters": [["name": "no-uuid"]]]) }
        #expect(throws: ReplaySeed.SeedError.self) { try ReplaySeed(json: .array([])) }
    }

    @Test func aSeedFileChangesWhatTheReplayStartsFrom() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("replay-seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var cluster = ReplaySeed.embedded.clusters[0]
        cluster["name"] = "prod-east-renamed"
        cluster["status"] = "UPDATE_FAILED"
        let file = dir.appendingPathComponent("seed.json")
        try Data(JSONValue.object(["clusters": [.object(cluster)]]).serialized()).write(to: file)
        // magnum-api's Cluster.get_by_uuid through the indirection API reads the seeded row.
        let result = try await ReplayFixtures.replay("indirection_reads", options: ReplayOptions(seedFile: file.path, settleSeconds: 0))
        let first = result["replies"]?.arrayValue?.first
        #expect(first?["result"]?["data"]?["name"] == "prod-east-renamed")
        #expect(first?["result"]?["data"]?["status"] == "UPDATE_FAILED")
    }
}
