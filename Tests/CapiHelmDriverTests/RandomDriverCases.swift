import JSON

/// A small seeded generator (SplitMix64), so a failing random case can be made again from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random driver cases over the inputs the Python driver reads — labels (valid, malformed, of
/// other JSON types), site options, flavors, nodegroups and counts, images, networks, volume
/// types, application credentials that stress YAML quoting, Cluster API states — for comparing
/// the Swift driver with the real one. Inputs that only crash the Python driver with a Python
/// bug (an empty volume type list, a CAPI Cluster without `spec`...) are left out; inputs it
/// refuses with a Magnum error are in.
struct RandomDriverCases {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }
    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }

    static let project = "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"
    static let user = "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b"
    static let clusterUUID = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"
    static let templateUUID = "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11"

    // MARK: - Pools

    static let boolValues = ["true", "false", "True", "FALSE", "yes", "no", "on", "off", "1", "0", "t", "n", "maybe", "", " true ", "tr ue!"]
    static let intValues = ["0", "1", "2", "3", "5", "10", "-1", "007", " 7 ", "1_0", "1__0", "x", "", "3.5", "+4", "20GB", "12!"]
    static let textValues = ["nova", "az-2", "Retain", "Delete", "xfs", "ext4", "ovn", "OVN", "amphora", "Immediate",
                             "ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP_PORT", "we!rd$value", "with space", "a/b_c.d-e", ""]
    static let cidrValues = ["192.0.2.0/24", "192.0.2.0/24,198.51.100.0/24", " 10.0.0.0/8 , ,172.16.0.0/12 ", "bad!cidr,2001:db8::/32",
                             ",,", "", "10.0.0.0/8;rm"]

    mutating func labelValue(_ key: String) -> JSONValue {
        // Values of other JSON types become strings in Magnum's objects (or are refused).
        if chance(0.04) { return pick([.int(Int64(int(0...40))), .bool(chance(0.5)), .double(2.5)]) }
        if chance(0.01) { return .null }
        switch key {
        case "auto_healing_enabled", "auto_scaling_enabled", "csi_cinder_allow_volume_expansion", "keystone_auth_enabled",
             "kube_dashboard_enabled", "master_lb_floating_ip_enabled", "monitoring_enabled", "octavia_lb_healthcheck":
            return .string(pick(Self.boolValues))
        case "min_node_count", "max_node_count", "boot_volume_size", "etcd_blockdevice_size", "etcd_volume_size":
            return .string(pick(Self.intValues))
        case "api_master_lb_allowed_cidrs":
            return .string(pick(Self.cidrValues))
        case "etcd_blockdevice_type":
            return .string(pick(["volume", "local", "Local", "ssd", ""]))
        case "extra_network_names", "extra_network_name":
            return .string(pick(["storage-net", "storage-net backup-net", "a  b", " lead", "x!y", ""]))
        case "fixed_subnet_cidr":
            return .string(pick(["10.42.0.0/22", "192.168.0.0/16", "bad cidr!", ""]))
        case "capi_helm_chart_version":
            return .string(pick(["0.16.0", "0.27.0", "v0.20.1", "0.24.0-rc.1+build", "LATEST!", ""]))
        default:
            return .string(pick(Self.textValues))
        }
    }

    static let labelKeys = [
        "api_master_lb_allowed_cidrs", "auto_healing_enabled", "auto_scaling_enabled", "min_node_count", "max_node_count",
        "boot_volume_size", "boot_volume_type", "csi_cinder_allow_volume_expansion", "csi_cinder_availability_zone",
        "csi_cinder_fstype", "csi_cinder_reclaim_policy", "csi_cinder_volume_binding_mode", "etcd_blockdevice_size",
        "etcd_blockdevice_type", "etcd_blockdevice_volume_az", "etcd_blockdevice_volume_type", "etcd_volume_size",
        "etcd_volume_type", "extra_network_names", "extra_network_name", "fixed_subnet_cidr", "keystone_auth_enabled",
        "kube_dashboard_enabled", "master_lb_floating_ip_enabled", "monitoring_enabled", "octavia_lb_algorithm",
        "octavia_lb_healthcheck", "octavia_provider", "capi_helm_chart_version", "unrelated_label",
    ]

    mutating func labels(_ density: Double) -> JSONValue {
        var o = JSONObject()
        for key in Self.labelKeys where chance(density) { o[key] = labelValue(key) }
        return .object(o)
    }

    mutating func config() -> JSONValue {
        var capi = JSONObject()
        if chance(0.2) { capi["namespace_prefix"] = .string(pick(["capi", "magnum-dev", "Mag_Num"])) }
        if chance(0.15) { capi["helm_chart_repo"] = .string(pick(["https://charts.example/capi", ""])) }
        if chance(0.15) { capi["helm_chart_name"] = .string(pick(["openstack-cluster", "oci://registry.example/openstack-cluster"])) }
        if chance(0.2) { capi["default_helm_chart_version"] = .string(pick(["0.27.0", "0.16.0", "", "0.12.0-Beta"])) }
        if chance(0.1) { capi["minimum_flavor_ram"] = .int(Int64(pick([1024, 2048, 4096, 8192]))) }
        if chance(0.1) { capi["minimum_flavor_vcpus"] = .int(Int64(pick([1, 2, 4]))) }
        if chance(0.2) { capi["csi_cinder_default_volume_type"] = .string(pick(["ssd", "__DEFAULT__", "missing-type"])) }
        if chance(0.15) { capi["csi_cinder_allowed_topologies"] = .array(pick([[], ["zone-a"], ["zone-a", "zone-b"]]).map { .string($0) }) }
        if chance(0.15) { capi["app_cred_interface_type"] = .string(pick(["internal", "public", "admin"])) }
        if chance(0.15) {
            capi["k8s_control_plane_resource_conditions"] = .array(pick([["Ready"], ["Ready", "Available"], []]).map { .string($0) })
        }
        var labels = JSONObject()
        var candidates: [(String, JSONValue)] = []
        candidates.append(("monitoring_enabled", JSONValue.bool(chance(0.5))))
        candidates.append(("kube_dashboard_enabled", JSONValue.bool(chance(0.5))))
        candidates.append(("auto_healing_enabled", JSONValue.bool(chance(0.5))))
        candidates.append(("auto_scaling_enabled", JSONValue.bool(chance(0.5))))
        candidates.append(("keystone_auth_enabled", JSONValue.bool(chance(0.5))))
        candidates.append(("octavia_provider", JSONValue.string(pick(["amphora", "ovn", "OVN"]))))
        candidates.append(("octavia_lb_algorithm", JSONValue.string(pick(["", "LEAST_CONNECTIONS"]))))
        candidates.append(("fixed_subnet_cidr", JSONValue.string("10.9.0.0/16")))
        candidates.append(("csi_cinder_availability_zone", JSONValue.string(pick(["nova", "az!1"]))))
        candidates.append(("csi_cinder_reclaim_policy", JSONValue.string(pick(["Retain", "Delete"]))))
        candidates.append(("csi_cinder_volume_binding_mode", JSONValue.string(pick(["WaitForFirstConsumer", "Immediate"]))))
        candidates.append(("etcd_blockdevice_size", JSONValue.int(Int64(pick([0, 10])))))
        candidates.append(("etcd_blockdevice_type", JSONValue.string(pick(["volume", "local"]))))
        candidates.append(("etcd_blockdevice_volume_type", JSONValue.string(pick(["", "ssd"]))))
        candidates.append(("boot_volume_type", JSONValue.string(pick(["ssd", ""]))))
        candidates.append(("boot_volume_size", JSONValue.int(Int64(pick([0, 40])))))
        candidates.append(("min_node_count", JSONValue.int(Int64(pick([1, 2])))))
        candidates.append(("max_node_count", JSONValue.int(Int64(pick([3, 6])))))
        candidates.append(("api_master_lb_allowed_cidrs", JSONValue.string(pick(["10.0.0.0/8", "a!,b"]))))
        candidates.append(("extra_network_names", JSONValue.string(pick(["site-net", "a b"]))))
        candidates.append(("master_lb_floating_ip_enabled", JSONValue.bool(chance(0.5))))
        candidates.append(("octavia_lb_healthcheck", JSONValue.bool(chance(0.5))))
        candidates.append(("csi_cinder_fstype", JSONValue.string("xfs")))
        for (key, value) in candidates where chance(0.12) {
            labels[key] = value
        }
        var cinder = JSONObject()
        if chance(0.15) { cinder["default_boot_volume_type"] = .string(pick(["fast", ""])) }
        if chance(0.15) { cinder["default_boot_volume_size"] = .int(Int64(pick([0, 30]))) }
        var drivers = JSONObject()
        if chance(0.15) { drivers["verify_ca"] = .bool(chance(0.5)) }
        var out = JSONObject()
        if !capi.isEmpty { out["capi_helm"] = .object(capi) }
        if !labels.isEmpty { out["capi_helm_cluster_labels"] = .object(labels) }
        if !cinder.isEmpty { out["cinder"] = .object(cinder) }
        if !drivers.isEmpty { out["drivers"] = .object(drivers) }
        return .object(out)
    }

    static let flavorNames = ["m1.small", "m1.medium", "m1.large", "m1.xlarge", "g1.gpu", "tiny"]

    mutating func flavors() -> JSONValue {
        // Mostly big enough; "tiny" and "m1.small" sometimes not (RAM or CPU).
        .array(Self.flavorNames.enumerated().map { i, name in
            let small = name == "tiny" || name == "m1.small"
            return [
                "id": .string("f-\(i)"), "name": .string(name),
                "ram": .int(Int64(small ? pick([512, 2048, 4096]) : pick([4096, 8192, 16384]))),
                "vcpus": .int(Int64(small ? pick([1, 2]) : pick([2, 4, 8]))),
            ]
        })
    }

    mutating func flavorRef() -> JSONValue {
        if chance(0.02) { return "unknown-flavor" }
        let i = chance(0.1) ? pick([0, 5]) : int(1...4)
        return .string(chance(0.2) ? "f-\(i)" : Self.flavorNames[i])
    }

    mutating func nodeGroupName() -> String {
        pick(["gpu-pool", "batch", "GPU_Pool #2", "workers.large", "a", "x" + String(repeating: "y", count: int(5...40)), "ng-\(int(1...9))"])
    }

    mutating func nodeGroup(_ name: String, role: String, isDefault: Bool, status: String) -> JSONValue {
        var ng: JSONObject = [
            "name": .string(name), "role": .string(role), "is_default": .bool(isDefault),
            "flavor_id": flavorRef(), "node_count": .int(Int64(role == "master" ? pick([1, 1, 3, 2]) : int(0...6))),
            "labels": [:], "status": .string(status),
        ]
        if chance(0.7) { ng["min_node_count"] = .int(Int64(pick([0, 1, 1, 2, 3]))) }
        if chance(0.4) { ng["max_node_count"] = .int(Int64(pick([1, 3, 5, 8]))) }
        if chance(0.2) { ng["node_count"] = .string(pick(["3", "1"])) }
        if chance(0.01) { ng["node_count"] = "many" }
        return .object(ng)
    }

    static let statuses = ["CREATE_IN_PROGRESS", "CREATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "DELETE_IN_PROGRESS",
                           "CREATE_FAILED", "UPDATE_FAILED"]

    mutating func nodeGroups(status: String) -> [JSONValue] {
        var out: [JSONValue] = [
            nodeGroup("default-master", role: "master", isDefault: true, status: chance(0.8) ? status : pick(Self.statuses)),
            nodeGroup("default-worker", role: "worker", isDefault: true, status: chance(0.8) ? status : pick(Self.statuses)),
        ]
        var used: Set<String> = ["default-master", "default-worker"]
        for _ in 0..<int(0...3) {
            let name = nodeGroupName()
            guard used.insert(name).inserted else { continue }
            out.append(nodeGroup(name, role: chance(0.9) ? "worker" : pick(["gpu", "infra"]), isDefault: false,
                                 status: chance(0.7) ? status : pick(Self.statuses)))
        }
        return out
    }

    mutating func image() -> JSONValue {
        var image: JSONObject = ["id": "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70", "name": "k8s-image"]
        switch int(0...9) {
        case 0: break
        case 1: image["properties"] = ["kube_version": .string(pick(["v1.30.2", "1.29.9"]))]
        case 2: image["kube_version"] = ""; image["properties"] = ["kube_version": "v1.28.1"]
        default: image["kube_version"] = .string(pick(["v1.31.4", "v1.32.1", "1.30.0", "vv1.2.3-rc.1", "v1.31.4+build!", "x"]))
        }
        if !chance(0.05) { image["os_distro"] = .string(pick(["ubuntu", "flatcar", "Ubuntu 22.04!", "fedora-coreos"])) }
        return .object(image)
    }

    /// Credential ids and secrets that exercise PyYAML's quoting and folding.
    mutating func yamlText() -> String {
        pick([
            "6b5e2a1c9d8f4e7a", "123", "0x1F", "1e5", "true", "null", "~", "", " lead", "trail ", "a: b", "#hash", "- dash", "x #y",
            "it's", "\"quoted\"", "tab\there", "caf\u{E9}", "2024-01-02", "1:20", ".inf", "=",
            "long secret " + String(repeating: "wordy ", count: int(10...25)),
            String(repeating: "S3cr3t-", count: int(10...16)), "multi\nline", "@at", "%pct", "!bang", "[x]", "{y}", "?q", ":c", "a,b",
        ])
    }

    // MARK: - Cases

    mutating func baseInput(status: String, stackId: String?) -> JSONObject {
        // The caller's project is the cluster's (Magnum's database scopes reads by it).
        let project = pick([Self.project, Self.project, "Proj-ID_With.Odd"])
        let templateLabels = chance(0.5) ? labels(0.08) : [:]
        var template: JSONObject = [
            "uuid": .string(Self.templateUUID), "name": "k8s", "coe": "kubernetes", "server_type": "vm", "driver": "k8s_capi_helm_v1",
            "image_id": "ubuntu-image", "flavor_id": "m1.medium", "master_flavor_id": "m1.large", "public": true, "hidden": false,
            "tls_disabled": false, "floating_ip_enabled": true, "master_lb_enabled": true, "cluster_distro": "ubuntu",
            "project_id": .string(project), "user_id": .string(Self.user), "labels": templateLabels,
        ]
        template["network_driver"] = chance(0.9) ? .string(pick(["calico", "cilium", "calico", "flannel", "cil!ium", ""])) : .null
        template["dns_nameserver"] = chance(0.85) ? .string(pick(["8.8.8.8", "8.8.8.8,1.1.1.1", "8.8.8.8 , 9.9.9.9", "\"1.1.1.1\""])) : .null
        template["external_network_id"] = .string(pick(["public", "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b", "ext-net"]))
        if chance(0.1) { template["external_network_id"] = .null }

        var cluster: JSONObject = [
            "uuid": .string(Self.clusterUUID), "name": .string(pick(["prod-east", "Team_A's Very Long Cluster Name (prod) #1", "x", "___",
                                                                      "UPPER.case-42", String(repeating: "long", count: 12)])),
            "project_id": .string(project), "user_id": .string(Self.user),
            "status": .string(status), "stack_id": stackId.map { .string($0) } ?? .null, "create_timeout": 60,
            "master_flavor_id": flavorRef(), "flavor_id": "m1.medium", "keypair": chance(0.3) ? .string("ops-key") : .null,
            "labels": chance(0.9) ? labels(0.15) : .null, "floating_ip_enabled": true, "master_lb_enabled": true,
        ]
        cluster["fixed_network"] = chance(0.25) ? .string(pick(["tenant-net", "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "other-net", ""])) : .null
        cluster["fixed_subnet"] = chance(0.25) ? .string(pick(["tenant-subnet", "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f", "sub2", ""])) : .null

        var input: JSONObject = [
            "context": [
                "auth_token": "not-a-token", "auth_url": .string(pick(["https://keystone.example:5000/v3", "http://10.0.0.1/identity"])),
                "project_id": .string(project), "project_name": "demo", "roles": ["member"],
                "user_id": .string(chance(0.8) ? Self.user : "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"), "user_name": "demo",
            ],
            "cluster_template": .object(template), "cluster": .object(cluster), "nodegroups": .array(nodeGroups(status: status)),
            "flavors": flavors(), "image": image(),
            "networks": ["public": "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b", "tenant-net": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"],
            "subnets": ["tenant-subnet": "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f"],
            "volume_types": .array(pick([["__DEFAULT__"], ["__DEFAULT__", "ssd", "Fast HDD"], ["ssd", "Über!"], ["ssd", "ssd"]]).map { .string($0) }),
            "app_credential": ["id": .string(yamlText()), "secret": .string(yamlText())],
            "release_suffix": .string(pick(["x9k2m4p7q1w3", "abcdefghijkl"])),
        ]
        if chance(0.3) { input["region"] = chance(0.8) ? .string(pick(["RegionTwo", "Region One", "null", "eu-west:1"])) : .null }
        if chance(0.2) { input["openstack_ca"] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }
        return input
    }

    mutating func k8sState(cluster: JSONObject, nodeGroups: [JSONValue]) -> JSONValue {
        let release = cluster["stack_id"]?.stringValue ?? "r"
        var state = JSONObject()
        let conditionTypes = ["InfrastructureReady", "ControlPlaneReady", "Ready"]
        if chance(0.85) {
            var capi: JSONObject = ["metadata": ["name": .string(release)], "spec": [:]]
            if chance(0.8) { capi["spec"] = ["controlPlaneEndpoint": ["host": .string(pick(["203.0.113.10", "api.example"])), "port": 6443]] }
            if chance(0.9) {
                capi["status"] = ["conditions": .array(conditionTypes.map { ["type": .string($0), "status": .string(chance(0.8) ? "True" : pick(["False", "Unknown"]))] })]
            }
            state["capi_cluster"] = .object(capi)
        }
        if chance(0.85) {
            let replicas = JSONValue.int(Int64(pick([1, 3])))
            var status: JSONObject = [
                "conditions": .array(["Ready", "MachinesReady", "EtcdClusterHealthy", "ControlPlaneComponentsHealthy", "Available"]
                    .map { ["type": .string($0), "status": .string(chance(0.85) ? "True" : "False")] }),
                "replicas": replicas, "readyReplicas": chance(0.8) ? replicas : 0, "updatedReplicas": replicas,
            ]
            if chance(0.7) { status["version"] = .string(pick(["v1.31.4", "v1.32.1"])) }
            var spec: JSONObject = ["replicas": replicas]
            if chance(0.7) { spec["version"] = "v1.31.4" }
            state["control_plane"] = ["spec": .object(spec), "status": .object(status)]
        }
        var mds = JSONObject()
        var machines = JSONObject()
        for ng in nodeGroups where ng["role"] != "master" {
            let name = ng["name"]?.stringValue ?? ""
            let mdName = "\(release)-\(name)".lowercased().split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }).joined(separator: "-")
            if chance(0.8) {
                var md: JSONObject = [:]
                if chance(0.9) {
                    md["status"] = [
                        "phase": .string(pick(["Running", "Running", "ScalingUp", "Failed", "Unknown", ""])),
                        "conditions": .array([["type": "Ready", "status": .string(chance(0.8) ? "True" : "False")]]),
                    ]
                }
                mds[mdName] = .object(md)
            }
            let sanitized = name.lowercased().split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }).joined(separator: "-")
            if chance(0.3) { machines[sanitized] = [["metadata": ["name": "m-1"]]] }
        }
        state["machine_deployments"] = .object(mds)
        state["machines"] = .object(machines)
        state["addons"] = .array((0..<int(0...3)).map { i in
            ["metadata": .string("addon-\(i)").wrappedName, "status": ["phase": .string(pick(["Deployed", "Deployed", "Installing", "Failed", "Unknown"]))]]
        })
        if chance(0.7) {
            let secretName = "\(release)-cloud-credentials"
            let clouds = pick([
                "clouds:\n  openstack:\n    auth:\n      application_credential_id: 6b5e2a1c9d8f4e7a\n",
                "clouds:\n  openstack:\n    auth:\n      application_credential_id: 'it''s-quoted'\n      auth_url: https://k\n",
                "clouds:\n  openstack:\n    auth:\n      application_credential_id: \"dq-id\"\n",
                "clouds:\n  openstack:\n    auth: {}\n", "clouds:\n  other: {}\n", "",
                "clouds:\n  openstack:\n    auth:\n      application_credential_secret: s\n",
            ])
            state["secrets"] = [secretName: ["clouds.yaml": .string(clouds)]]
        }
        if chance(0.6) {
            var osc: JSONObject = ["status": ["ready": .bool(chance(0.7))]]
            if chance(0.2) { osc["status"] = ["ready": false, "failureReason": "UpdateError", "failureMessage": "Neutron 409"] }
            state["openstack_cluster"] = .object(osc)
        }
        return .object(state)
    }

    static let operations = [
        "create_cluster", "create_cluster", "create_cluster", "create_cluster", "update_cluster", "resize_cluster", "upgrade_cluster",
        "create_nodegroup", "update_nodegroup", "delete_nodegroup", "delete_cluster", "update_cluster_status", "update_cluster_status",
        "rotate_credential", "poll_health_status",
    ]

    mutating func next(index: Int) -> JSONValue {
        let operation = pick(Self.operations)
        let creating = operation == "create_cluster"
        let status: String
        switch operation {
        case "create_cluster": status = "CREATE_IN_PROGRESS"
        case "update_cluster_status": status = pick(["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "CREATE_COMPLETE"])
        default: status = pick(["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS"])
        }
        let stackId: String? = creating ? (chance(0.1) ? "existing-release-abc" : nil) : "prod-east-a1b2c3d4e5f6"
        var input = baseInput(status: status, stackId: stackId)
        let groups = input["nodegroups"]?.arrayValue ?? []
        let workers = groups.filter { $0["role"] != "master" }.compactMap { $0["name"]?.stringValue }
        switch operation {
        case "resize_cluster":
            var args: JSONObject = ["nodegroup": .string(pick(workers)), "node_count": .int(Int64(int(0...7)))]
            if chance(0.3) { args["nodes_to_remove"] = ["node-1"] }
            input["operation_args"] = .object(args)
        case "upgrade_cluster":
            input["operation_args"] = ["new_template": ["uuid": "8d1c2b3a-4e5f-4a6b-9c7d-0e1f2a3b4c5d", "image_id": "newer-image", "name": "k8s-next",
                                                        "labels": chance(0.5) ? labels(0.1) : [:]]]
        case "create_nodegroup":
            var ng = nodeGroup(chance(0.9) ? "new-\(int(1...99))" : nodeGroupName(), role: "worker", isDefault: false, status: "CREATE_IN_PROGRESS")
            ng["status"] = nil
            input["operation_args"] = ["nodegroup": ng]
        case "update_nodegroup":
            var changes = JSONObject()
            if chance(0.8) { changes["node_count"] = .int(Int64(int(0...8))) }
            if chance(0.3) { changes["min_node_count"] = .int(Int64(int(0...3))) }
            if chance(0.3) { changes["max_node_count"] = .int(Int64(int(1...9))) }
            input["operation_args"] = ["nodegroup": .string(pick(workers)), "changes": .object(changes)]
        case "delete_nodegroup":
            input["operation_args"] = ["nodegroup": .string(pick(workers))]
        case "update_cluster_status", "poll_health_status", "rotate_credential":
            input["k8s"] = k8sState(cluster: input["cluster"]?.objectValue ?? [:], nodeGroups: groups)
            if chance(0.2) { input["app_credential_delete_fails"] = true }
            if operation == "rotate_credential" {
                if chance(0.15) { input["app_credential_create_fails"] = "Keystone said no" }
                if chance(0.2) { input["app_credential"] = ["id": "6b5e2a1c9d8f4e7a", "secret": "s"] }
            }
        default:
            break
        }
        return [
            "name": .string("random-\(index)"), "description": "random case", "operation": .string(operation),
            "config": config(), "input": .object(input),
        ]
    }
}

private extension JSONValue {
    var wrappedName: JSONValue { ["name": self] }
}
