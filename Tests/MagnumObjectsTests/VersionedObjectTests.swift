import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport

@Suite struct VersionedObjectTests {
    @Test func everyRecordedPrimitiveRoundTripsUnchanged() throws {
        let found = try WirePrimitives.all()
        #expect(found.count >= 30, "expected the recordings to hold many object primitives, found \(found.count)")
        for item in found {
            let object = try VersionedObject(primitive: item.primitive)
            let again = try object.primitive()
            #expect(WirePrimitives.normalized(again) == WirePrimitives.normalized(item.primitive), "\(item.path)")
        }
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func pythonMagnumReadsWhatWeWriteIdentically() async throws {
        let found = try WirePrimitives.all()
        var ours: [JSONValue] = []
        for item in found {
            var object = try VersionedObject(primitive: item.primitive)
            // Exercise our setters too, so Python sees values we produced.
            if object.name == "Cluster" {
                object.set("status_reason", string: "über \"quoted\" \n text")
                object.set("updated_at", timestamp: Timestamp(year: 2026, month: 11, day: 26, hour: 4, minute: 5, second: 6))
            }
            ours.append(try object.primitive())
        }
        let request: JSONValue = ["op": "roundtrip", "primitives": .array(ours)]
        let reply = try JSONValue(parsing: await TestEnvironment.runPythonPeer("magnum_objects.py", input: Data(request.serialized())))
        let results = try #require(reply.arrayValue)
        #expect(results.count == ours.count)
        for (mine, theirs) in zip(ours, results) {
            #expect(theirs["error"] == nil, "\(theirs)")
            #expect(WirePrimitives.normalized(theirs["primitive"] ?? .null) == WirePrimitives.normalized(mine))
        }
    }

    @Test func changeTrackingFollowsOslo() throws {
        var cluster = Cluster()
        cluster.uuid = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"
        cluster.status = .createInProgress
        #expect(Array(cluster.changedFields) == ["uuid", "status"])
        cluster.resetChanges()
        #expect(cluster.changedFields.isEmpty)

        var template = ClusterTemplate()
        template.name = "k8s"
        cluster.clusterTemplate = template
        cluster.resetChanges(["uuid"])
        #expect(cluster.changedFields.contains("cluster_template"))
        cluster.resetChanges()
        #expect(cluster.changedFields.isEmpty)
        #expect(cluster.clusterTemplate?.name == "k8s")
        let primitive = try cluster.primitive()
        #expect(primitive["magnum_object.changes"] == nil)
        #expect(primitive["magnum_object.data"]?["cluster_template"]?["magnum_object.changes"] == nil)
    }

    @Test func coercesLikeOsloFields() throws {
        var ng = NodeGroup()
        try ng.setValue("5", for: "node_count")
        #expect(ng.nodeCount == 5)
        try ng.setValue(3, for: "name")
        #expect(ng.name == "3")
        try ng.setValue(nil, for: "node_count")
        #expect(ng.nodeCount == 1, "null on a non-nullable field with a default takes the default")
        try ng.setValue(["a": 1, "b": true], for: "labels")
        #expect(ng.labels == ["a": "1", "b": "True"])
        try ng.setValue("2026-11-25T00:01:42.5+01:00", for: "created_at")
        #expect(ng.base["created_at"] == "2026-11-24T23:01:42Z")

        #expect(throws: ObjectError.self) { try ng.setValue("five", for: "node_count") }
        #expect(throws: ObjectError.self) { try ng.setValue(["x"], for: "name") }
        #expect(throws: ObjectError.self) { try ng.setValue(nil, for: "role") }
        #expect(throws: ObjectError.self) { try ng.setValue("BROKEN", for: "status") }
        #expect(throws: ObjectError.self) { try ng.setValue(1, for: "no_such_field") }
    }

    @Test func refusesUnknownObjectsAndNewerVersions() {
        let unknown: JSONValue = ["magnum_object.name": "Bay", "magnum_object.namespace": "magnum",
                                  "magnum_object.version": "1.0", "magnum_object.data": [:]]
        #expect { try VersionedObject(primitive: unknown) } throws: { ($0 as? ObjectError)?.kind == .unsupportedObject }

        for version in ["1.25", "2.0", "0.9"] {
            let newer: JSONValue = ["magnum_object.name": "Cluster", "magnum_object.namespace": "magnum",
                                    "magnum_object.version": .string(version), "magnum_object.data": [:]]
            #expect { try VersionedObject(primitive: newer) } throws: { error in
                guard let e = error as? ObjectError, e.kind == .incompatibleVersion else { return false }
                return e.message == "Version \(version) of Cluster is not supported, supported version is 1.24"
            }
        }
        let wrongNamespace: JSONValue = ["magnum_object.name": "Cluster", "magnum_object.namespace": "nova",
                                         "magnum_object.version": "1.24", "magnum_object.data": [:]]
        #expect(throws: ObjectError.self) { try VersionedObject(primitive: wrongNamespace) }
        let badField: JSONValue = ["magnum_object.name": "Cluster", "magnum_object.namespace": "magnum",
                                   "magnum_object.version": "1.24", "magnum_object.data": ["create_timeout": "soon"]]
        #expect { try VersionedObject(primitive: badField) } throws: { ($0 as? ObjectError)?.kind == .invalidFieldValue }
    }

    @Test func olderMinorVersionIsKeptAndAnsweredAt() throws {
        let old: JSONValue = ["magnum_object.name": "NodeGroup", "magnum_object.namespace": "magnum",
                              "magnum_object.version": "1.1", "magnum_object.data": ["name": "w"]]
        let object = try VersionedObject(primitive: old)
        #expect(object.version == ObjectVersion(1, 1))
        #expect(try object.primitive()["magnum_object.version"] == "1.1")
        #expect(throws: ObjectError.self) { try object.primitive(targetVersion: ObjectVersion(1, 3)) }
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func backportMatchesPython() async throws {
        let all = try WirePrimitives.all()
        let clusterPrimitive = try #require(all.first { $0.primitive["magnum_object.name"] == "Cluster" }).primitive
        let templatePrimitive = try #require(all.first { $0.primitive["magnum_object.name"] == "ClusterTemplate" }).primitive
        var cluster = try Cluster(primitive: clusterPrimitive)
        cluster.clusterTemplate = try ClusterTemplate(primitive: templatePrimitive)
        let withTemplate = try cluster.primitive()
        let object = try VersionedObject(primitive: withTemplate)
        let manifest: [String: ObjectVersion] = ["ClusterTemplate": ObjectVersion(1, 19)]
        let mine = try object.primitive(targetVersion: ObjectVersion(1, 20), manifest: manifest)
        let request: JSONValue = ["op": "backport", "primitive": withTemplate, "version": "1.20",
                                  "manifest": ["ClusterTemplate": "1.19"]]
        let theirs = try JSONValue(parsing: await TestEnvironment.runPythonPeer("magnum_objects.py", input: Data(request.serialized())))
        #expect(WirePrimitives.normalized(mine) == WirePrimitives.normalized(theirs))
        #expect(mine["magnum_object.data"]?["cluster_template"]?["magnum_object.version"] == "1.19")
    }
}
