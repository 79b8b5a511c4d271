import ClusterStore
import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport
import Worker

/// Requests that cannot be honoured fail with a clear error and change nothing in the database.
@Suite("Indirection API refuses bad input without writing")
struct IndirectionBadInputTests {
    static let context = StoreContext(projectId: IndirectionPythonParityTests.project, userId: IndirectionPythonParityTests.user)

    /// Every row of every Magnum table, in a comparable form.
    static func snapshot(_ database: any SQLDatabase) async throws -> [String: [[SQLValue]]] {
        var out: [String: [[SQLValue]]] = [:]
        for table in IndirectionPythonParityTests.tables {
            let q = database.dialect.quote(table)
            out[table] = try await database.read { try $0.query("SELECT * FROM \(q) ORDER BY id", []).rows }
        }
        return out
    }

    func call(_ api: IndirectionAPI, _ request: JSONValue) async throws -> JSONValue {
        try await api.call(method: request["method"]?.stringValue ?? "", context: Self.context, args: request["args"]?.objectValue ?? [:])
    }

    @Test(arguments: Backend.allCases)
    func badRequestsFailAndLeaveEveryRowAsItWas(_ backend: Backend) async throws {
        try await IndirectionFixture.with(backend) { fixtures in
            let f = fixtures[0]
            try await IndirectionPythonParityTests.seed(f.store)
            let before = try await Self.snapshot(f.database)
            let a = try await f.store.cluster(uuid: IndirectionPythonParityTests.clusterA, context: Self.context).primitive()
            typealias P = IndirectionPythonParityTests

            // Unknown object name.
            let unknown = await #expect(throws: IndirectionFailure.self) {
                _ = try await call(f.api, P.cls("Widget", "get", [1], versions: ["Widget": "1.0"]))
            }
            #expect(unknown?.className == "UnsupportedObjectError")
            #expect(unknown?.message == "Unsupported object type Widget")

            // A version newer than ours, for a class call and for an object sent to us.
            let newer = await #expect(throws: IndirectionFailure.self) {
                _ = try await call(f.api, P.cls("Cluster", "list", [], versions: ["Cluster": "1.25", "ClusterTemplate": "1.21"]))
            }
            #expect(newer?.message == "Version 1.25 of Cluster is not supported, supported version is 1.24")
            var newerObject = a
            newerObject[PrimitiveKey.version] = "1.30"
            newerObject[PrimitiveKey.data]?["status"] = "DELETE_IN_PROGRESS"
            newerObject[PrimitiveKey.changes] = ["status"]
            let newerSave = await #expect(throws: IndirectionFailure.self) { _ = try await call(f.api, P.act(newerObject, "save")) }
            #expect(newerSave?.className == "IncompatibleObjectVersion")

            // A field of the wrong type next to a valid change: nothing of it is written.
            var wrongType = a
            wrongType[PrimitiveKey.data]?["status"] = "DELETE_IN_PROGRESS"
            wrongType[PrimitiveKey.data]?["node_taints_not_a_field"] = 1
            wrongType[PrimitiveKey.data]?["labels"] = ["not", "a", "dict"]
            wrongType[PrimitiveKey.changes] = ["status", "labels"]
            let typeError = await #expect(throws: IndirectionFailure.self) { _ = try await call(f.api, P.act(wrongType, "save")) }
            #expect(typeError?.className == "ValueError")
            let badStatus = await #expect(throws: IndirectionFailure.self) {
                _ = try await call(f.api, P.act(try P.new("Cluster", ["name": "x"]).replacingStatus("EXPLODED"), "create"))
            }
            #expect(badStatus?.className == "ValueError")

            // Values of the wrong type given straight to a class method.
            let badValues = await #expect(throws: IndirectionFailure.self) {
                _ = try await call(f.api, P.cls("NodeGroup", "update_nodegroup", [.string(P.clusterA), "default-worker", ["node_count": "lots", "status": "UPDATE_IN_PROGRESS"]]))
            }
            #expect(badValues?.className == "ValueError")

            // A nested object primitive that does not hydrate (a marker of an unknown type).
            let badMarker = await #expect(throws: IndirectionFailure.self) {
                _ = try await call(f.api, P.cls("Cluster", "list", [], ["marker": ["magnum_object.name": "Widget", "magnum_object.namespace": "magnum",
                                                                                  "magnum_object.version": "1.0", "magnum_object.data": [:]]]))
            }
            #expect(badMarker?.className == "UnsupportedObjectError")

            // A not-found in the middle of an update_nodegroup writes nothing either.
            _ = await #expect(throws: MagnumError.self) {
                _ = try await call(f.api, P.cls("NodeGroup", "update_nodegroup", [.string(P.clusterA), "no-such-group", ["node_count": 9]]))
            }
            // Not a method Magnum's objects offer remotely.
            let private_ = await #expect(throws: IndirectionFailure.self) { _ = try await call(f.api, P.act(a, "obj_reset_changes")) }
            #expect(private_?.className == "AttributeError")

            #expect(try await Self.snapshot(f.database) == before)
        }
    }
}

extension JSONValue {
    /// The primitive with `status` set to a value no status field accepts.
    func replacingStatus(_ status: String) -> JSONValue {
        var p = self
        p[PrimitiveKey.data]?["status"] = .string(status)
        if case .array(var changes)? = p[PrimitiveKey.changes] {
            changes.append("status")
            p[PrimitiveKey.changes] = .array(changes)
        }
        return p
    }
}
