@testable import OsloMessaging
import Testing

@Suite struct OsloVersionTests {
    @Test(arguments: [
        ("1.0", "1.0", true), ("1.3", "1.0", true), ("1.3", "1.3", true), ("1.3", "1.4", false),
        ("2.0", "1.0", false), ("1.0", "2.0", false), ("1.3.2", "1.3.1", true), ("1.3.1", "1.3.2", false),
        ("1.3", "1.3.1", false), ("1.4", "1.3.9", true), ("01.2", "1.2", true), (" 1.2", "1.2", true),
    ])
    func followsOslosRule(_ implemented: String, _ requested: String, _ expected: Bool) throws {
        #expect(try OsloVersion.check(implemented: implemented, requested: requested) == expected)
    }

    @Test func nilRules() throws {
        #expect(try OsloVersion.check(implemented: nil, requested: "9.9"))
        #expect(try !OsloVersion.check(implemented: "1.0", requested: nil))
    }

    @Test func reportsUnparsableVersionsAsPythonWould() {
        #expect(throws: OsloVersion.ParseError(pythonClass: "ValueError", message: "invalid literal for int() with base 10: 'x'")) {
            _ = try OsloVersion.check(implemented: "1.0", requested: "x.1")
        }
        #expect(throws: OsloVersion.ParseError(pythonClass: "IndexError", message: "list index out of range")) {
            _ = try OsloVersion.check(implemented: "1.0", requested: "1")
        }
        #expect(throws: OsloVersion.ParseError(pythonClass: "ValueError", message: "invalid literal for int() with base 10: ''")) {
            _ = try OsloVersion.check(implemented: "1.0", requested: "")
        }
        #expect(throws: OsloVersion.ParseError(pythonClass: "ValueError", message: "invalid literal for int() with base 10: \"it's\"")) {
            _ = try OsloVersion.check(implemented: "1.0", requested: "1.it's")
        }
    }

    /// The allocation-free path for plain versions answers as Python's part-by-part rule does,
    /// for every pair of plain versions of up to three parts (with leading zeros), and leaves
    /// every other form to it.
    @Test func plainVersionsAnswerAsThePythonRule() throws {
        var versions: [String] = []
        for major in ["0", "1", "2", "01"] {
            for minor in ["0", "3", "10", "003"] {
                versions.append("\(major).\(minor)")
                for revision in ["0", "1", "9", "10"] { versions.append("\(major).\(minor).\(revision)") }
            }
        }
        var compared = 0
        for implemented in versions {
            for requested in versions {
                #expect(OsloVersion.plainVersion(implemented) != nil && OsloVersion.plainVersion(requested) != nil)
                let fast = try OsloVersion.check(implemented: implemented, requested: requested)
                #expect(fast == (try OsloVersion.checkAsPython(implemented: implemented, requested: requested)), "\(implemented) serving \(requested)")
                compared += 1
            }
        }
        #expect(compared == versions.count * versions.count)
        for other in ["1", "1.", ".1", "1..2", "1.2.3.4", " 1.2", "1.2 ", "+1.2", "1_0.2", "1.x", "", "1234567890.1", "١.2"] {
            #expect(OsloVersion.plainVersion(other) == nil, "\(other) taken as plain")
        }
    }
}
