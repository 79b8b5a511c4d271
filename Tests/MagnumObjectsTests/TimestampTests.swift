import MagnumObjects
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-11-25T00:01:42Z", "2026-11-25T00:01:42Z"),
        ("2026-11-25T00:01:42", "2026-11-25T00:01:42Z"),
        ("2026-11-25 00:01:42.123456", "2026-11-25T00:01:42Z"),
        ("2026-11-25T01:01:42+01:00", "2026-11-25T00:01:42Z"),
        ("2026-11-24T19:01:42-0500", "2026-11-25T00:01:42Z"),
        ("2024-02-29T23:59:59.9Z", "2024-02-29T23:59:59Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
    ])
    func parsesIsoForms(_ text: String, _ primitive: String) throws {
        let t = try #require(Timestamp(parsing: text))
        #expect(t.isoPrimitive == primitive)
    }

    @Test(arguments: ["", "2026-13-01", "2026-02-30T00:00:00Z", "2026-11-25T25:00", "2026-11-25Tx", "2026-11-25T00:01:42Zjunk"])
    func rejectsGarbage(_ text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }

    @Test func formatsForEachPeer() throws {
        let t = try #require(Timestamp(year: 2026, month: 11, day: 25, hour: 0, minute: 1, second: 42, microsecond: 5))
        #expect(t.notificationFormat == "2026-11-25 00:01:42.000005")
        #expect(t.sqlFormat == "2026-11-25 00:01:42.000005")
        #expect(t.truncatedToSeconds.sqlFormat == "2026-11-25 00:01:42")
        #expect(Timestamp(parsing: t.notificationFormat) == t)
        #expect(Timestamp(microsecondsSinceEpoch: 0).isoPrimitive == "1970-01-01T00:00:00Z")
    }
}
