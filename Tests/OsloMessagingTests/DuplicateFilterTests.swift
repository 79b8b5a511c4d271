import OsloMessaging
import Testing

@Suite struct DuplicateFilterTests {
    @Test func detectsRepeatsWithinTheWindow() {
        let filter = DuplicateFilter()
        #expect(filter.capacity == 16)
        #expect(!filter.checkAndRecord("a"))
        #expect(filter.checkAndRecord("a"))
        #expect(!filter.checkAndRecord("b"))
    }

    @Test func forgetsTheOldestBeyondOslosWindow() {
        let filter = DuplicateFilter()
        for i in 0..<16 { #expect(!filter.checkAndRecord("id\(i)")) }
        #expect(filter.checkAndRecord("id0"))
        #expect(!filter.checkAndRecord("id16"))  // pushes id0 out
        #expect(filter.count == 16)
        #expect(!filter.contains("id0"))
        #expect(!filter.checkAndRecord("id0"))
    }

    @Test func forgetTakesAnIdOut() {
        let filter = DuplicateFilter(capacity: 4)
        _ = filter.checkAndRecord("x")
        filter.forget("x")
        #expect(!filter.checkAndRecord("x"))
    }

    @Test func isSafeUnderConcurrency() async {
        let filter = DuplicateFilter(capacity: 1000)
        let duplicates = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { filter.checkAndRecord("same") } }
            var count = 0
            for await dup in group where dup { count += 1 }
            return count
        }
        #expect(duplicates == 7)
    }
}
