public import JSON
import MagnumObjects

/// One `helm upgrade --install` the driver wants: which chart, where, with what values.
public struct HelmReleaseSpec: Sendable, Equatable {
    public var release: String
    public var chart: String
    /// As configured; empty means no `--repo`.
    public var repo: String
    /// As derived; empty means no `--version`.
    public var version: String
    public var namespace: String
    public var values: JSONValue
}

/// Renders the `openstack-cluster` values exactly as magnum-capi-helm 1.4.0's
/// `_update_helm_release` does, calling the OpenStack port in the same order (so the same calls
/// are made before the same errors), plus the opt-in extras (node labels and taints, values for
/// the deployed chart version).
struct HelmValuesBuilder: Sendable {
    let configuration: DriverConfiguration
    let features: DriverFeatures
    let openStack: any OpenStackPort

    /// Everything the values depend on that is not looked up through a port.
    struct Input {
        var cluster: Cluster
        var template: ClusterTemplate
        /// The nodegroups written as `nodeGroups` (all of them, or all but one being deleted).
        var nodeGroups: [NodeGroup]
        /// Every nodegroup in the database (control plane size, default worker group).
        var allNodeGroups: [NodeGroup]
        var context: RequestContext
    }

    func release(_ input: Input) async throws -> HelmReleaseSpec {
        let cluster = input.cluster
        let template = input.template
        let labels = ClusterLabels(cluster: cluster, template: template)
        let lconf = configuration.labelDefaults
        let version = labels.chartVersion(default: configuration.defaultChartVersion)
        let chart = ChartVersion(version)

        let image = try await openStack.image(template.imageId ?? "", context: input.context)
        let kubeVersion = try Self.kubeVersion(of: image)
        let osDistro = try Self.osDistro(of: image)

        let networkId = try await fixedNetworkID(cluster, context: input.context)
        let subnetId = try await openStack.fixedSubnetID(cluster.fixedSubnet, context: input.context)

        let release = cluster.stackId
        let autoheal = labels.bool("auto_healing_enabled", default: lconf.autoHealingEnabled)
        let octaviaProvider = labels.string("octavia_provider", default: lconf.octaviaProvider)

        // 1.4.0 builds one document and merges the optional parts into it; the parts only ever add
        // keys, so they are added directly here, in the same order (same document, same key order).
        let etcd = etcd(labels)
        var apiServer: JSONObject = [
            "associateFloatingIP": .bool(labels.bool("master_lb_floating_ip_enabled", default: lconf.masterLBFloatingIPEnabled)),
            "enableLoadBalancer": true,
            "loadBalancerProvider": .string(octaviaProvider),
        ]
        let dns = try dnsNameservers(template)
        let externalNetwork = try await openStack.externalNetworkID(template.externalNetworkId, context: input.context)
        let clusterNetworking: JSONValue = [
            "dnsNameservers": dns,
            "externalNetworkId": JSONValue(externalNetwork),
            "internalNetwork": [
                "networkFilter": networkId.flatMap { $0.isEmpty ? nil : $0 }.map { ["id": .string($0)] } ?? .null,
                "subnetFilter": subnetId.flatMap { $0.isEmpty ? nil : $0 }.map { ["id": .string($0)] } ?? .null,
                "nodeCidr": .string(labels.string("fixed_subnet_cidr", default: lconf.fixedSubnetCIDR)),
            ],
        ]
        let masterCount = input.allNodeGroups.reduce(0) { $0 + ($1.role == NodeGroupRole.master ? ($1.nodeCount ?? 1) : 0) }
        var controlPlane: JSONObject = [
            "machineFlavor": JSONValue(cluster.masterFlavorId),
            "machineCount": JSONValue(masterCount),
            "healthCheck": ["enabled": .bool(autoheal)],
        ]
        if features.nodeLabelsAndTaints, let labels = Self.controlPlaneNodeLabels(input.allNodeGroups) {
            controlPlane["nodeLabels"] = .object(labels)
        }
        var nodeGroupDefaults: JSONObject = ["healthCheck": ["enabled": .bool(autoheal)]]
        let nodeGroups = try nodeGroups(input.nodeGroups, all: input.allNodeGroups, labels: labels)

        var openstackAddons: JSONObject = [
            "csiCinder": try await storageClasses(labels, context: input.context),
            "cloudConfig": [
                "LoadBalancer": [
                    "lb-provider": .string(octaviaProvider),
                    "lb-method": .string(octaviaAlgorithm(labels, provider: octaviaProvider)),
                    "create-monitor": .bool(labels.bool("octavia_lb_healthcheck", default: lconf.octaviaLBHealthcheck)),
                ],
            ],
        ]
        let monitoring = labels.bool("monitoring_enabled", default: lconf.monitoringEnabled)
        let dashboard = labels.bool("kube_dashboard_enabled", default: lconf.kubeDashboardEnabled)

        // Boot volumes, when a type or size is configured (the chart defaults to ephemeral disks).
        var rootVolume = JSONObject()
        let bootType = labels.string("boot_volume_type", default: (lconf.bootVolumeType.flatMap { $0.isEmpty ? nil : $0 }) ?? configuration.cinder.defaultBootVolumeType)
        if !bootType.isEmpty { rootVolume["volumeType"] = .string(bootType) }
        let bootSize = labels.int("boot_volume_size", default: lconf.bootVolumeSize ?? configuration.cinder.defaultBootVolumeSize)
        if bootSize != 0 { rootVolume["diskSize"] = JSONValue(bootSize) }
        if !rootVolume.isEmpty {
            controlPlane["machineRootVolume"] = .object(rootVolume)
            nodeGroupDefaults["machineRootVolume"] = .object(rootVolume)
        }

        // Extra networks for every node (the legacy singular label only when the plural is unset).
        let legacyNetwork = labels.string("extra_network_name", default: "")
        var networks = labels.string("extra_network_names", default: lconf.extraNetworkNames)
        if !legacyNetwork.isEmpty, networks.isEmpty { networks = legacyNetwork }
        if !networks.isEmpty {
            var ports: [JSONValue] = [[:]]
            for network in networks.split(separator: " ", omittingEmptySubsequences: false) {
                ports.append(["network": ["name": .string(String(network))], "securityGroups": []])
            }
            nodeGroupDefaults["machineNetworking"] = ["ports": .array(ports)]
        }

        let keystoneAuth = labels.bool("keystone_auth_enabled", default: lconf.keystoneAuthEnabled)
        if keystoneAuth {
            openstackAddons["k8sKeystoneAuth"] = [
                "enabled": true,
                "values": ["openstackAuthUrl": JSONValue(input.context.authURL), "projectId": JSONValue(input.context.projectId)],
            ]
        }

        let cidrs = labels.list("api_master_lb_allowed_cidrs", default: lconf.apiMasterLBAllowedCIDRs)
        if !cidrs.isEmpty {
            let key = features.chartAwareValues && chart.usesUpperCaseAllowedCIDRs ? "allowedCIDRs" : "allowedCidrs"
            apiServer[key] = .array(cidrs.map { .string($0) })
        }

        var addons: JSONObject = ["openstack": .object(openstackAddons), "monitoring": ["enabled": .bool(monitoring)]]
        if !features.chartAwareValues || chart.hasKubernetesDashboardAddon {
            addons["kubernetesDashboard"] = ["enabled": .bool(dashboard)]
        }
        addons["ingress"] = ["enabled": false]
        if let driver = template.networkDriver, !driver.isEmpty {
            let cni = PythonText.sanitizeNetworkDriver(driver)
            if !cni.isEmpty { addons["cni"] = ["type": .string(cni)] }
        }

        var values = JSONObject(minimumCapacity: 13)
        values["kubernetesVersion"] = .string(kubeVersion)
        values["machineImageId"] = .string(image.id)
        values["machineSSHKeyName"] = JSONValue(cluster.keypair.flatMap { $0.isEmpty ? nil : $0 })
        values["cloudCredentialsSecretName"] = JSONValue(CapiNaming.resourceName(release: release, "cloud-credentials"))
        values["etcd"] = etcd
        values["apiServer"] = .object(apiServer)
        values["clusterNetworking"] = clusterNetworking
        values["osDistro"] = .string(osDistro)
        values["controlPlane"] = .object(controlPlane)
        values["nodeGroupDefaults"] = .object(nodeGroupDefaults)
        values["nodeGroups"] = .array(nodeGroups)
        values["addons"] = .object(addons)
        if keystoneAuth { values["authWebhook"] = "k8s-keystone-auth" }
        let result = JSONValue.object(values)

        return HelmReleaseSpec(
            release: release ?? "",
            chart: configuration.capiHelm.helmChartName,
            repo: configuration.capiHelm.helmChartRepo,
            version: version,
            namespace: CapiNaming.namespace(projectId: cluster.projectId, prefix: configuration.capiHelm.namespacePrefix),
            values: result)
    }

