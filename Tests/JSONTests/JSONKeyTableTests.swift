import JSON
import Testing

/// The parser's shared key strings (`JSONKeyTable`): a key is only ever the table's string when
/// its decoded text is that string, and a table never changes what a document parses to.
@Suite struct JSONKeyTableTests {
    static let tableKeys = [
        "_context_auth_token", "_context_auth_token_info", "_context_global_request_id",
        "magnum_object.namespace", "magnum_object.data", "cluster_template_id",
        // Same length and the same first and last eight bytes as a look-alike below.
        "prefix01-ABC-suffix99",
        // A literal backslash followed by `n`: the document spelling `\n` is a newline instead.
        "_context_\\nuser_name",
        // Short keys (inline strings) and look-alikes of them below.
        "uuid", "method", "project_id", "a\\nb",
    ]
    static let table = JSONKeyTable(tableKeys)

    /// The address of a string's UTF-8 storage: equal for two strings that share it.
    static func storage(_ s: String) -> UnsafeRawPointer? {
        s.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    static func keys(_ text: String, _ keys: JSONKeyTable) throws -> [String] {
        try #require(try JSONValue(parsing: text, keys: keys).objectValue).keys.map { $0 }
    }

    /// `text` parsed with the table: the same value (and key order) as without it, or the same error.
    static func sameAsWithoutTable(_ text: String) {
        let plain = Result(catching: { () throws(JSONParseError) -> JSONValue in try JSONValue(parsing: text) })
        let shared = Result(catching: { () throws(JSONParseError) -> JSONValue in try JSONValue(parsing: text, keys: table) })
        switch (plain, shared) {
        case (.success(let a), .success(let b)):
            #expect(a == b, "\(text)")
            #expect(a.objectValue.map { Array($0.keys) } == b.objectValue.map { Array($0.keys) }, "\(text)")
            #expect(a.jsonString(.python) == b.jsonString(.python), "\(text)")
        case (.failure(let a), .failure(let b)):
            #expect(a == b, "\(text)")
        default:
            Issue.record("\(text): \(plain) without the table, \(shared) with it")
        }
    }

    @Test func tableKeysShareTheTablesStrings() throws {
        let text = #"{"_context_auth_token": "t", "x": {"magnum_object.data": {"cluster_template_id": 1}}}"#
        let value = try JSONValue(parsing: text, keys: Self.table)
        let outer = try #require(value.objectValue)
        let token = try #require(outer.keys.first)
        let data = try #require(value["x"]?.objectValue?.keys.first)
        let field = try #require(value["x"]?["magnum_object.data"]?.objectValue?.keys.first)
        #expect(token == "_context_auth_token" && data == "magnum_object.data" && field == "cluster_template_id")
        let byName = Dictionary(uniqueKeysWithValues: Self.table.keys.map { ($0, $0) })
        for key in [token, data, field] {
            #expect(Self.storage(key) != nil && Self.storage(key) == byName[key].flatMap(Self.storage), "\(key) is not shared")
        }
        // Without the table every key has storage of its own.
        let plain = try #require(try JSONValue(parsing: text).objectValue?.keys.first)
        #expect(Self.storage(plain) != Self.storage(token))
        Self.sameAsWithoutTable(text)
    }

    @Test func lookAlikeAndPrefixKeysAreTheirOwnText() throws {
        let lookAlikes = [
            "prefix01-XYZ-suffix99",  // same length, head and tail as a table key: only the middle differs
            "prefix01-ABC-suffix9",  // one byte shorter
            "prefix01-ABC-suffix999",  // one byte longer
            "_context_auth_toke",  // a prefix of a table key
            "_context_auth_token_inf",  // a prefix of another, and a table key with one more byte
            "_context_auth_token_infos",
            "_context_auth_tokeN",  // the last byte differs
            "_Context_auth_token",  // the first
            "magnum_object.namespacE",
            "magnum_object.nameSpace",
            "magnum_object.dat",
            "magnum_object.data2",
            "_context_\\\\nuser_name",  // written `\\n`: decodes to a backslash and `n`, the table key
            "_context_nuser_name_",
            "uuiD", "uui", "uuidx", "metho", "methodd", "project_iD", "Project_id", "a\\\\nb",
        ]
        for key in lookAlikes {
            // Keys are written as the JSON text of `key`, so escapes in it are escapes in the document.
            let text = #"{""# + key + #"": 1, "_context_auth_token": 2}"#
            let expected = try #require(try JSONValue(parsing: text).objectValue.map { Array($0.keys) })
            #expect(try Self.keys(text, Self.table) == expected, "\(key)")
            Self.sameAsWithoutTable(text)
        }
        // The escaped look-alike of the backslash key decodes to the table key itself.
        #expect(try Self.keys(#"{"_context_\\nuser_name": 0}"#, Self.table) == ["_context_\\nuser_name"])
    }

    @Test func escapedKeysAreDecodedNotMatchedByTheirBytes() throws {
        // `\n` in the document is a newline: never the table's literal backslash and `n`.
        let newline = try Self.keys(#"{"_context_\nuser_name": 1}"#, Self.table)
        #expect(newline == ["_context_\nuser_name"])
        #expect(newline != ["_context_\\nuser_name"])
        // Escapes that spell a table key decode to it.
        #expect(try Self.keys(#"{"_context_auth\u005ftoken": 1}"#, Self.table) == ["_context_auth_token"])
        #expect(try Self.keys(#"{"magnum_object\u002edata": 1}"#, Self.table) == ["magnum_object.data"])
        #expect(try Self.keys(#"{"\u005fcontext_auth_token_info": 1}"#, Self.table) == ["_context_auth_token_info"])
        #expect(try Self.keys(#"{"a\nb": 1}"#, Self.table) == ["a\nb"])  // a newline, not the table's backslash
        #expect(try Self.keys(#"{"\u0075uid": 1, "meth\u006Fd": 2}"#, Self.table) == ["uuid", "method"])
        // Escapes that spell something else stay something else.
        #expect(try Self.keys(#"{"_context_auth\u0074oken": 1}"#, Self.table) == ["_context_authtoken"])
        #expect(try Self.keys(#"{"_context_auth_token\"": 1}"#, Self.table) == ["_context_auth_token\""])
        #expect(try Self.keys(#"{"_context_auth_token\\": 1}"#, Self.table) == ["_context_auth_token\\"])
        // Non-ASCII keys next to table keys.
        #expect(try Self.keys(#"{"_context_auth_tokén": 1}"#, Self.table) == ["_context_auth_tokén"])
        for text in [
            #"{"_context_\nuser_name": 1}"#, #"{"_context_auth\u005ftoken": 1, "_context_auth_token": 2}"#,
            #"{"_context_auth_tokén": 1}"#, #"{"_context_\\nuser_name": 1, "_context_\nuser_name": 2}"#,
        ] {
            Self.sameAsWithoutTable(text)
        }
    }

    @Test func duplicateTableKeysKeepTheLastValueAtTheFirstPosition() throws {
        let twice = try JSONValue(parsing: #"{"_context_auth_token": 1, "b": 2, "_context_auth_token": 3}"#, keys: Self.table)
        #expect(twice.objectValue.map { Array($0.keys) } == ["_context_auth_token", "b"])
        #expect(twice["_context_auth_token"] == .int(3))
        // A table key and an escaped spelling of it are the same key.
        let spelled = try JSONValue(parsing: #"{"magnum_object.data": 1, "magnum_object\u002edata": 2}"#, keys: Self.table)
        #expect(spelled.objectValue.map { Array($0.keys) } == ["magnum_object.data"])
        #expect(spelled["magnum_object.data"] == .int(2))
        // A table key and its look-alike (same signature) are two keys.
        let alike = try JSONValue(parsing: #"{"prefix01-ABC-suffix99": 1, "prefix01-XYZ-suffix99": 2}"#, keys: Self.table)
        #expect(alike.objectValue.map { Array($0.keys) } == ["prefix01-ABC-suffix99", "prefix01-XYZ-suffix99"])
        for text in [
            #"{"_context_auth_token": 1, "b": 2, "_context_auth_token": 3}"#,
            #"{"magnum_object.data": 1, "magnum_object\u002edata": 2}"#,
            #"{"prefix01-ABC-suffix99": 1, "prefix01-XYZ-suffix99": 2, "prefix01-ABC-suffix99": 3}"#,
        ] {
            Self.sameAsWithoutTable(text)
        }
    }

    @Test func errorsAreTheSameWithTheTable() {
        for text in [
            #"{"_context_auth_token"#,  // ends inside a table key
            #"{"_context_auth_token""#,  // ends after it
            #"{"_context_auth_token" 1}"#,  // no colon
            #"{"_context_auth_token": }"#,
            #"{"_context_auth_token": 1, "_context_auth_token"}"#,
            "{\"_context_auth_token\u{01}\": 1}",  // control character in a key
            #"{"_context_auth_token\x": 1}"#,  // invalid escape
            "{\"_context_auth_token\u{FF}\": 1}",
            #"{"magnum_object.data": {"cluster_template_id": [1, }}"#,
            #"{"_context_auth_token": 1}x"#,
        ] {
            Self.sameAsWithoutTable(text)
        }
        // Invalid UTF-8 right after the bytes of a table key.
        var bytes = Array(#"{"_context_auth_token"#.utf8)
        bytes += [0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]
        let plain = Result(catching: { () throws(JSONParseError) -> JSONValue in try JSONValue(parsing: bytes) })
        let shared = Result(catching: { () throws(JSONParseError) -> JSONValue in try JSONValue(parsing: bytes, keys: Self.table) })
        #expect(plain.failureValue != nil && plain.failureValue == shared.failureValue)
    }

    @Test func randomDocumentsParseAsWithoutTheTable() {
        var rng = JSONParserTests.SeededGenerator(state: 20_261_126)
        let pieces = Self.tableKeys + ["\\n", "\\u005f", "é", "x", "_", "9", "\\\"", "\\\\"]
        for _ in 0..<2_000 {
            var members: [String] = []
            for _ in 0..<Int(rng.next() % 6) {
                var key = Self.tableKeys[Int(rng.next() % UInt64(Self.tableKeys.count))]
                    .replacing("\\", with: "\\\\")
                switch rng.next() % 4 {
                case 0: break
                case 1: key += pieces[Int(rng.next() % UInt64(pieces.count))]
                case 2: key = String(key.dropLast(Int(rng.next() % 3)))
                default:
                    let at = key.index(key.startIndex, offsetBy: Int(rng.next() % UInt64(key.count)))
                    key.insert(contentsOf: pieces[Int(rng.next() % UInt64(pieces.count))], at: at)
                }
                members.append("\"\(key)\": \(members.count)")
            }
            Self.sameAsWithoutTable("{" + members.joined(separator: ", ") + "}")
        }
    }

    @Test func tableLeavesOutRepeatsAndTheEmptyKey() {
        let table = JSONKeyTable(["short", "", "fifteen_bytes__", "sixteen_bytes___", "sixteen_bytes___", "seventeen_bytes__"])
        #expect(table.keys == ["short", "fifteen_bytes__", "sixteen_bytes___", "seventeen_bytes__"])
        #expect(table.adding(["another_long_key_1", "short"]).keys
            == ["short", "fifteen_bytes__", "sixteen_bytes___", "seventeen_bytes__", "another_long_key_1"])
        #expect(JSONKeyTable.empty.keys.isEmpty)
        for (probe, expected) in [("sixteen_bytes___", "sixteen_bytes___"), ("sixteen_bytes__", nil), ("sixteen_bytes___x", nil),
                                  ("Sixteen_bytes___", nil), ("short", "short"), ("shorT", nil), ("shor", nil), ("", nil),
                                  ("fifteen_bytes__", "fifteen_bytes__"), ("fifteen_bytes_", nil)] as [(String, String?)] {
            var probe = probe
            let found = probe.withUTF8 { table.string(matchingUTF8: UnsafeRawBufferPointer($0)) }
            #expect(found == expected, "\(probe)")
        }
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
