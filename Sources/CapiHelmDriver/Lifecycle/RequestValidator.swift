import JSON
import MagnumObjects

/// `[capi_worker] validate_requests`: refuses, before anything is created or changed, what the
/// chart, Cluster API or Kubernetes would only refuse later — at `helm upgrade` time or, worse,
/// by never becoming ready — with a Magnum error the user sees at once.
struct RequestValidator {
    let driver: CapiHelmDriver

    enum Operation: Equatable {
        case create
        case update
        case resize(nodeGroup: String?, nodeCount: Int)
        case upgrade
        case createNodeGroup
        case updateNodeGroup
    }

    /// The MachineDeployment name `<release>-<node group>` is a label value on its Machines
    /// (`cluster.x-k8s.io/deployment-name`), which Cluster API's webhook limits to 63 characters.
    static let maxMachineDeploymentName = 63

    func validate(_ operation: Operation, cluster: Cluster, template: ClusterTemplate, nodeGroups: [NodeGroup],
                  context: RequestContext) async throws {
        let config = driver.configuration
        let labels = ClusterLabels(cluster: cluster, template: template)

        // Names on the management cluster.
        let namespace = driver.namespace(of: cluster)
        if let why = KubernetesNames.dnsLabelProblem(namespace) {
            throw invalid("The namespace '\(namespace)' made from [capi_helm] namespace_prefix and the project id is not a valid Kubernetes namespace name: it \(why).")
        }
        let release: String
        if let existing = cluster.stackId, !existing.isEmpty {
            release = existing
        } else {
            guard let base = CapiNaming.sanitizedName(cluster.name), !base.isEmpty else {
                throw invalid("Cluster name '\(cluster.name ?? "")' has no letters or digits; Kubernetes resource names are derived from it.")
            }
            // The longest name the random suffix can give.
            release = CapiNaming.releaseName(clusterName: base, randomSuffix: "xxxxxxxxxxxx")
        }

        var seen: [String: String] = [:]
        for ng in nodeGroups where ng.role != NodeGroupRole.master {
            let name = ng.name ?? ""
            guard let sanitized = CapiNaming.sanitizedName(name), !sanitized.isEmpty else {
                throw nodeGroupInvalid("name", name, "it has no letters or digits, and Kubernetes resource names are derived from it")
            }
            if let other = seen[sanitized] {
                throw nodeGroupInvalid("name", name, "node groups '\(other)' and '\(name)' would both become the Cluster API MachineDeployment '\(release)-\(sanitized)'")
            }
            seen[sanitized] = name
            let deployment = "\(release)-\(sanitized)"
            if deployment.unicodeScalars.count > Self.maxMachineDeploymentName {
                let room = Self.maxMachineDeploymentName - release.unicodeScalars.count - 1
                throw nodeGroupInvalid("name", name, "the MachineDeployment name '\(deployment)' would be longer than 63 characters; use at most \(room) letters, digits and dashes")
            }
        }

        // Counts.
        let autoscale = labels.bool("auto_scaling_enabled", default: config.labelDefaults.autoScalingEnabled)
        let defaultWorker = NodeGroupCounts.defaultWorker(in: nodeGroups)
        for ng in nodeGroups {
            let name = ng.name ?? ""
            let count = ng.nodeCount ?? 1
            if ng.role == NodeGroupRole.master {
                if count < 1 || count % 2 == 0 {
                    throw MagnumError("MasterNGSizeInvalid", ["requested_size": JSONValue(count)])
                }
                continue
            }
            if count < 0 { throw nodeGroupInvalid("node_count", name, "it must not be negative") }
            if case .resize(let target, _) = operation, target == nil || target == ng.name {
                let minCount = ng.minNodeCount ?? 0
                if count < minCount || (ng.maxNodeCount.map { count > $0 } ?? false) {
                    throw MagnumError("NGResizeOutBounds", ["nodegroup": .string(name), "min_nc": JSONValue(minCount),
                                                           "max_nc": ng.maxNodeCount.map { JSONValue($0) } ?? .null])
                }
            } else {
                if let minCount = ng.minNodeCount, count < minCount {
                    throw nodeGroupInvalid("node_count", name, "\(count) is below min_node_count \(minCount)")
                }
                if let maxCount = ng.maxNodeCount, count > maxCount {
                    throw nodeGroupInvalid("node_count", name, "\(count) is above max_node_count \(maxCount)")
                }
            }
            if autoscale {
                _ = try NodeGroupCounts.validatedBounds(of: ng, defaultWorker: defaultWorker, labels: labels, config: config.labelDefaults)
            }
        }

        // Node labels and taints the kubelet or the API server would refuse.
        if driver.features.nodeLabelsAndTaints {
            for ng in nodeGroups {
                if let why = NodeLabelsAndTaints.problem(in: ng) { throw invalid("The \(why).") }
            }
        }

        // What the chart needs to render a working cluster.
        if config.capiHelm.helmChartName == "openstack-cluster", let driverName = template.networkDriver, !driverName.isEmpty {
            let cni = PythonText.sanitizeNetworkDriver(driverName)
            if cni != "calico" && cni != "cilium" {
                throw invalid("Network driver '\(driverName)' is not supported by the openstack-cluster chart; use calico or cilium.")
            }
        }
        if operation == .create || operation == .upgrade {
            let image = try await driver.ports.openStack.image(template.imageId ?? "", context: context)
            let version = try HelmValuesBuilder.kubeVersion(of: image)
            _ = try HelmValuesBuilder.osDistro(of: image)
            let parts = version.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count != 3 || parts.contains(where: { $0.isEmpty }) {
                throw MagnumError("MagnumException", message: "Image \(image.id) has a kube_version property that is not a Kubernetes version like v1.31.4.")
            }
        }
    }

    func invalid(_ message: String) -> MagnumError {
        MagnumError("InvalidParameterValue", ["err": .string(message)])
    }

    func nodeGroupInvalid(_ attr: String, _ nodeGroup: String, _ explanation: String) -> MagnumError {
        MagnumError("NodeGroupInvalidInput", ["attr": .string(attr), "nodegroup": .string(nodeGroup), "expl": .string(explanation)])
    }
}
