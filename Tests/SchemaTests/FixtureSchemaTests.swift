import Foundation
import JSON
import Testing
import TestSupport

/// Every recorded message and every driver case conforms to the published schemas (checked by
/// the reference validator, Python's jsonschema), so the schemas describe what really flows.
@Suite struct FixtureSchemaTests {
    static var schemasDirectory: String { TestEnvironment.projectDirectory.appendingPathComponent("schemas").path }

    static func items() throws -> [JSONValue] {
        var items: [JSONValue] = []
        func add(_ schema: String, _ instance: JSONValue, _ label: String) {
            items.append(["schema": .string(schema), "instance": instance, "label": .string(label)])
        }
        let wire = TestEnvironment.fixturesDirectory.appendingPathComponent("wire")
        for file in try FileManager.default.contentsOfDirectory(atPath: wire.path).sorted() where file.hasSuffix(".jsonl") {
            let text = try String(contentsOf: wire.appendingPathComponent(file), encoding: .utf8)
            for (n, line) in text.split(separator: "\n").enumerated() {
                let label = "\(file)#\(n)"
                let record = try JSONValue(parsing: String(line))
                add("recording-line.schema.json", record, label)
                guard let body = record["body"]?.stringValue else { continue }
                let envelope = try JSONValue(parsing: body)
                add("oslo-envelope.schema.json", envelope, label)
                let message = try JSONValue(parsing: envelope["oslo.message"]?.stringValue ?? "")
                if message["method"] != nil {
                    add("rpc-request.schema.json", message, label)
                    add("conductor-args.schema.json", message, label)
                } else if message["event_type"] != nil {
                    add("notification.schema.json", message, label)
                } else {
                    add("rpc-reply.schema.json", message, label)
                    if let failure = message["failure"]?.stringValue {
                        add("rpc-failure.schema.json", try JSONValue(parsing: failure), label + " failure")
                    }
                }
            }
        }
        let driver = TestEnvironment.fixturesDirectory.appendingPathComponent("driver")
        for file in try FileManager.default.contentsOfDirectory(atPath: driver.path).sorted() where file.hasSuffix(".json") {
            let data = try Data(contentsOf: driver.appendingPathComponent(file))
            add("driver-case.schema.json", try JSONValue(parsing: data), file)
        }
        return items
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func everyFixtureConformsToItsSchema() async throws {
        let items = try Self.items()
        #expect(items.count > 150)
        let request: JSONValue = ["schemas_dir": .string(Self.schemasDirectory), "items": .array(items)]
        let reply = try JSONValue(parsing: await TestEnvironment.runPythonPeer("validate_schemas.py", input: Data(request.serialized())))
        #expect(reply["checked"]?.intValue == items.count)
        let errors = reply["errors"]?.arrayValue ?? []
        #expect(errors.isEmpty, "\(errors.prefix(10).map { $0.jsonString() }.joined(separator: "\n"))")
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func schemasRejectWhatTheyShould() async throws {
        let bad: [(String, JSONValue)] = [
            ("oslo-envelope.schema.json", ["oslo.version": "1.0", "oslo.message": "{}"]),
            ("rpc-request.schema.json", ["method": "x", "args": [:], "_unique_id": "abc"]),
            ("rpc-request.schema.json", ["method": "x", "args": [:], "_unique_id": "0123456789abcdef0123456789abcdef", "_reply_q": "r"]),
            ("rpc-reply.schema.json", ["result": nil, "failure": nil, "ending": "yes", "_msg_id": "0123456789abcdef0123456789abcdef",
                                       "_unique_id": "0123456789abcdef0123456789abcdef"]),
            ("conductor-args.schema.json", ["method": "cluster_delete", "args": [:]]),
            ("conductor-args.schema.json", ["method": "cluster_create", "args": ["cluster": ["magnum_object.name": "NodeGroup"],
                                                                                "master_count": 1, "node_count": 1, "create_timeout": 60]]),
            ("recording-line.schema.json", ["seq": 0, "exchange": "", "routing_key": "q", "properties": [:]]),
        ]
        let items = bad.enumerated().map { i, b -> JSONValue in ["schema": .string(b.0), "instance": b.1, "label": .string("bad\(i)")] }
        let request: JSONValue = ["schemas_dir": .string(Self.schemasDirectory), "items": .array(items)]
        let reply = try JSONValue(parsing: await TestEnvironment.runPythonPeer("validate_schemas.py", input: Data(request.serialized())))
        let labels = Set((reply["errors"]?.arrayValue ?? []).compactMap { $0["label"]?.stringValue })
        for i in bad.indices { #expect(labels.contains("bad\(i)"), "bad\(i) (\(bad[i].0)) was accepted") }
    }
}
