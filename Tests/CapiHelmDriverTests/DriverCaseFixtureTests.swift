import CapiHelmDriver
import JSON
import Testing

/// Every conformance case recorded from magnum-capi-helm 1.4.0 gives exactly the recorded
/// outcome: the same helm calls and values, Kubernetes calls and bodies, OpenStack calls,
/// cluster and nodegroups afterwards, and errors.
@Suite("Driver conformance cases")
struct DriverCaseFixtureTests {
    @Test("the fixture set is there")
    func fixturesPresent() {
        #expect(Cases.files.count >= 42)
    }

    @Test("case outcome matches the Python driver", arguments: Cases.files)
    func caseMatches(_ file: String) async throws {
        let document = try Cases.load(file)
        let expected = try #require(document["expected"])
        let actual = try await Cases.run(document)
        #expect(actual == expected, "\(file) differs:\n\(JSONDiff.report(expected: expected, actual: actual))")
    }
}
