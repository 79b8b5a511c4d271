public import JSON

/// Everything the capi-helm driver reads from `magnum.conf`: magnum-capi-helm 1.4.0's
/// `[capi_helm]` and `[capi_helm_cluster_labels]`, Magnum's `[cinder]` and `[drivers]`, and our
/// own `[capi_worker]` switches for what the Python driver lacks. Defaults are conf.py's.
public struct DriverConfiguration: Sendable, Equatable {
    public var capiHelm: CapiHelmOptions
    public var labelDefaults: ClusterLabelDefaults
    public var cinder: CinderOptions
    public var drivers: DriversOptions
    public var worker: WorkerOptions

    public init(
        capiHelm: CapiHelmOptions = CapiHelmOptions(),
        labelDefaults: ClusterLabelDefaults = ClusterLabelDefaults(),
        cinder: CinderOptions = CinderOptions(),
        drivers: DriversOptions = DriversOptions(),
        worker: WorkerOptions = WorkerOptions()
    ) {
        self.capiHelm = capiHelm
        self.labelDefaults = labelDefaults
        self.cinder = cinder
        self.drivers = drivers
        self.worker = worker
    }

    /// The options of magnum-capi-helm 1.4.0, with every improvement switched off.
    public static var compatibility140: DriverConfiguration {
        var c = DriverConfiguration()
        c.worker.compatibility = .capiHelm140
        return c
    }

    /// Reads the sections the driver knows from `[section: [option: value]]` (an INI file's
    /// strings, or a case file's typed values). Other sections and unknown options are ignored,
    /// as oslo.config ignores them; a value of the wrong type or outside an option's choices is
    /// refused. Deprecated locations (`[capi_helm] csi_cinder_*`, `etcd_volume_*`,
    /// `[capi_helm_cluster_labels] extra_network_name`) are honoured like oslo's
    /// `deprecated_opts` when the new name is not set.
    public init(sections: [String: [String: JSONValue]], base: DriverConfiguration = DriverConfiguration()) throws(ConfigurationError) {
        self = base
        let capi = OptionReader(section: "capi_helm", values: sections["capi_helm"] ?? [:])
        try capiHelm.read(capi)
        // Label defaults: the new section first, then the deprecated [capi_helm] names.
        var labelValues = sections["capi_helm_cluster_labels"] ?? [:]
        for name in ClusterLabelDefaults.deprecatedInCapiHelm where labelValues[name] == nil {
            if let v = capi.values[name] { labelValues[name] = v }
        }
        if labelValues["extra_network_names"] == nil, let v = labelValues["extra_network_name"] {
            labelValues["extra_network_names"] = v
        }
        try labelDefaults.read(OptionReader(section: "capi_helm_cluster_labels", values: labelValues))
        try cinder.read(OptionReader(section: "cinder", values: sections["cinder"] ?? [:]))
        try drivers.read(OptionReader(section: "drivers", values: sections["drivers"] ?? [:]))
        try worker.read(OptionReader(section: WorkerOptions.section, values: sections[WorkerOptions.section] ?? [:]))
    }

    /// The chart version used when the template has no `capi_helm_chart_version` label.
    public var defaultChartVersion: String {
        capiHelm.defaultHelmChartVersion ?? worker.compatibility.defaultChartVersion
    }
}

/// `[capi_helm]`.
public struct CapiHelmOptions: Sendable, Equatable {
    /// Management cluster kubeconfig for the Kubernetes and helm executors ("" = their default).
    public var kubeconfigFile = ""
    public var namespacePrefix = "magnum"
    public var helmChartRepo = "https://azimuth-cloud.github.io/capi-helm-charts"
    public var helmChartName = "openstack-cluster"
    /// `nil` when the operator did not set it: 0.10.1 in 1.4.0 compatibility, the current chart
    /// otherwise (see `CompatibilityMode.defaultChartVersion`).
    public var defaultHelmChartVersion: String?
    public var minimumFlavorRAM = 2048
    public var minimumFlavorVCPUs = 2
    public var csiCinderDefaultVolumeType: String?
    public var csiCinderAllowedTopologies: [String] = []
    public var appCredInterfaceType = "public"
    /// `api_resources`: JSON text overriding Cluster API resource versions, for the Kubernetes
    /// executor.
    public var apiResources = "{}"
    public var k8sControlPlaneResourceConditions = ["MachinesReady", "Ready", "EtcdClusterHealthy", "ControlPlaneComponentsHealthy"]