    // MARK: - Pieces

    static func kubeVersion(of image: GlanceImage) throws(MagnumError) -> String {
        var raw: JSONValue? = image.attributes["kube_version"]
        if raw?.pythonTruthiness != true { raw = image.properties["kube_version"] }
        guard let raw, raw.pythonTruthiness else {
            throw MagnumError("MagnumException", message: "Image \(image.id) does not have a kube_version property.")
        }
        var text = Substring(PythonStr.of(raw))
        while text.first == "v" { text = text.dropFirst() }
        return PythonText.sanitizeKubeVersion(String(text))
    }

    static func osDistro(of image: GlanceImage) throws(MagnumError) -> String {
        guard let raw = image.attributes["os_distro"], raw.pythonTruthiness else {
            throw MagnumError("MagnumException", message: "Image \(image.id) does not have an os_distro property.")
        }
        return PythonText.sanitizeOSDistro(PythonStr.of(raw))
    }

    func fixedNetworkID(_ cluster: Cluster, context: RequestContext) async throws -> String? {
        guard let network = cluster.fixedNetwork, !network.isEmpty else { return nil }
        if PythonText.isUUIDLike(network) { return network }
        return try await openStack.networkID(name: network, external: false, context: context)
    }

    func dnsNameservers(_ template: ClusterTemplate) throws(MagnumError) -> JSONValue {
        guard let dns = template.dnsNameserver, !dns.isEmpty else { return .null }
        guard let servers = PythonText.splitByCommas(dns) else {
            throw MagnumError("InvalidDNS", ["dns": .string(dns)])
        }
        return .array(servers.map { .string($0) })
    }

