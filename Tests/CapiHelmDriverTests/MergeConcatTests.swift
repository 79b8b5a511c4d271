import CapiHelmDriver
import JSON
import Testing

@Suite("mergeconcat")
struct MergeConcatTests {
    @Test("objects merge deeply, lists concatenate, null keeps the default")
    func merge() {
        let base: JSONValue = ["a": ["x": 1, "l": [1]], "b": 2, "keep": "k"]
        let over: JSONValue = ["a": ["y": 2, "l": [2]], "b": ["now": "object"], "keep": nil]
        let merged = base.mergeConcat(over)
        #expect(merged == ["a": ["x": 1, "y": 2, "l": [1, 2]], "b": ["now": "object"], "keep": "k"])
        // Keys keep their first position, new ones go last (Python's dict order).
        #expect(merged.objectValue?.keys.elementsEqual(["a", "b", "keep"]) == true)
        #expect(merged["a"]?.objectValue?.keys.elementsEqual(["x", "l", "y"]) == true)
    }
}
