import JSON
import Testing

@Suite struct JSONValueTests {
    @Test func parsesWhatPythonWrites() throws {
        let text = #"{"b": 1, "a": [true, false, null, 1.5, -2, "x\u00e9\ud83d\ude00"], "n": NaN}"#
        let value = try JSONValue(parsing: text)
        #expect(value["b"] == .int(1))
        #expect(value["a"]?[3] == .double(1.5))
        #expect(value["a"]?[5] == .string("xé😀"))
        #expect(value.objectValue.map { Array($0.keys) } == ["b", "a", "n"])
    }

    @Test func writesLikePythonJSONDumps() throws {
        let value: JSONValue = ["b": 1, "a": ["é", 2.5, nil, true], "e": [:]]
        #expect(value.jsonString() == #"{"b": 1, "a": ["\u00e9", 2.5, null, true], "e": {}}"#)
        #expect(value.jsonString(.canonical) == #"{"a":["é",2.5,null,true],"b":1,"e":{}}"#)
        let emoji: JSONValue = "😀\n\"\\"
        #expect(emoji.jsonString() == #""\ud83d\ude00\n\"\\""#)
    }

    @Test func roundTripsDoubleEncodedEnvelope() throws {
        let inner: JSONValue = ["method": "ping", "args": ["x": "ü"]]
        let outer: JSONValue = ["oslo.version": "2.0", "oslo.message": .string(inner.jsonString())]
        let parsed = try JSONValue(parsing: outer.serialized())
        let again = try JSONValue(parsing: parsed["oslo.message"]?.stringValue ?? "")
        #expect(again == inner)
    }

    @Test func equalityIgnoresKeyOrderAndIntFloat() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"b":2}"#) == JSONValue(parsing: #"{"b":2.0,"a":1}"#))
        #expect(JSONValue.int(1) != .double(1.5))
        #expect(JSONValue.array([1, 2]) != .array([2, 1]))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "01x", "1.", "\"\\x\"", "\"a\u{01}\"", "[1] 2", "-", "{\"a\":}",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xFF, 0xFE, 0x22]) }
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError(reason: .tooDeep(limit: 512), offset: 512)) { try JSONValue(parsing: deep) }
    }

    @Test func largeIntegersAndExponents() throws {
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(.min))
        #expect(try JSONValue(parsing: "1e3") == .double(1000))
        #expect(try JSONValue(parsing: "123456789012345678901234567890").doubleValue == 1.2345678901234568e29)
        #expect(JSONValue.double(1e16).jsonString() == "1e+16")
        #expect(JSONValue.double(1.0).jsonString() == "1.0")
    }

    @Test func prettyOutputIsSortedAndIndented() {
        let value: JSONValue = ["b": [1], "a": ["c": nil]]
        #expect(value.jsonString(.pretty) == "{\n  \"a\": {\n    \"c\": null\n  },\n  \"b\": [\n    1\n  ]\n}")
    }
}
