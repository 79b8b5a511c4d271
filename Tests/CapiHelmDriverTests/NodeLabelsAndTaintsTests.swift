import CapiHelmDriver
import JSON
import Testing

/// `[capi_worker] node_labels_and_taints`: NodeGroup `node_labels` and `node_taints` reach the
/// chart (openstack-cluster `nodeGroups[].nodeLabels`, kubeadm `nodeRegistration.taints`,
/// `controlPlane.nodeLabels`); 1.4.0 drops them.
@Suite("Node labels and taints")
struct NodeLabelsAndTaintsTests {
    static func labelled(enabled: Bool, validate: Bool = false) throws -> JSONValue {
        var c = try Cases.base("create_defaults.json")
        var options = JSONObject()
        if enabled { options["node_labels_and_taints"] = true }
        if validate { options["validate_requests"] = true }
        c[path: "config", "capi_worker"] = .object(options)
        var groups = c[path: "input", "nodegroups"]?.arrayValue ?? []
        groups[0]["node_labels"] = ["topology.kubernetes.io/zone": "az-1"]
        groups[1]["node_labels"] = ["example.com/tier": "gpu", "team": "ml"]
        groups[1]["node_taints"] = [["key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"],
                                    ["key": "dedicated", "effect": "NoExecute"]]
        c[path: "input", "nodegroups"] = .array(groups)
        return c
    }

    @Test("labels and taints are in the values")
    func inValues() async throws {
        let out = try await Cases.run(try Self.labelled(enabled: true))
        let values = try #require(out["helm"]?[0]?["values"])
        let worker = try #require(values["nodeGroups"]?[0])
        #expect(worker["nodeLabels"] == ["example.com/tier": "gpu", "team": "ml"])
        #expect(worker[path: "kubeadmConfigSpec", "joinConfiguration", "nodeRegistration", "taints"] == [
            ["key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"], ["key": "dedicated", "effect": "NoExecute"],
        ])
        #expect(values[path: "controlPlane", "nodeLabels"] == ["topology.kubernetes.io/zone": "az-1"])
    }

    @Test("1.4.0 compatibility leaves them out: the values are the fixture's")
    func compatibility() async throws {
        let out = try await Cases.run(try Self.labelled(enabled: false))
        let fixture = try Cases.load("create_defaults.json")
        #expect(out["helm"] == fixture[path: "expected", "helm"])
    }

    @Test("labels and taints Kubernetes would refuse are refused up front", arguments: [
        (["node_labels": ["node-role.kubernetes.io/worker": ""]] as JSONValue, "the kubelet may not set"),
        (["node_labels": ["bad key!": "x"]] as JSONValue, "node label key 'bad key!'"),
        (["node_labels": ["ok": "-starts-with-dash"]] as JSONValue, "invalid value '-starts-with-dash'"),
        (["node_taints": [["key": "gpu", "effect": "Sometimes"]]] as JSONValue, "needs an effect"),
        (["node_taints": [["effect": "NoSchedule"]]] as JSONValue, "has no key"),
    ])
    func refused(_ change: JSONValue, _ why: String) async throws {
        var c = try Self.labelled(enabled: true, validate: true)
        var groups = c[path: "input", "nodegroups"]?.arrayValue ?? []
        groups[1]["node_labels"] = nil
        groups[1]["node_taints"] = nil
        for (k, v) in change.objectValue ?? [:] { groups[1][k] = v }
        c[path: "input", "nodegroups"] = .array(groups)
        let out = try await Cases.run(c)
        #expect(out[path: "error", "class"] == "InvalidParameterValue")
        #expect(out[path: "error", "message"]?.stringValue?.contains(why) == true, "\(out["error"] ?? .null)")
        #expect(out["kubernetes"] == [] && out["helm"] == [] && out["openstack"] == [])
    }

    @Test("taints on the control plane are refused (they would replace its own taint)")
    func controlPlaneTaints() async throws {
        var c = try Self.labelled(enabled: true, validate: true)
        c[path: "input", "nodegroups"] = c[path: "input", "nodegroups"].map { g in
            var groups = g.arrayValue ?? []
            groups[0]["node_taints"] = [["key": "x", "effect": "NoSchedule"]]
            return .array(groups)
        }
        let out = try await Cases.run(c)
        #expect(out[path: "error", "message"]?.stringValue?.contains("control plane") == true)
    }
}
