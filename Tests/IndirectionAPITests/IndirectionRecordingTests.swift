import ClusterStore
import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport
import Worker

/// Replays the indirection calls real magnum-api sent (recorded on the wire with real magnum +
/// oslo.messaging) through `IndirectionAPI`, over a database seeded with the objects the
/// recorded replies show, and compares with the recorded replies.
@Suite("Indirection API replays recorded magnum-api traffic")
struct IndirectionRecordingTests {
    /// One recorded request with its recorded reply.
    struct Exchange {
        let method: String
        let args: JSONObject
        let context: StoreContext
        let reply: JSONObject
    }

    static func load(_ file: String) throws -> [Exchange] {
        let url = TestEnvironment.fixturesDirectory.appendingPathComponent("wire/\(file)")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        var requests: [String: JSONObject] = [:]
        var order: [String] = []
        var replies: [String: JSONObject] = [:]
        for line in lines {
            let record = try JSONValue(parsing: String(line))
            guard let body = record["body"]?.stringValue,
                  let inner = try JSONValue(parsing: body)["oslo.message"]?.stringValue else { continue }
            guard case .object(let message) = try JSONValue(parsing: inner), let msgID = message["_msg_id"]?.stringValue else { continue }
            if message["method"] != nil {
                requests[msgID] = message
                order.append(msgID)
            } else {
                replies[msgID] = message
            }
        }
        return order.compactMap { id in
            guard let request = requests[id], let reply = replies[id] else { return nil }
            let context = StoreContext(projectId: request["_context_project_id"]?.stringValue,
                                       userId: request["_context_user_id"]?.stringValue,
                                       isAdmin: request["_context_is_admin"]?.boolValue ?? false,
                                       allTenants: request["_context_all_tenants"]?.boolValue ?? false)
            return Exchange(method: request["method"]?.stringValue ?? "", args: request["args"]?.objectValue ?? [:],
                            context: context, reply: reply)
        }
    }

    /// The rows the recorded replies show, inserted with their ids and timestamps.
    static func seed(_ store: any ClusterStore, from exchanges: [Exchange]) async throws {
        var seen: Set<String> = []
        func objects(in value: JSONValue) -> [JSONValue] {
            switch value {
            case .array(let a): return a.flatMap(objects(in:))
            case .object(let o) where o[PrimitiveKey.name] != nil: return [value]
            default: return []
            }
        }
        for exchange in exchanges {
            for primitive in objects(in: exchange.reply["result"] ?? .null) {
                let object = try VersionedObject(primitive: primitive)
                let key = "\(object.name)/\(object.string("uuid") ?? "")"
                guard seen.insert(key).inserted else { continue }
                var values = object.orderedValues
                values["updated_at"] = nil
                switch object.name {
                case "Cluster": _ = try await store.createCluster(values)
                case "ClusterTemplate": _ = try await store.createClusterTemplate(values)
                case "NodeGroup": _ = try await store.createNodeGroup(values)
                default: Issue.record("no seeding for \(object.name)")
                }
            }
        }
    }

    /// The recorded failure string, parsed, without the traceback.
    static func recordedFailure(_ reply: JSONObject) throws -> JSONValue? {
        guard let text = reply["failure"]?.stringValue else { return nil }
        var failure = try JSONValue(parsing: text)
        failure["tb"] = nil
        failure["args"] = nil
        return failure
    }

    @Test(arguments: Backend.allCases)
    func readsAnswerExactlyAsRecorded(_ backend: Backend) async throws {
        let exchanges = try Self.load("indirection_reads.jsonl")
        #expect(exchanges.map { $0.args["objmethod"]?.stringValue } == ["get_by_uuid", "get_by_uuid", "list", "list"])
        try await IndirectionFixture.with(backend) { fixtures in
            let f = fixtures[0]
            try await Self.seed(f.store, from: exchanges)
            for exchange in exchanges {
                let result = try await f.api.call(method: exchange.method, context: exchange.context, args: exchange.args)
                #expect(result == exchange.reply["result"], "\(exchange.args["objname"] ?? .null).\(exchange.args["objmethod"] ?? .null)")
                // Byte for byte too: same field order, same JSON.
                #expect(result.jsonString(.python) == (exchange.reply["result"] ?? .null).jsonString(.python))
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func saveAndNotFoundAnswerExactlyAsRecorded(_ backend: Backend) async throws {
        let exchanges = try Self.load("indirection_save.jsonl")
        #expect(exchanges.map(\.method) == ["object_class_action_versions", "object_action", "object_class_action_versions"])
        try await IndirectionFixture.with(backend) { fixtures in
            let f = fixtures[0]
            try await Self.seed(f.store, from: exchanges)
            for exchange in exchanges {
                if let expected = try Self.recordedFailure(exchange.reply) {
                    await #expect(throws: MagnumError.self) {
                        _ = try await f.api.call(method: exchange.method, context: exchange.context, args: exchange.args)
                    }
                    do {
                        _ = try await f.api.call(method: exchange.method, context: exchange.context, args: exchange.args)
                    } catch {
                        #expect(IndirectionFixture.failure(of: error) == expected)
                    }
                } else {
                    let result = try await f.api.call(method: exchange.method, context: exchange.context, args: exchange.args)
                    #expect(result == exchange.reply["result"])
                }
            }
            // The save reached the database: only the changed columns, and updated_at.
            let cluster = try await f.store.cluster(uuid: "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", context: exchanges[0].context)
            #expect(cluster.status == .updateInProgress)
            #expect(cluster.statusReason == nil)
            #expect(cluster.updatedAt != nil)
            #expect(cluster.labels == ["kube_tag": "v1.31.4"])
            #expect(cluster.createdAt == Timestamp(parsing: "2026-11-25T00:01:42Z"))
        }
    }
}