    func etcd(_ labels: ClusterLabels) -> JSONValue {
        let lconf = configuration.labelDefaults
        // The legacy size label falls back to the new option's default (as 1.4.0 does).
        let size = labels.int("etcd_blockdevice_size",
                              default: labels.int("etcd_volume_size", default: lconf.etcdBlockdeviceSize))
        guard size > 0 else { return [:] }
        var device: JSONObject = ["size": JSONValue(size)]
        if labels.string("etcd_blockdevice_type", default: lconf.etcdBlockdeviceType) == "local" {
            device["type"] = "Local"
        } else {
            device["type"] = "Volume"
            let volumeType = labels.string("etcd_blockdevice_volume_type",
                                           default: labels.string("etcd_volume_type", default: lconf.etcdBlockdeviceVolumeType))
            if !volumeType.isEmpty { device["volumeType"] = .string(volumeType) }
            let az = labels.string("etcd_blockdevice_volume_az", default: lconf.etcdBlockdeviceVolumeAZ)
            if !az.isEmpty { device["availabilityZone"] = .string(az) }
        }
        return ["blockDevice": .object(device)]
    }

    func octaviaAlgorithm(_ labels: ClusterLabels, provider: String) -> String {
        let configured = configuration.labelDefaults.octaviaLBAlgorithm
        let dynamic = provider.lowercased() == "ovn" ? "SOURCE_IP_PORT" : "ROUND_ROBIN"
        return labels.string("octavia_lb_algorithm", default: configured.isEmpty ? dynamic : configured)
    }

