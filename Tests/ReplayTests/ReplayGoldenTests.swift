import Foundation
import JSON
import Replay
import Testing
import TestSupport

/// Every recording replays to its golden result, byte for byte.
@Suite struct ReplayGoldenTests {
    @Test(arguments: ReplayFixtures.recordings)
    func recordingReplaysToItsGolden(_ name: String) async throws {
        let result = try await ReplayFixtures.replay(name)
        let text = ReplayFixtures.text(result)
        let url = ReplayFixtures.goldenURL(name)
        if ReplayFixtures.updating {
            try FileManager.default.createDirectory(at: ReplayFixtures.golden, withIntermediateDirectories: true)
            try Data(text).write(to: url)
            return
        }
        let golden = try Data(contentsOf: url)
        let expected = try JSONValue(parsing: Array(golden))
        let diff = ReplayDiff.render(expected: expected, actual: result)
        #expect(diff.isEmpty, "\(name): \(diff)")
        #expect(Array(golden) == text, "\(name): not byte-identical to \(url.lastPathComponent)")
    }

    @Test func everyRecordingHasAGoldenAndEveryGoldenARecording() throws {
        let goldens = try FileManager.default.contentsOfDirectory(atPath: ReplayFixtures.golden.path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(".json".count)) }.sorted()
        #expect(ReplayFixtures.recordings.count >= 17)
        #expect(goldens == ReplayFixtures.recordings)
    }
}
