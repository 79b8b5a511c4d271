import JSON
import Testing

/// The parser's fast paths (strings scanned eight bytes at a time, escaped strings unescaped in
/// one pass, objects built without per-key lookups) against the plain reading of JSON.
@Suite struct JSONParserTests {
    /// A small deterministic generator, so a failure can be replayed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    static let alphabet: [String] = [
        "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é", "€", "😀", "_context_",
    ]

    static func randomString(_ rng: inout SeededGenerator, maxLength: Int) -> String {
        let length = Int(rng.next() % UInt64(maxLength + 1))
        var s = ""
        for _ in 0..<length { s += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
        return s
    }

    @Test func stringsOfEveryLengthAndEscapePositionReadBack() throws {
        // Escapes at every offset of a word, strings ending at the document's last byte (fewer
        // than eight bytes after them) and inside a longer document.
        for length in 0...40 {
            for escapeAt in [-1] + Array(0..<max(length, 1)) {
                var chars = Array(repeating: Character("x"), count: length)
                if escapeAt >= 0, escapeAt < length { chars[escapeAt] = "\"" }
                let text = String(chars)
                for options in [JSONWriterOptions.python, .compact] {
                    let alone = JSONValue.string(text).jsonString(options)
                    #expect(try JSONValue(parsing: alone) == .string(text), "\(alone)")
                    let inside = JSONValue.array([.string(text), .string(text + "é"), 1]).jsonString(options)
                    #expect(try JSONValue(parsing: inside) == .array([.string(text), .string(text + "é"), 1]), "\(inside)")
                }
            }
        }
    }

    @Test func randomStringsRoundTripDoubleEncoded() throws {
        var rng = SeededGenerator(state: 20_261_126)
        for _ in 0..<2000 {
            let key = Self.randomString(&rng, maxLength: 24)
            let value = Self.randomString(&rng, maxLength: 60)
            let inner: JSONValue = [key: .string(value), "method": "cluster_create"]
            for options in [JSONWriterOptions.python, .compact] {
                // oslo's envelope: the message travels as a JSON string inside JSON.
                let outer: JSONValue = ["oslo.version": "2.0", "oslo.message": .string(inner.jsonString(options))]
                let parsed = try JSONValue(parsing: outer.serialized(options))
                let message = try JSONValue(parsing: parsed["oslo.message"]?.stringValue ?? "")
                #expect(message == inner, "key \(key.debugDescription) value \(value.debugDescription)")
            }
        }
    }

    @Test func escapedStringErrorsAreReportedWhereASequentialReadingMeetsThem() {
        func failure(_ bytes: [UInt8]) -> JSONParseError? {
            do {
                _ = try JSONValue(parsing: bytes)
                return nil
            } catch {
                return error
            }
        }
        func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }
        #expect(failure(utf8(#""ab\qcd""#)) == JSONParseError(reason: .invalidEscape, offset: 4))
        #expect(failure(utf8("\"a\\nb\u{01}c\"")) == JSONParseError(reason: .controlCharacterInString, offset: 5))
        // The invalid escape comes first, before the control character and the missing end.
        #expect(failure(utf8("\"a\\qb\u{01}c")) == JSONParseError(reason: .invalidEscape, offset: 3))
        #expect(failure(utf8(#""abc\"defghijklmnop"#)) == JSONParseError(reason: .unexpectedEnd, offset: 19))
        #expect(failure(utf8(#""abc\"#)) == JSONParseError(reason: .unexpectedEnd, offset: 5))
        #expect(failure(utf8(#""\u12G4""#)) == JSONParseError(reason: .invalidEscape, offset: 5))
        #expect(failure([0x22, 0x5C, 0x6E, 0xFF, 0x61, 0x22]) == JSONParseError(reason: .invalidUTF8, offset: 1))
        #expect(failure([0x22, 0x61, 0xC3, 0x5C, 0x6E, 0x22]) == JSONParseError(reason: .invalidUTF8, offset: 1))
        // Plain strings: a control character, non-ASCII at every position of a word.
        #expect(failure(utf8("\"abcdefghij\u{1F}\"")) == JSONParseError(reason: .controlCharacterInString, offset: 11))
        for at in 1...9 {
            var bytes = utf8("\"abcdefghijk\"")
            bytes[at] = 0xFF
            #expect(failure(bytes) == JSONParseError(reason: .invalidUTF8, offset: 1))
        }
    }

    @Test func unicodeEscapesInLongEscapedStrings() throws {
        let padding = String(repeating: "p\\\"", count: 5)
        let cases: [(String, String)] = [
            (#"\u00e9\ud83d\ude00"#, "é😀"),
            (#"\ud83d"#, "\u{FFFD}"),
            (#"\ude00x"#, "\u{FFFD}x"),
            (#"\ud83d\u0041"#, "\u{FFFD}A"),
            (#"\u20ac\n\t\/\b\f\r"#, "€\n\t/\u{08}\u{0C}\r"),
        ]
        for (escaped, expected) in cases {
            let prefix = "p\"p\"p\"p\"p\""
            #expect(try JSONValue(parsing: "\"\(padding)\(escaped)\(padding)\"") == .string(prefix + expected + prefix))
        }
    }

    @Test func duplicateKeysKeepTheLastValueAtTheFirstPosition() throws {
        let small = try JSONValue(parsing: #"{"a": 1, "b": 2, "a": 3}"#)
        #expect(small.objectValue.map { Array($0.keys) } == ["a", "b"])
        #expect(small["a"] == .int(3))

        // Below and past the size from which the dictionary hashes its keys (16), and larger.
        for count in [15, 16, 17, 33, 64] {
            var members = (0..<count).map { "\"key_number_\($0)_of_many\": \($0)" }
            members.append("\"key_number_5_of_many\": \"last\"")
            let value = try JSONValue(parsing: "{" + members.joined(separator: ", ") + "}")
            let object = try #require(value.objectValue)
            #expect(object.count == count)
            #expect(object.keys[5] == "key_number_5_of_many")
            #expect(object["key_number_5_of_many"] == .string("last"))
            #expect(object["key_number_\(count - 1)_of_many"] == .int(Int64(count - 1)))
        }

        // An escaped spelling is the same key.
        let escaped = try JSONValue(parsing: #"{"a\u0062": 1, "ab": 2}"#)
        #expect(escaped.objectValue.map { Array($0.keys) } == ["ab"])
        #expect(escaped["ab"] == .int(2))
    }

    @Test func keysThatLookAlikeAreNotDuplicates() throws {
        // Same length, same first and last eight bytes: only the middle differs.
        let keys = ["prefix01-ABC-suffix99", "prefix01-XYZ-suffix99", "prefix01-ABD-suffix99"]
        let text = "{" + keys.enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ") + "}"
        let object = try #require(try JSONValue(parsing: text).objectValue)
        #expect(Array(object.keys) == keys)
        #expect(object[keys[2]] == .int(2))
        // Short keys that differ only in one byte, and many of them.
        let many = (0..<300).map { "k\($0)" }
        let big = try #require(try JSONValue(parsing: "{" + many.map { "\"\($0)\": true" }.joined(separator: ",") + "}").objectValue)
        #expect(Array(big.keys) == many)
    }
}
