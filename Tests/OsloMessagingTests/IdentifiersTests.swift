import OsloMessaging
import Testing

@Suite struct IdentifiersTests {
    @Test func uuidHexIsARandomVersion4UUIDInPythonsHexForm() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = Identifiers.uuidHex()
            let digits = Array(id.utf8)
            #expect(digits.count == 32)
            #expect(digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
            #expect(digits[12] == UInt8(ascii: "4"))  // version 4
            #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b")].contains(digits[16]))  // RFC 4122 variant
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }

    @Test func uuidStringIsPythonsStrOfAUUID4() {
        let id = Identifiers.uuidString()
        let groups = id.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
        #expect(groups == [8, 4, 4, 4, 12])
        #expect(id == id.lowercased())
        #expect(Array(id.utf8)[14] == UInt8(ascii: "4"))
    }
}
