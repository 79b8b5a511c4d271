import JSON
import Replay
import Testing

@Suite struct ReplayDiffTests {
    @Test func differencesNameTheirPathAndBothSides() {
        let expected: JSONValue = ["replies": [["msg_id": "a", "ending": true]], "database": ["cluster": [["status": "CREATE_COMPLETE"]]]]
        let actual: JSONValue = ["replies": [["msg_id": "a", "ending": false], ["msg_id": "b"]], "database": ["cluster": [["status": "CREATE_FAILED"]]]]
        let text = ReplayDiff.render(expected: expected, actual: actual)
        #expect(text.hasPrefix("3 differences"))
        #expect(text.contains("- $.replies[0].ending: true\n+ $.replies[0].ending: false"))
        #expect(text.contains("- $.replies[1]: (absent)"))
        #expect(text.contains("- $.database.cluster[0].status: \"CREATE_COMPLETE\"\n+ $.database.cluster[0].status: \"CREATE_FAILED\""))
        #expect(ReplayDiff.render(expected: expected, actual: expected).isEmpty)
    }
}