    func nodeGroups(_ nodeGroups: [NodeGroup], all: [NodeGroup], labels: ClusterLabels) throws -> [JSONValue] {
        let autoscale = labels.bool("auto_scaling_enabled", default: configuration.labelDefaults.autoScalingEnabled)
        let defaultWorker = NodeGroupCounts.defaultWorker(in: all)
        var out: [JSONValue] = []
        for ng in nodeGroups where ng.role != NodeGroupRole.master {
            var item: JSONObject = [
                "name": JSONValue(CapiNaming.sanitizedName(ng.name)),
                "machineFlavor": JSONValue(ng.flavorId),
                "machineCount": JSONValue(ng.nodeCount ?? 1),
            ]
            if autoscale {
                let b = try NodeGroupCounts.validatedBounds(of: ng, defaultWorker: defaultWorker, labels: labels,
                                                            config: configuration.labelDefaults)
                if b.min != b.max {
                    item["autoscale"] = "true"
                    item["machineCountMin"] = JSONValue(b.min)
                    item["machineCountMax"] = JSONValue(b.max)
                }
            }
            if features.nodeLabelsAndTaints {
                NodeLabelsAndTaints.apply(to: &item, nodeGroup: ng)
            }
            out.append(.object(item))
        }
        return out
    }

    static func controlPlaneNodeLabels(_ all: [NodeGroup]) -> JSONObject? {
        var labels: JSONObject = [:]
        for ng in all where ng.role == NodeGroupRole.master {
            for (k, v) in ng.nodeLabels ?? [:] { labels[k] = .string(v) }
        }
        return labels.isEmpty ? nil : labels
    }

    func storageClasses(_ labels: ClusterLabels, context: RequestContext) async throws -> JSONValue {
        let lconf = configuration.labelDefaults
        let zone = labels.string("csi_cinder_availability_zone", default: lconf.csiCinderAvailabilityZone)
        let types = try await openStack.volumeTypes(context: context)
        var defaultType = configuration.capiHelm.csiCinderDefaultVolumeType ?? ""
        if defaultType.isEmpty {
            guard let first = types.first else {
                throw MagnumError("VolumeTypeNotFound")
            }
            defaultType = first
        } else if !types.contains(defaultType) {
            throw MagnumError("MagnumException", message: "\(defaultType) is not a valid Cinder volume type.")
        }
        let expansion = labels.bool("csi_cinder_allow_volume_expansion", default: lconf.csiCinderAllowVolumeExpansion)
        let reclaim = labels.string("csi_cinder_reclaim_policy", default: lconf.csiCinderReclaimPolicy)
        let binding = labels.string("csi_cinder_volume_binding_mode", default: lconf.csiCinderVolumeBindingMode)
        let topologies = JSONValue.array(configuration.capiHelm.csiCinderAllowedTopologies.map { .string($0) })
        let fstype = labels.string("csi_cinder_fstype", default: lconf.csiCinderFSType)
        // One object in Python's key order; each class changes only its name and type.
        let template: JSONObject = [
            "name": .null, "reclaimPolicy": .string(reclaim), "allowVolumeExpansion": .bool(expansion),
            "volumeBindingMode": .string(binding), "availabilityZone": .string(zone), "volumeType": .null,
            "allowedTopologies": topologies, "fstype": .string(fstype), "enabled": true,
        ]
        var defaultClass: JSONObject = [:]
        var additional: [JSONValue] = []
        additional.reserveCapacity(types.count)
        for type in types {
            var storageClass = template
            storageClass["name"] = JSONValue(CapiNaming.sanitizedName(type))
            storageClass["volumeType"] = .string(type)
            if type == defaultType {
                defaultClass = storageClass
            } else {
                additional.append(.object(storageClass))
            }
        }
        return ["defaultStorageClass": .object(defaultClass), "additionalStorageClasses": .array(additional)]
    }
}
