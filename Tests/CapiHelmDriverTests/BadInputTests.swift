import CapiHelmDriver
import JSON
import Testing
import TestSupport

/// Bad input gets the errors the Python driver gives: label values of the wrong type, images
/// missing properties, impossible counts, flavors too small or unknown, a default volume type
/// Cinder does not have. Each case is checked against the known message, and against the real
/// driver when the Python peers are there.
@Suite("Bad input: the same errors as Python")
struct BadInputTests {
    struct Bad: Sendable, CustomStringConvertible {
        let name: String
        let base: String
        let change: @Sendable (inout JSONValue) -> Void
        let errorClass: String
        let message: String
        var description: String { name }
    }

    static let release = "prod-east-a1b2c3d4e5f6"

    static let cases: [Bad] = [
        Bad(name: "null label value", base: "create_defaults.json",
            change: { $0[path: "input", "cluster", "labels"] = ["monitoring_enabled": nil] },
            errorClass: "ValueError", message: "Field `labels[monitoring_enabled]' cannot be None"),
        Bad(name: "list label value", base: "create_defaults.json",
            change: { $0[path: "input", "cluster", "labels"] = ["api_master_lb_allowed_cidrs": ["10.0.0.0/8"]] },
            errorClass: "ValueError", message: "A string is required in field labels[api_master_lb_allowed_cidrs], not a list"),
        Bad(name: "object template label value", base: "create_defaults.json",
            change: { $0[path: "input", "cluster_template", "labels"] = ["boot_volume_size": ["size": 10]] },
            errorClass: "ValueError", message: "A string is required in field labels[boot_volume_size], not a dict"),
        Bad(name: "image without kube_version", base: "create_defaults.json",
            change: { $0[path: "input", "image", "kube_version"] = nil },
            errorClass: "MagnumException", message: "Image 0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70 does not have a kube_version property."),
        Bad(name: "image with an empty kube_version", base: "create_defaults.json",
            change: { $0[path: "input", "image", "kube_version"] = "" },
            errorClass: "MagnumException", message: "Image 0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70 does not have a kube_version property."),
        Bad(name: "image without os_distro", base: "create_defaults.json",
            change: { $0[path: "input", "image", "os_distro"] = nil },
            errorClass: "MagnumException", message: "Image 0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70 does not have an os_distro property."),
        Bad(name: "autoscaling minimum of zero", base: "create_defaults.json",
            change: { $0[path: "input", "cluster", "labels"] = ["auto_scaling_enabled": "yes", "min_node_count": "0"] },
            errorClass: "NodeGroupInvalidInput", message: "Min node count must be greater than or equal to 1 for all node groups."),
        Bad(name: "autoscaling minimum above the count", base: "create_defaults.json",
            change: { $0[path: "input", "cluster", "labels"] = ["auto_scaling_enabled": "true", "min_node_count": "3", "max_node_count": "5"] },
            errorClass: "NodeGroupInvalidInput", message: "Min node count must be less than or equal to current node count"),
        Bad(name: "autoscaling maximum below the minimum", base: "nodegroup_create_autoscaled.json",
            change: { $0[path: "input", "operation_args", "nodegroup", "max_node_count"] = 1
                $0[path: "input", "operation_args", "nodegroup", "min_node_count"] = 2 },
            errorClass: "NodeGroupInvalidInput", message: "Max node count must be greater than or equal to min node count"),
        Bad(name: "a count that is not a number", base: "nodegroup_update_count.json",
            change: { $0[path: "input", "operation_args", "changes"] = ["node_count": "many"] },
            errorClass: "ValueError", message: "invalid literal for int() with base 10: 'many'"),
        Bad(name: "unknown flavor", base: "create_defaults.json",
            change: { $0[path: "input", "cluster", "master_flavor_id"] = "m9.huge" },
            errorClass: "MagnumException", message: "Flavor m9.huge does not have enough RAM to run Kubernetes. Minimum 2048 MB required."),
        Bad(name: "flavor with too few CPUs", base: "nodegroup_update_count.json",
            change: { $0[path: "input", "operation_args", "changes"] = ["flavor_id": "f-small"] },
            errorClass: "MagnumException", message: "Flavor f-small does not have enough CPU to run Kubernetes. Minimum 2 vcpus required."),
        Bad(name: "default volume type Cinder does not have", base: "create_defaults.json",
            change: { $0[path: "config", "capi_helm"] = ["csi_cinder_default_volume_type": "gold"] },
            errorClass: "MagnumException", message: "gold is not a valid Cinder volume type."),
    ]

    static func document(_ bad: Bad) throws -> JSONValue {
        var c = try Cases.base(bad.base)
        bad.change(&c)
        return c
    }

    @Test("refused with Python's class and message", arguments: cases)
    func refused(_ bad: Bad) async throws {
        let out = try await Cases.run(try Self.document(bad))
        #expect(out["error"] == ["class": .string(bad.errorClass), "message": .string(bad.message)])
    }

    @Test("whole outcome identical to the real driver's", .enabled(if: TestEnvironment.pythonEnabled))
    func sameAsPython() async throws {
        let documents = try Self.cases.map(Self.document)
        let python = try await Cases.python(documents)
        for (bad, (document, expected)) in zip(Self.cases, zip(documents, python)) {
            let actual = try await Cases.run(document)
            #expect(actual == expected, "\(bad.name):\n\(JSONDiff.report(expected: expected, actual: actual))")
        }
    }

    @Test("label values of other JSON types become strings, as Magnum's objects make them")
    func coercedTypes() async throws {
        var c = try Cases.base("create_defaults.json")
        c[path: "input", "cluster", "labels"] = ["boot_volume_size": 50, "monitoring_enabled": true, "etcd_blockdevice_size": 2.0]
        let out = try await Cases.run(c)
        let values = try #require(out["helm"]?[0]?["values"])
        #expect(values[path: "controlPlane", "machineRootVolume", "diskSize"] == 50)
        #expect(values[path: "addons", "monitoring", "enabled"] == true)
        // "2.0" is not an integer for Python's int(): the default (no etcd device) stays.
        #expect(values["etcd"] == [:])
    }
}
