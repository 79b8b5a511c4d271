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

    @Test func recordedTimesDriveTheVirtualClock() async throws {
        // Two requests recorded ten minutes apart (as `record` writes recorded_at).
        var lines: [String] = []
        for (i, name) in ["cluster_create_defaults", "cluster_delete"].enumerated() {
            let text = String(decoding: try ReplayFixtures.recording(name), as: UTF8.self)
            var line = try JSONValue(parsing: String(text.split(separator: "\n")[0])).objectValue ?? [:]
            line["seq"] = JSONValue(i)
            line["recorded_at"] = .string(i == 0 ? "2026-11-26T08:49:00.273Z" : "2026-11-26T08:59:00.273Z")
            lines.append(JSONValue.object(line).jsonString(.compact))
        }
        let result = try await ReplaySession.run(recording: Array(lines.joined(separator: "\n").utf8), logger: ReplayFixtures.quiet)
        #expect(result["virtual_time"]?["start"]?.stringValue?.hasPrefix("2026-11-26T08:49:00") == true)
        let times = (result["requests"]?.arrayValue ?? []).compactMap { $0["virtual_time"]?.stringValue }
        #expect(times.count == 2)
        #expect(times.last?.hasPrefix("2026-11-26T08:59:00") == true)
        // Between the two, the status sync saw the new cluster complete (simulation_delay 30 s).
        let completed = (result["notifications"]?.arrayValue ?? []).first {
            $0["event_type"] == "magnum.cluster.create" && $0["payload"]?["outcome"] == "success"
        }
        #expect(completed?["cause"] == "periodic")
        // Ready 30 s after the create, seen by the next status sync (every 10 s): long before the delete.
        #expect(completed?["timestamp"]?.stringValue?.hasPrefix("2026-11-26 08:49:") == true)
    }
}