    public init() {}

    mutating func read(_ r: OptionReader) throws(ConfigurationError) {
        if case .some(let v) = try r.string("kubeconfig_file") { kubeconfigFile = v ?? "" }
        if case .some(let v) = try r.string("namespace_prefix") { namespacePrefix = v ?? "" }
        if case .some(let v) = try r.string("helm_chart_repo") { helmChartRepo = v ?? "" }
        if case .some(let v) = try r.string("helm_chart_name") { helmChartName = v ?? "" }
        if case .some(let v) = try r.string("default_helm_chart_version") { defaultHelmChartVersion = v }
        if case .some(let v) = try r.int("minimum_flavor_ram") { minimumFlavorRAM = v ?? 0 }
        if case .some(let v) = try r.int("minimum_flavor_vcpus") { minimumFlavorVCPUs = v ?? 0 }
        if case .some(let v) = try r.string("csi_cinder_default_volume_type") { csiCinderDefaultVolumeType = v }
        if case .some(let v) = try r.list("csi_cinder_allowed_topologies") { csiCinderAllowedTopologies = v ?? [] }
        if case .some(let v) = try r.string("app_cred_interface_type") { appCredInterfaceType = v ?? "" }
        if case .some(let v) = try r.string("api_resources") {
            let text = v ?? "{}"
            guard (try? JSONValue(parsing: text))?.objectValue != nil else {
                throw r.error("api_resources", "not a JSON object")
            }
            apiResources = text
        }
        if case .some(let v) = try r.list("k8s_control_plane_resource_conditions") { k8sControlPlaneResourceConditions = v ?? [] }
    }
}

/// `[capi_helm_cluster_labels]`: the site's defaults for cluster labels (magnum-capi-helm 1.4.0).
public struct ClusterLabelDefaults: Sendable, Equatable {
    public var etcdBlockdeviceSize = 0
    public var etcdBlockdeviceType = "volume"
    public var etcdBlockdeviceVolumeType = ""
    public var etcdBlockdeviceVolumeAZ = ""
    public var etcdVolumeSize = 0
    public var etcdVolumeType = ""
    public var monitoringEnabled = false
    public var kubeDashboardEnabled = true
    public var autoHealingEnabled = true
    public var autoScalingEnabled = false
    public var minNodeCount: Int?
    public var maxNodeCount: Int?
    public var keystoneAuthEnabled = false
    public var csiCinderAvailabilityZone = "nova"
    public var csiCinderReclaimPolicy = "Retain"
    public var csiCinderVolumeBindingMode = "WaitForFirstConsumer"
    public var csiCinderFSType = "ext4"
    public var csiCinderAllowVolumeExpansion = true
    public var octaviaProvider = "amphora"
    public var octaviaLBAlgorithm = ""
    public var octaviaLBHealthcheck = true
    public var masterLBFloatingIPEnabled = true
    public var fixedSubnetCIDR = "10.0.0.0/24"
    public var apiMasterLBAllowedCIDRs = ""
    public var extraNetworkNames = ""
    public var bootVolumeType: String?
    public var bootVolumeSize: Int?
    public var capiHelmChartVersion = ""

    public init() {}

    /// Options that moved here from `[capi_helm]`, where oslo still accepts them.
    static let deprecatedInCapiHelm = [
        "etcd_volume_size", "etcd_volume_type", "csi_cinder_availability_zone", "csi_cinder_reclaim_policy",
        "csi_cinder_volume_binding_mode", "csi_cinder_fstype", "csi_cinder_allow_volume_expansion",
    ]

