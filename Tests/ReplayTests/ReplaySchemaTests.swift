import Foundation
import JSON
import OsloMessaging
import Replay
import Testing
import TestSupport

/// The golden results conform to `schemas/replay-result.schema.json`, and every message the
/// replayed worker publishes (replies, failures, notifications and their payloads) to the
/// wire schemas — checked by the reference validator (Python's jsonschema).
@Suite struct ReplaySchemaTests {
    static var schemasDirectory: String { TestEnvironment.projectDirectory.appendingPathComponent("schemas").path }

    static func validate(_ items: [JSONValue]) async throws -> [JSONValue] {
        let request: JSONValue = ["schemas_dir": .string(schemasDirectory), "items": .array(items)]
        let reply = try JSONValue(parsing: await TestEnvironment.runPythonPeer("validate_schemas.py", input: Data(request.serialized())))
        #expect(reply["checked"]?.intValue == items.count)
        return reply["errors"]?.arrayValue ?? []
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func goldenResultsConformToTheReplayResultSchema() async throws {
        var items: [JSONValue] = []
        for name in ReplayFixtures.recordings {
            let golden = try JSONValue(parsing: Array(try Data(contentsOf: ReplayFixtures.goldenURL(name))))
            items.append(["schema": "replay-result.schema.json", "instance": golden, "label": .string(name)])
        }
        // And what it must refuse.
        items.append(["schema": "replay-result.schema.json", "instance": ["format": "magnum-capi-worker.replay/1"], "label": "bad-incomplete"])
        let errors = try await Self.validate(items)
        let labels = Set(errors.compactMap { $0["label"]?.stringValue })
        #expect(labels == ["bad-incomplete"], "\(errors.prefix(10).map { $0.jsonString() }.joined(separator: "\n"))")
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func everyMessageTheReplayedWorkerPublishesConformsToTheWireSchemas() async throws {
        var items: [JSONValue] = []
        for name in ["cluster_create_defaults", "cluster_create_call_failure", "certificates", "cluster_delete",
                     "indirection_save", "ping", "rotate_ca_not_supported", "cluster_upgrade"] {
            let recorder = TransportRecorder()
            let broker = InMemoryBroker()
            let bus = ReplayBus(worker: RecordingTransport(wrapping: await broker.connect(), recorder: recorder), client: await broker.connect())
            _ = try await ReplayFixtures.replay(name, bus: bus)
            for (i, message) in await recorder.publishedMessages.enumerated() {
                let label = "\(name) published \(i)"
                let envelope = try JSONValue(parsing: message.body)
                items.append(["schema": "oslo-envelope.schema.json", "instance": envelope, "label": .string(label)])
                let inner = try JSONValue(parsing: envelope["oslo.message"]?.stringValue ?? "")
                if let eventType = inner["event_type"]?.stringValue {
                    items.append(["schema": "notification.schema.json", "instance": inner, "label": .string(label)])
                    let payloadSchema = eventType == "magnum.cluster.status_update" ? "cluster-status-update.schema.json" : "cadf-cluster-event.schema.json"
                    items.append(["schema": .string(payloadSchema), "instance": inner["payload"] ?? .null, "label": .string(label + " payload")])
                } else {
                    items.append(["schema": "rpc-reply.schema.json", "instance": inner, "label": .string(label)])
                    if let failure = inner["failure"]?.stringValue {
                        items.append(["schema": "rpc-failure.schema.json", "instance": try JSONValue(parsing: failure), "label": .string(label + " failure")])
                    }
                }
            }
        }
        #expect(items.count > 40)
        let errors = try await Self.validate(items)
        #expect(errors.isEmpty, "\(errors.prefix(10).map { $0.jsonString() }.joined(separator: "\n"))")
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func linesTheRecorderWritesConformToTheRecordingLineSchema() async throws {
        struct NoSettle: DeliverySettling {
            func settle(_ delivery: Delivery, as settlement: Settlement, reason: String?) async throws {}
        }
        var items: [JSONValue] = []
        for name in ReplayFixtures.recordings {
            let text = String(decoding: try ReplayFixtures.recording(name), as: UTF8.self)
            for (i, line) in text.split(separator: "\n").enumerated() {
                let entry = try WireRecording.parse(line: Array(line.utf8), lineNumber: i + 1)
                let delivery = Delivery(queue: "q", exchange: entry.exchange, routingKey: entry.routingKey, body: entry.body,
                                        properties: entry.properties, redelivered: false, deliveryCount: 1, deliveryTag: 1,
                                        consumerTag: "c", settler: NoSettle())
                guard let written = BusRecorder(source: .queue).line(for: delivery, seq: i, at: Date()) else { continue }
                let record = try JSONValue(parsing: written)
                items.append(["schema": "recording-line.schema.json", "instance": record, "label": .string("\(name)#\(i)")])
                items.append(["schema": "oslo-envelope.schema.json", "instance": try JSONValue(parsing: record["body"]?.stringValue ?? ""),
                              "label": .string("\(name)#\(i) body")])
            }
        }
        #expect(items.count > 80)
        let errors = try await Self.validate(items)
        #expect(errors.isEmpty, "\(errors.prefix(10).map { $0.jsonString() }.joined(separator: "\n"))")
    }
}
