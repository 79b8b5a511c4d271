import CapiHelmDriver
import JSON
import Testing

/// `[capi_worker] remove_specific_nodes`: `nodes_to_remove` on resize marks those Machines with
/// `cluster.x-k8s.io/delete-machine` before helm scales the group down (1.4.0 ignores them).
@Suite("nodes_to_remove on resize")
struct NodesToRemoveTests {
    static let release = "prod-east-a1b2c3d4e5f6"
    static let namespace = "magnum-9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"

    static func resize(remove nodes: [String], to count: Int = 1, enabled: Bool = true) throws -> JSONValue {
        var c = try Cases.base("resize_with_nodes_to_remove.json")
        if enabled { c[path: "config", "capi_worker"] = ["remove_specific_nodes": true] }
        c[path: "input", "operation_args", "nodes_to_remove"] = .array(nodes.map { .string($0) })
        c[path: "input", "operation_args", "node_count"] = .int(Int64(count))
        c[path: "input", "k8s"] = ["machines": ["default-worker": [
            ["metadata": ["name": "prod-east-a1b2c3d4e5f6-default-worker-7d9f-abcde"], "spec": ["providerID": "openstack:///5f0c9a3e-1111-4a2b-9c3d-000000000001",
                                                                            "infrastructureRef": ["name": "prod-east-a1b2c3d4e5f6-default-worker-q8x2z"]],
             "status": ["nodeRef": ["name": "prod-east-a1b2c3d4e5f6-default-worker-q8x2z"]]],
            ["metadata": ["name": "prod-east-a1b2c3d4e5f6-default-worker-7d9f-fghij"], "spec": ["providerID": "openstack:///5f0c9a3e-1111-4a2b-9c3d-000000000002"],
             "status": ["nodeRef": ["name": "prod-east-a1b2c3d4e5f6-default-worker-w4k7m"]]],
        ]]]
        return c
    }

    @Test("the named node's Machine is marked, then helm scales down", arguments: [
        "prod-east-a1b2c3d4e5f6-default-worker-q8x2z",  // node / server name
        "5F0C9A3E-1111-4A2B-9C3D-000000000001",  // server id
        "prod-east-a1b2c3d4e5f6-default-worker-7d9f-abcde",  // Machine name
    ])
    func marks(_ node: String) async throws {
        let out = try await Cases.run(try Self.resize(remove: [node]))
        #expect(out["error"] == nil)
        let calls = out["kubernetes"]?.arrayValue ?? []
        #expect(calls.count == 2)
        #expect(calls.first?["call"] == "get_all_machines_by_label")
        #expect(calls.first?["args"]?[0] == [
            "capi.stackhpc.com/cluster": .string(Self.release), "capi.stackhpc.com/component": "worker", "capi.stackhpc.com/node-group": "default-worker",
        ])
        #expect(calls.last == ["call": "annotate_machine", "kwargs": [:], "args": [
            .string("\(Self.release)-default-worker-7d9f-abcde"), .string(Self.namespace), ["cluster.x-k8s.io/delete-machine": "yes"],
        ]])
        #expect(out["helm"]?.arrayValue?.count == 1)
    }

    @Test("a node that is not in the group is refused before anything changes")
    func unknownNode() async throws {
        let out = try await Cases.run(try Self.resize(remove: ["somebody-else"]))
        #expect(out["error"] == [
            "class": "InvalidParameterValue",
            "message": "Node somebody-else is not a node of node group default-worker of cluster 0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02.",
        ])
        #expect(out["helm"] == [])
        #expect(out["kubernetes"]?.arrayValue?.count == 1)
    }

    @Test("more nodes than the resize removes are refused")
    func tooMany() async throws {
        let out = try await Cases.run(try Self.resize(remove: ["prod-east-a1b2c3d4e5f6-default-worker-q8x2z",
                                                               "prod-east-a1b2c3d4e5f6-default-worker-w4k7m"], to: 1))
        #expect(out[path: "error", "message"]
            == "Cannot remove 2 nodes from node group default-worker: resizing it from 2 to 1 nodes removes 1.")
        #expect(out["helm"] == [])
    }

    @Test("1.4.0 compatibility only warns")
    func compatibility() async throws {
        let out = try await Cases.run(try Self.resize(remove: ["somebody-else"], enabled: false))
        #expect(out["error"] == nil)
        #expect(out["kubernetes"] == [])
        #expect(out["helm"]?.arrayValue?.count == 1)
    }
}
