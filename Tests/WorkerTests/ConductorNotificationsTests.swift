import Foundation
import JSON
import MagnumObjects
import OsloMessaging
import Synchronization
import Testing
import TestSupport
import Worker

/// The conductor's notifications: Magnum's CADF events as recorded from real Magnum, valid
/// against `schemas/`, and read back by a real oslo.messaging notification listener.
@Suite("Conductor notifications")
struct ConductorNotificationsTests {
    @Test func cadfIdentifiersArePycadfsUUID5s() {
        let ids = CADFIdentifiers()
        // uuid.uuid5(uuid.UUID(sha256(b"openstack").hexdigest()[:32]), name), computed by Python.
        #expect(ids.identifier(forName: "abc") == "016defbc-029d-5000-9016-26b68f768bf2")
        #expect(ids.identifier(forName: "a5cbab10-e5ad-42fb-b49a-42dd4510a7da") == "bf782112-1d80-574a-bab7-d45dd33f4698")
        let generated = ids.generate()
        #expect(generated.count == 36)
        #expect(Array(generated)[14] == "5")
        #expect("89ab".contains(Array(generated)[19]))
        #expect(ids.generate() != generated)
        // An empty [audit] namespace makes plain uuid4s, as pycadf does.
        #expect(Array(CADFIdentifiers(namespace: "").generate())[14] == "4")
    }

    /// Our payload for the recorded event's cluster is the recorded payload, key order included.
    @Test func cadfPayloadIsTheRecordedOne() throws {
        let url = TestEnvironment.fixturesDirectory.appendingPathComponent("wire/notifications.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        for line in lines {
            let body = try JSONValue(parsing: String(line))["body"]?.stringValue ?? ""
            let recorded = try OsloNotification(body: Array(body.utf8))
            let content = recorded.payload["target"]?["attachments"]?[0]?["content"] ?? .null
            var cluster = Cluster()
            for (field, value) in content.objectValue ?? [:] {
                let name = field == "docker_volume_size:" ? "docker_volume_size" : field
                guard Cluster.schema.field(name) != nil else { continue }
                try cluster.setValue(value, for: name)
            }
            try cluster.setValue(recorded.payload["target"]?["id"] ?? .null, for: "uuid")
            try cluster.setValue(recorded.payload["target"]?["name"] ?? .null, for: "name")
            var master = NodeGroup(), worker = NodeGroup()
            master.role = "master"
            master.nodeCount = content["master_count"]?.intValue
            master.nodeAddresses = []
            worker.role = "worker"
            worker.nodeCount = content["node_count"]?.intValue
            worker.nodeAddresses = []
            let event = ClusterAuditEvent(
                action: CADFAction(rawValue: recorded.payload["action"]?.stringValue ?? "") ?? .update,
                outcome: CADFOutcome(rawValue: recorded.payload["outcome"]?.stringValue ?? "") ?? .pending,
                context: recorded.context, cluster: cluster, nodeGroups: [master, worker],
                time: Timestamp(parsing: "2026-11-25T00:03:24.404639Z") ?? Timestamp(microsecondsSinceEpoch: 0), identifiers: CADFIdentifiers())
            #expect(event.eventType == recorded.eventType)
            #expect(event.priority.wireValue == recorded.priority)
            // The datetimes the recording took from its database rows have microseconds; ours
            // come from object fields (whole seconds), so only their form is compared.
            func comparable(_ payload: JSONValue) -> String {
                let p = Parity.cadf(payload, [:])
                guard case .object(var target)? = p["target"], case .array(var attachments)? = target["attachments"],
                      case .object(var attachment)? = attachments.first, case .object(var content)? = attachment["content"] else {
                    return p.jsonString(.python)
                }
                for key in ["created_at", "updated_at"] {
                    if case .string(let s)? = content[key] {
                        content[key] = .string(String(s.prefix(19)) + (s.count == 26 ? ".ffffff" : s))
                    }
                }
                attachment["content"] = .object(content)
                attachments[0] = .object(attachment)
                target["attachments"] = .array(attachments)
                var out = p
                out["target"] = .object(target)
                return out.jsonString(.python)
            }
            #expect(comparable(event.payload) == comparable(recorded.payload))
            #expect(event.payload["eventTime"] == "2026-11-25T00:03:24.404639+0000")
        }
    }

