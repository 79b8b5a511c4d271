import JSON
import OsloMessaging
import Testing

/// Every recorded message decodes, and its essentials match `expected.json` (written from the
/// Python side when the recordings were made).
@Suite struct WireFixtureTests {
    static var files: [String] { WireFixtures.recordingNames }

    @Test func expectedCoversEveryRecording() throws {
        let expected = try WireFixtures.expected()
        #expect(Set(expected.keys) == Set(Self.files))
        #expect(Self.files.count == 17)
    }

    @Test(arguments: files)
    func decodesLikeExpected(_ file: String) throws {
        let expected = try #require(try WireFixtures.expected()[file]?.arrayValue)
        let decoded = WireInspector.decode(input: try WireFixtures.bytes(file))
        try #require(decoded.count == expected.count, "\(file): \(decoded.count) messages, expected \(expected.count)")
        for (want, got) in zip(expected, decoded) {
            let where_ = "\(file)#\(got.index)"
            #expect(!got.failed, "\(where_): \(got.jsonObject)")
            let out = got.jsonObject
            let kind = try #require(want["kind"]?.stringValue)
            #expect(out["kind"] == .string(kind), "\(where_)")
            #expect(out["exchange"] == want["exchange"], "\(where_)")
            #expect(out["routing_key"] == want["routing_key"], "\(where_)")
            switch kind {
            case "call", "cast":
                for key in ["method", "namespace", "version"] { #expect(out[key] == want[key], "\(where_) \(key)") }
                if kind == "call" { #expect(out["msg_id"] == want["msg_id"], "\(where_) msg_id") }
                #expect(out["context"]?["request_id"] ?? .null == want["context_request_id"], "\(where_) request_id")
                let wantArgs = try #require(want["args"]?.objectValue)
                let gotArgs = try #require(out["args"]?.objectValue)
                #expect(Set(wantArgs.keys) == Set(gotArgs.keys), "\(where_) arg names")
                for (name, value) in wantArgs {
                    #expect(Self.matches(expected: value, actual: gotArgs[name] ?? .null), "\(where_) arg \(name): \(gotArgs[name] ?? .null)")
                }
            case "reply":
                #expect(out["msg_id"] == want["msg_id"], "\(where_)")
                #expect(out["ending"] == want["ending"], "\(where_)")
                if let failureClass = want["failure_class"] {
                    #expect(out["failure"]?["class"] == failureClass, "\(where_)")
                    #expect(out["failure"]?["module"] == want["failure_module"], "\(where_)")
                } else {
                    #expect(out["failure"] == .null, "\(where_)")
                }
                if let resultType = want["result_type"]?.stringValue {
                    #expect(Self.pythonTypeName(out["result"] ?? .null) == resultType, "\(where_)")
                }
            case "notification":
                for key in ["event_type", "priority", "publisher_id"] { #expect(out[key] == want[key], "\(where_) \(key)") }
                #expect(out["payload"]?["outcome"] == want["payload_outcome"], "\(where_)")
                #expect(out["payload"]?["target"]?["id"] == want["payload_target_id"], "\(where_)")
            default:
                Issue.record("\(where_): unknown expected kind \(kind)")
            }
        }
    }

    /// Versioned objects in `expected.json` list a few of their fields: those must match.
    static func matches(expected: JSONValue, actual: JSONValue) -> Bool {
        if case .object(let e) = expected, e["object"] != nil, case .object(let wantData)? = e["data"] {
            guard case .object(let a) = actual, a["object"] == e["object"], a["version"] == e["version"],
                  case .object(let gotData)? = a["data"] else { return false }
            return wantData.allSatisfy { key, value in gotData[key].map { matches(expected: value, actual: $0) } ?? false }
        }
        return expected == actual
    }

    static func pythonTypeName(_ value: JSONValue) -> String {
        switch value {
        case .object(let o): return o["object"]?.stringValue ?? "dict"
        case .array: return "list"
        case .string: return "str"
        case .int: return "int"
        case .double: return "float"
        case .bool: return "bool"
        case .null: return "NoneType"
        }
    }
}