    mutating func read(_ r: OptionReader) throws(ConfigurationError) {
        if case .some(let v) = try r.int("etcd_blockdevice_size") { etcdBlockdeviceSize = v ?? 0 }
        if case .some(let v) = try r.string("etcd_blockdevice_type", choices: ["volume", "local"]) { etcdBlockdeviceType = v ?? "" }
        if case .some(let v) = try r.string("etcd_blockdevice_volume_type") { etcdBlockdeviceVolumeType = v ?? "" }
        if case .some(let v) = try r.string("etcd_blockdevice_volume_az") { etcdBlockdeviceVolumeAZ = v ?? "" }
        if case .some(let v) = try r.int("etcd_volume_size") { etcdVolumeSize = v ?? 0 }
        if case .some(let v) = try r.string("etcd_volume_type") { etcdVolumeType = v ?? "" }
        if case .some(let v) = try r.bool("monitoring_enabled") { monitoringEnabled = v ?? false }
        if case .some(let v) = try r.bool("kube_dashboard_enabled") { kubeDashboardEnabled = v ?? false }
        if case .some(let v) = try r.bool("auto_healing_enabled") { autoHealingEnabled = v ?? false }
        if case .some(let v) = try r.bool("auto_scaling_enabled") { autoScalingEnabled = v ?? false }
        if case .some(let v) = try r.int("min_node_count") { minNodeCount = v }
        if case .some(let v) = try r.int("max_node_count") { maxNodeCount = v }
        if case .some(let v) = try r.bool("keystone_auth_enabled") { keystoneAuthEnabled = v ?? false }
        if case .some(let v) = try r.string("csi_cinder_availability_zone") { csiCinderAvailabilityZone = v ?? "" }
        if case .some(let v) = try r.string("csi_cinder_reclaim_policy", choices: ["Retain", "Delete"]) { csiCinderReclaimPolicy = v ?? "" }
        if case .some(let v) = try r.string("csi_cinder_volume_binding_mode", choices: ["WaitForFirstConsumer", "Immediate"]) {
            csiCinderVolumeBindingMode = v ?? ""
        }
        if case .some(let v) = try r.string("csi_cinder_fstype") { csiCinderFSType = v ?? "" }
        if case .some(let v) = try r.bool("csi_cinder_allow_volume_expansion") { csiCinderAllowVolumeExpansion = v ?? false }
        if case .some(let v) = try r.string("octavia_provider") { octaviaProvider = v ?? "" }
        if case .some(let v) = try r.string("octavia_lb_algorithm") { octaviaLBAlgorithm = v ?? "" }
        if case .some(let v) = try r.bool("octavia_lb_healthcheck") { octaviaLBHealthcheck = v ?? false }
        if case .some(let v) = try r.bool("master_lb_floating_ip_enabled") { masterLBFloatingIPEnabled = v ?? false }
        if case .some(let v) = try r.string("fixed_subnet_cidr") { fixedSubnetCIDR = v ?? "" }
        if case .some(let v) = try r.string("api_master_lb_allowed_cidrs") { apiMasterLBAllowedCIDRs = v ?? "" }
        if case .some(let v) = try r.string("extra_network_names") { extraNetworkNames = v ?? "" }
        if case .some(let v) = try r.string("boot_volume_type") { bootVolumeType = v }
        if case .some(let v) = try r.int("boot_volume_size") { bootVolumeSize = v }
        if case .some(let v) = try r.string("capi_helm_chart_version") { capiHelmChartVersion = v ?? "" }
    }
}

/// The `[cinder]` options the driver reads.
public struct CinderOptions: Sendable, Equatable {
    public var defaultBootVolumeType = ""
    public var defaultBootVolumeSize = 0

    public init() {}

    mutating func read(_ r: OptionReader) throws(ConfigurationError) {
        if case .some(let v) = try r.string("default_boot_volume_type") { defaultBootVolumeType = v ?? "" }
        if case .some(let v) = try r.int("default_boot_volume_size") { defaultBootVolumeSize = v ?? 0 }
    }
}

/// The `[drivers]` options the driver (and its OpenStack port) reads.
public struct DriversOptions: Sendable, Equatable {
    /// Whether cluster nodes verify the OpenStack APIs' certificates (`verify` in clouds.yaml).
    public var verifyCA = true
    /// CA bundle for the OpenStack APIs; the OpenStack port reads it (certifi's bundle when "").
    public var openstackCAFile = ""

    public init() {}

    mutating func read(_ r: OptionReader) throws(ConfigurationError) {
        if case .some(let v) = try r.bool("verify_ca") { verifyCA = v ?? false }
        if case .some(let v) = try r.string("openstack_ca_file") { openstackCAFile = v ?? "" }
    }
}
