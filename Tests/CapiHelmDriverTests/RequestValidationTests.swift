import CapiHelmDriver
import JSON
import Testing

/// `[capi_worker] validate_requests`: what the chart, Cluster API or Kubernetes would refuse
/// only at helm time (or by never becoming ready) is refused when the request arrives, before
/// any namespace, credential, Secret or release exists.
@Suite("Up-front request validation")
struct RequestValidationTests {
    static func create(_ change: (inout JSONValue) -> Void) async throws -> JSONValue {
        var c = try Cases.base("create_defaults.json")
        c[path: "config", "capi_worker"] = ["validate_requests": true]
        change(&c)
        return try await Cases.run(c)
    }

    static func addWorker(_ c: inout JSONValue, name: String, count: Int = 1, min: Int? = nil, max: Int? = nil) {
        var groups = c[path: "input", "nodegroups"]?.arrayValue ?? []
        var ng: JSONValue = ["name": .string(name), "role": "worker", "flavor_id": "m1.medium", "node_count": .int(Int64(count)),
                             "is_default": false, "labels": [:], "status": "CREATE_IN_PROGRESS"]
        if let min { ng["min_node_count"] = .int(Int64(min)) }
        if let max { ng["max_node_count"] = .int(Int64(max)) }
        groups.append(ng)
        c[path: "input", "nodegroups"] = .array(groups)
    }

    static func expectRefusedUntouched(_ out: JSONValue, _ errorClass: String, _ fragment: String,
                                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(out[path: "error", "class"] == .string(errorClass), "\(out["error"] ?? .null)", sourceLocation: sourceLocation)
        #expect(out[path: "error", "message"]?.stringValue?.contains(fragment) == true, "\(out["error"] ?? .null)",
                sourceLocation: sourceLocation)
        #expect(out["helm"] == [] && out["kubernetes"] == [] && out["openstack"] == [], sourceLocation: sourceLocation)
        #expect(out[path: "cluster", "stack_id"] == .null, sourceLocation: sourceLocation)
    }

    @Test("a valid request goes through exactly as without validation")
    func validPasses() async throws {
        let out = try await Self.create { _ in }
        #expect(out == (try Cases.load("create_defaults.json"))["expected"])
    }

    @Test("a node group whose MachineDeployment name would pass 63 characters")
    func longName() async throws {
        let out = try await Self.create { Self.addWorker(&$0, name: "gpu-a100-highmem-pool-for-distributed-training") }
        Self.expectRefusedUntouched(out, "NodeGroupInvalidInput", "would be longer than 63 characters")
    }

    @Test("two node groups that would become the same MachineDeployment")
    func duplicateNames() async throws {
        let out = try await Self.create {
            Self.addWorker(&$0, name: "GPU pool")
            Self.addWorker(&$0, name: "gpu-pool")
        }
        Self.expectRefusedUntouched(out, "NodeGroupInvalidInput", "would both become the Cluster API MachineDeployment")
    }

    @Test("a node group name with no letters or digits")
    func emptyName() async throws {
        let out = try await Self.create { Self.addWorker(&$0, name: "___") }
        Self.expectRefusedUntouched(out, "NodeGroupInvalidInput", "has no letters or digits")
    }

    @Test("a cluster name with no letters or digits")
    func clusterName() async throws {
        let out = try await Self.create { $0[path: "input", "cluster", "name"] = "!!!" }
        Self.expectRefusedUntouched(out, "InvalidParameterValue", "Cluster name '!!!' has no letters or digits")
    }

    @Test("counts outside the group's bounds")
    func counts() async throws {
        let above = try await Self.create { Self.addWorker(&$0, name: "batch", count: 5, min: 1, max: 3) }
        Self.expectRefusedUntouched(above, "NodeGroupInvalidInput", "5 is above max_node_count 3")
        let below = try await Self.create { Self.addWorker(&$0, name: "batch", count: 1, min: 2) }
        Self.expectRefusedUntouched(below, "NodeGroupInvalidInput", "1 is below min_node_count 2")
    }

    @Test("autoscaling bounds 1.4.0 only checks after creating the namespace and Secrets")
    func autoscalingBounds() async throws {
        let out = try await Self.create {
            $0[path: "input", "cluster", "labels"] = ["auto_scaling_enabled": "true", "min_node_count": "0", "max_node_count": "5"]
        }
        Self.expectRefusedUntouched(out, "NodeGroupInvalidInput", "Min node count must be greater than or equal to 1 for all node groups.")
        // Without validation the same request leaves a namespace, a credential and Secrets behind.
        var c = try Cases.base("create_defaults.json")
        c[path: "input", "cluster", "labels"] = ["auto_scaling_enabled": "true", "min_node_count": "0", "max_node_count": "5"]
        let python = try await Cases.run(c)
        #expect(python[path: "error", "message"] == "Min node count must be greater than or equal to 1 for all node groups.")
        #expect(python["kubernetes"]?.arrayValue?.count == 6)
    }

    @Test("an even number of control plane nodes")
    func evenMasters() async throws {
        let out = try await Self.create { $0[path: "input", "nodegroups"] = $0[path: "input", "nodegroups"].map { g in
            var groups = g.arrayValue ?? []
            groups[0]["node_count"] = 2
            return .array(groups)
        } }
        Self.expectRefusedUntouched(out, "MasterNGSizeInvalid", "master nodegroup size of 2 is invalid, size cannot be an even number.")
    }

    @Test("a network driver the chart has no CNI for")
    func networkDriver() async throws {
        let out = try await Self.create { $0[path: "input", "cluster_template", "network_driver"] = "flannel" }
        Self.expectRefusedUntouched(out, "InvalidParameterValue", "Network driver 'flannel' is not supported")
    }

    @Test("an image whose kube_version is not a Kubernetes version")
    func kubeVersion() async throws {
        let out = try await Self.create { $0[path: "input", "image", "kube_version"] = "latest" }
        Self.expectRefusedUntouched(out, "MagnumException", "is not a Kubernetes version like v1.31.4")
    }

    @Test("a namespace prefix that cannot make a namespace name")
    func namespacePrefix() async throws {
        let out = try await Self.create { $0[path: "config", "capi_helm"] = ["namespace_prefix": "Magnum_Clusters"] }
        Self.expectRefusedUntouched(out, "InvalidParameterValue", "is not a valid Kubernetes namespace name")
    }

    @Test("a resize outside the group's bounds")
    func resizeBounds() async throws {
        var c = try Cases.base("resize_default_worker.json")
        c[path: "config", "capi_worker"] = ["validate_requests": true]
        c[path: "input", "operation_args", "node_count"] = 9
        var groups = c[path: "input", "nodegroups"]?.arrayValue ?? []
        groups[1]["max_node_count"] = 6
        c[path: "input", "nodegroups"] = .array(groups)
        let out = try await Cases.run(c)
        #expect(out["error"] == ["class": "NGResizeOutBounds",
                                 "message": "Resizing default-worker outside the allowed range: min_node_count = 1, max_node_count = 6"])
        #expect(out["helm"] == [])
    }
}
