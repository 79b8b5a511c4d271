import OsloMessaging
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
}