    /// Runs a create, a failing update and a status sync, and returns everything published.
    static func sampleTraffic() async throws -> [String] {
        let bodies = Mutex<[String]>([])
        try await MagnumDatabase.with(.sqlite) { dbs in
            let store = dbs[0].store
            try await Seed.apply(to: store)
            let harness = await ConductorHarness(store: store, script: DriverScript(
                steps: ["update_cluster": [.fail(MagnumError("MagnumException", message: "helm upgrade failed"))]],
                statusByCluster: [Seed.otherCluster: [.cluster(["status": "UPDATE_COMPLETE"])]]))
            _ = await harness.handle(try ConductorMessage.recorded("cluster_create_defaults.jsonl"))
            _ = await harness.handle(try ConductorMessage.recorded("cluster_update_node_count.jsonl").setting("cluster", "status", "CREATE_COMPLETE"))
            await harness.statusSync.syncClusterStatus()
            let published = await harness.notificationBodies()
            bodies.withLock { $0 = published }
        }
        return bodies.withLock { $0 }
    }

    @Test("Notifications validate against schemas/", .enabled(if: TestEnvironment.pythonEnabled))
    func notificationsValidateAgainstTheSchemas() async throws {
        let bodies = try await Self.sampleTraffic()
        var items: [JSONValue] = []
        var kinds: Set<String> = []
        for (i, body) in bodies.enumerated() {
            let message = try RPCEnvelope.decode(Array(body.utf8)).message
            let eventType = message["event_type"]?.stringValue ?? ""
            kinds.insert(eventType + "/" + (message["priority"]?.stringValue ?? ""))
            items.append(["schema": "oslo-envelope.schema.json", "instance": try JSONValue(parsing: body), "label": .string("envelope \(i)")])
            items.append(["schema": "notification.schema.json", "instance": .object(message), "label": .string("\(eventType) \(i)")])
            if eventType == ClusterStatusUpdate.eventType {
                items.append(["schema": "cluster-status-update.schema.json", "instance": message["payload"] ?? .null,
                              "label": .string("status_update \(i)")])
            } else {
                items.append(["schema": "cadf-cluster-event.schema.json", "instance": message["payload"] ?? .null,
                              "label": .string("CADF \(i)")])
            }
        }
        // Every kind the conductor sends is in the sample.
        #expect(kinds.isSuperset(of: ["magnum.cluster.create/INFO", "magnum.cluster.update/INFO", "magnum.cluster.update/ERROR",
                                      "magnum.cluster.status_update/INFO", "magnum.cluster.status_update/ERROR"]), "\(kinds)")
        let request: JSONValue = ["schemas_dir": .string(TestEnvironment.projectDirectory.appendingPathComponent("schemas").path),
                                  "items": .array(items)]
        let input = Data(request.jsonString(.compact).utf8)
        let output = try await TestEnvironment.runPythonPeer("validate_schemas.py", input: input)
        let answer = try JSONValue(parsing: String(decoding: output, as: UTF8.self))
        #expect(answer["checked"]?.intValue == items.count)
        #expect(answer["errors"]?.arrayValue?.isEmpty == true, "\(answer["errors"]?.jsonString() ?? "")")
    }

    @Test("oslo.messaging's notification listener reads them", .enabled(if: TestEnvironment.pythonEnabled))
    func osloNotificationDispatcherReadsThem() async throws {
        let bodies = try await Self.sampleTraffic()
        let answer = try await askConductorPeer(["op": "notifications", "bodies": .array(bodies.map { .string($0) })])
        let results = answer.arrayValue ?? []
        #expect(results.count == bodies.count)
        for (body, result) in zip(bodies, results) {
            let ours = try OsloNotification(body: Array(body.utf8))
            #expect(result["result"] == "handled")
            let calls = result["calls"]?.arrayValue ?? []
            #expect(calls.count == 1)
            let call = calls.first ?? .null
            #expect(call["priority"]?.stringValue == ours.priority.lowercased())
            #expect(call["event_type"]?.stringValue == ours.eventType)
            #expect(call["publisher_id"] == "container-infra.conductor-1")
            #expect(call["payload"] == ours.payload)
            #expect(call["metadata"]?["message_id"]?.stringValue == ours.messageID)
            #expect(call["metadata"]?["timestamp"]?.stringValue == ours.timestamp)
            // The context Magnum's serializer rebuilds carries no token and the caller's identity.
            #expect(call["ctxt"]?["auth_token"] == .null)
            #expect(call["ctxt"]?["request_id"] == ours.context["request_id"])
        }
    }
}
