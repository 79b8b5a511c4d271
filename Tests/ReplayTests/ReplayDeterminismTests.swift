import Foundation
import JSON
import Replay
import Testing

/// Replays are repeatable: what the worker made up (ids, release names, credentials, keys) is
/// derived or normalized, and time is virtual.
@Suite struct ReplayDeterminismTests {
    @Test(arguments: ["cluster_create_autoscaling", "certificates", "cluster_delete"])
    func replayingTwiceGivesTheSameBytes(_ name: String) async throws {
        let first = ReplayFixtures.text(try await ReplayFixtures.replay(name))
        let second = ReplayFixtures.text(try await ReplayFixtures.replay(name))
        #expect(first == second)
    }

    @Test func virtualTimeFollowsTheOptions() async throws {
        var options = ReplayOptions(stepSeconds: 1, settleSeconds: 0)
        options.lastSeq = 0
        let result = try await ReplayFixtures.replay("cluster_create_defaults", options: options)
        #expect(result["virtual_time"]?["start"] == "2026-11-25T00:05:00Z" || result["virtual_time"]?["start"]?.stringValue?.hasPrefix("2026-11-25T00:05:00") == true)
        // Settling for 0 s leaves the new cluster in progress; the default settles it.
        let cluster = result["database"]?["cluster"]?.arrayValue?.first { $0["name"] == "dev-small" }
        #expect(cluster?["status"] == "CREATE_IN_PROGRESS")
        let settled = try await ReplayFixtures.replay("cluster_create_defaults")
        let done = settled["database"]?["cluster"]?.arrayValue?.first { $0["name"] == "dev-small" }
        #expect(done?["status"] == "CREATE_COMPLETE")
    }
}
