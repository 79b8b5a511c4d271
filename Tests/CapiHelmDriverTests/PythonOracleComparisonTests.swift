import CapiHelmDriver
import Foundation
import JSON
import Testing
import TestSupport

/// The real magnum-capi-helm 1.4.0 driver (through `tools/peers/driver_oracle.py`, one Python
/// process for the whole batch) and the Swift driver on the same freshly generated random cases
/// must agree exactly. The seed is printed; `MCW_DRIVER_SEED` replays a run and
/// `MCW_DRIVER_CASES` sets how many cases (default 40); `MCW_DRIVER_DUMP=<dir>` writes each
/// differing case there, with Python's outcome as `expected`, for `driver-case` to replay.
@Suite("Random cases against the Python driver")
struct PythonOracleComparisonTests {
    static var seed: UInt64 {
        if let s = ProcessInfo.processInfo.environment["MCW_DRIVER_SEED"], let v = UInt64(s) { return v }
        return UInt64.random(in: 1...UInt64(UInt32.max))
    }

    static var count: Int {
        ProcessInfo.processInfo.environment["MCW_DRIVER_CASES"].flatMap(Int.init) ?? 40
    }

    @Test("random cases give the Python driver's outcome", .enabled(if: TestEnvironment.pythonEnabled))
    func randomCases() async throws {
        let seed = Self.seed
        print("driver oracle comparison: seed \(seed), \(Self.count) cases (MCW_DRIVER_SEED=\(seed) to replay)")
        var generator = RandomDriverCases(seed: seed)
        let cases = (0..<Self.count).map { generator.next(index: $0) }
        let outcomes = try await Cases.python(cases)
        try #require(outcomes.count == cases.count, "the oracle answered \(outcomes.count) of \(cases.count) cases")
        var mismatches = 0
        var errors: [String: Int] = [:]
        for (document, expected) in zip(cases, outcomes) {
            if let problem = expected["oracle_error"] {
                Issue.record("oracle failed on \(document["name"]?.stringValue ?? ""): \(problem)")
                continue
            }
            if let e = expected["error"] { errors[e["class"]?.stringValue ?? "?", default: 0] += 1 }
            let actual = try await Cases.run(document)
            if actual != expected {
                mismatches += 1
                if let dir = ProcessInfo.processInfo.environment["MCW_DRIVER_DUMP"] {
                    var filled = document
                    filled["expected"] = expected
                    let path = "\(dir)/\(document["name"]?.stringValue ?? "case").json"
                    _ = FileManager.default.createFile(atPath: path, contents: Data(filled.jsonString(.pretty).utf8))
                }
                Issue.record("""
                    \(document["name"]?.stringValue ?? "") (\(document["operation"]?.stringValue ?? "")) differs from Python (seed \(seed)):
                    \(JSONDiff.report(expected: expected, actual: actual))
                    case: \(document.jsonString(.compact))
                    """)
            }
        }
        print("driver oracle comparison: \(cases.count - mismatches)/\(cases.count) identical (refused by both: \(errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))), seed \(seed)")
    }
}
