public import OsloConfig

/// Every `magnum.conf` option the capi-helm runtime reads, declared for `OsloConfig` (type
/// checks, `check-config`, unknown-option warnings): magnum-capi-helm's `[capi_helm]` and
/// `[capi_helm_cluster_labels]` with its defaults and help, Magnum's `[cinder]`, `[drivers]`,
/// `[keystone_auth]` and `[*_client]` options the driver's OpenStack calls depend on, the Helm
/// executor's additions to `[capi_helm]`, and this worker's `[capi_worker]` switches.
public enum CapiHelmRuntimeOptions {
    public static let workerGroup = "capi_worker"

    /// All of them, in the order `check-config` shows them.
    public static var specs: [OptionSpec] {
        capiHelm + helmExecutor + clusterLabels + cinder + drivers + workerDriver + workerRuntime + keystoneAuth + serviceClients
            + [stateDirectory, keystoneAuthtokenURI]
    }

    /// Groups present in a shared `magnum.conf` whose other options belong to other programs
    /// (keystonemiddleware reads `[keystone_authtoken]`); not warned about.
    public static let ignoredGroups = ["keystone_authtoken"]

    /// Registers `specs` and `ignoredGroups`.
    public static func register(into registry: inout OptionRegistry) {
        for spec in specs { registry.register(spec) }
        for group in ignoredGroups { registry.ignoreGroup(group) }
    }

    /// The groups whose values go to `DriverConfiguration` as they are.
    static let driverGroups: [[OptionSpec]] = [capiHelm, clusterLabels, cinder, drivers, workerDriver]

    // MARK: [capi_helm] (magnum-capi-helm 1.4.0, conf.py)

    public static let capiHelm: [OptionSpec] = [
        OptionSpec("capi_helm", "kubeconfig_file", .string, default: "",
                   help: "Path to a kubeconfig file for a management cluster, for use in the Cluster API driver. Defaults to the environment variable KUBECONFIG, or if not defined ~/.kube/config"),
        OptionSpec("capi_helm", "namespace_prefix", .string, default: "magnum",
                   help: "Resources for each openstack cluster are created in a separate namespace within the CAPI Management cluster specified by the configuration: [capi_helm]/kubeconfig_file You should modify this prefix when two magnum deployments want to share a single CAPI management cluster."),
        OptionSpec("capi_helm", "helm_chart_repo", .string, default: "https://azimuth-cloud.github.io/capi-helm-charts",
                   help: "Reference to the helm chart repository for the cluster API driver. Note that if helm_chart_name starts with oci:// you will want this to set this to the empty string."),
        OptionSpec("capi_helm", "helm_chart_name", .string, default: "openstack-cluster",
                   help: "Name of the helm chart to use from the repo specified by the config: capi_driver.helm_chart_repo"),
        // magnum-capi-helm defaults to 0.10.1; unset here, so [capi_worker] compatibility decides
        // (0.10.1 in 1.4.0, the current chart otherwise).
        OptionSpec("capi_helm", "default_helm_chart_version", .string,
                   help: "Version of the helm chart specified by the config: capi_driver.helm_chart_repo and capi_driver.helm_chart_name. A cluster label can override this. Unset: 0.10.1 with [capi_worker] compatibility = 1.4.0, 0.27.0 with compatibility = current."),
        OptionSpec("capi_helm", "minimum_flavor_ram", .integer, default: "2048",
                   help: "Minimum RAM for flavor used to create a Kubernetes node."),
        OptionSpec("capi_helm", "minimum_flavor_vcpus", .integer, default: "2",
                   help: "Minimum VCPUS for flavor used to create a Kubernetes node."),
        OptionSpec("capi_helm", "csi_cinder_default_volume_type", .string,
                   help: "Default StorageClass volume type for persistent volumes."),
        OptionSpec("capi_helm", "csi_cinder_allowed_topologies", .list, default: "",
                   help: "Select the Nodes where the application Pods may be scheduled based on Node labels."),
        OptionSpec("capi_helm", "app_cred_interface_type", .string, default: "public",
                   help: "The value to use in the interface field of generated application credentials."),
        OptionSpec("capi_helm", "api_resources", .string, default: "{}",
                   help: "Dictionary of cluster api resources to modify api_version and plural names in string format, e.g. '{\"K8sControlPlane\": {\"api_version\": \"controlplane.cluster.x-k8s.io/v1beta1\", \"plural_name\": \"kubeadmcontrolplanes\"}, \"OpenstackCluster\": {\"api_version\": \"infrastructure.cluster.x-k8s.io/v1beta1\"}}'"),
        OptionSpec("capi_helm", "k8s_control_plane_resource_conditions", .list,
                   default: "MachinesReady,Ready,EtcdClusterHealthy,ControlPlaneComponentsHealthy",
                   help: "List of conditions to check for kubernetes control plane resource to consider as ready."),
    ]

    /// This worker's helm settings (the Python driver always runs `helm` from `PATH`).
    public static let helmExecutor: [OptionSpec] = [
        OptionSpec("capi_helm", "helm_executable", .string, default: "helm",
                   help: "The helm binary: a name looked up in PATH, or an absolute path. helm 3.8 or newer (tools/helm installs one)."),
        OptionSpec("capi_helm", "helm_max_concurrency", .integer(min: 1, max: nil), default: "4",
                   help: "How many helm processes may run at once; further operations wait their turn."),
        OptionSpec("capi_helm", "helm_state_dir", .string,
                   help: "helm's home, cache and configuration directory (keeps the chart repository index between calls). Unset: a private temporary directory removed at shutdown."),
    ]

    // MARK: [capi_helm_cluster_labels] (magnum-capi-helm 1.4.0)

    static func label(_ name: String, _ type: OptionType, default value: String? = nil, deprecatedIn group: String? = nil,
                      help: String) -> OptionSpec {
        OptionSpec("capi_helm_cluster_labels", name, type, default: value,
                   deprecatedNames: group.map { [OptionName($0, name)] } ?? [], help: help)
    }

    public static let clusterLabels: [OptionSpec] = [
        label("etcd_blockdevice_size", .integer, default: "0", help: "Size of the etcd block device in GB. 0 means use the default ephemeral disk."),
        label("etcd_blockdevice_type", .string(choices: ["volume", "local"]), default: "volume",
              help: "Storage type for the etcd block device. 'volume' uses a Cinder volume; 'local' uses an ephemeral disk."),
        label("etcd_blockdevice_volume_type", .string, default: "", help: "Cinder volume type for the etcd block device."),
        label("etcd_blockdevice_volume_az", .string, default: "", help: "Availability zone for the etcd Cinder volume."),
        label("etcd_volume_size", .integer, default: "0", deprecatedIn: "capi_helm", help: "Deprecated: use etcd_blockdevice_size instead."),
        label("etcd_volume_type", .string, default: "", deprecatedIn: "capi_helm", help: "Deprecated: use etcd_blockdevice_volume_type instead."),
        label("monitoring_enabled", .boolean, default: "false", help: "Enable the monitoring addon on the cluster."),
        label("kube_dashboard_enabled", .boolean, default: "true", help: "Enable the Kubernetes Dashboard addon."),
        label("auto_healing_enabled", .boolean, default: "true", help: "Enable auto-healing for cluster nodes."),
        label("auto_scaling_enabled", .boolean, default: "false", help: "Enable the cluster autoscaler."),
        label("min_node_count", .integer, help: "Minimum node count for autoscaling. Defaults to the nodegroup node_count when unset."),
        label("max_node_count", .integer, help: "Maximum node count for autoscaling. Defaults to the nodegroup node_count when unset."),
        label("keystone_auth_enabled", .boolean, default: "false", help: "Enable the Keystone authentication webhook."),
        label("csi_cinder_availability_zone", .string, default: "nova", deprecatedIn: "capi_helm",
              help: "Default availability zone for Cinder volumes."),
        label("csi_cinder_reclaim_policy", .string(choices: ["Retain", "Delete"]), default: "Retain", deprecatedIn: "capi_helm",
              help: "Reclaim policy for dynamically provisioned persistent volumes. Can be 'Retain' or 'Delete'."),
        label("csi_cinder_volume_binding_mode", .string(choices: ["WaitForFirstConsumer", "Immediate"]), default: "WaitForFirstConsumer",
              deprecatedIn: "capi_helm",
              help: "Controls when volume binding and dynamic provisioning occur. Can be 'WaitForFirstConsumer' or 'Immediate'."),
        label("csi_cinder_fstype", .string, default: "ext4", deprecatedIn: "capi_helm", help: "Filesystem type for persistent volumes."),
        label("csi_cinder_allow_volume_expansion", .boolean, default: "true", deprecatedIn: "capi_helm",
              help: "Allow users to resize persistent volumes by editing the PVC."),
        label("octavia_provider", .string, default: "amphora", help: "Octavia load balancer provider (e.g. 'amphora' or 'ovn')."),
        label("octavia_lb_algorithm", .string, default: "",
              help: "Load balancer algorithm. When unset, defaults to SOURCE_IP_PORT for the ovn provider and ROUND_ROBIN for all others."),
        label("octavia_lb_healthcheck", .boolean, default: "true", help: "Enable health checks on the load balancer."),
        label("master_lb_floating_ip_enabled", .boolean, default: "true", help: "Associate a floating IP with the API load balancer."),
        label("fixed_subnet_cidr", .string, default: "10.0.0.0/24", help: "CIDR for the node network when no fixed_subnet is specified."),
        label("api_master_lb_allowed_cidrs", .string, default: "",
              help: "Comma-separated list of CIDRs allowed to reach the API load balancer. Empty means all CIDRs are allowed."),
        OptionSpec("capi_helm_cluster_labels", "extra_network_names", .string, default: "",
                   deprecatedNames: [OptionName("capi_helm_cluster_labels", "extra_network_name")],
                   help: "Space separated list of names of additional Neutron networks to attach to each node."),
        label("boot_volume_type", .string,
              help: "Root volume type. Falls back to the cinder config option default_boot_volume_type when unset."),
        label("boot_volume_size", .integer,
              help: "Root volume size in GB. Falls back to the cinder config option default_boot_volume_size when unset."),
        label("capi_helm_chart_version", .string, default: "",
              help: "Helm chart version to use. Can only be set via the cluster template label, not overridden per cluster. Falls back to capi_helm.default_helm_chart_version when unset."),
    ]

    // MARK: Magnum's own groups

    public static let cinder: [OptionSpec] = [
        OptionSpec("cinder", "default_boot_volume_type", .string, default: "",
                   help: "The default boot volume_type to use for volumes used for VM of COE. To use the cinder volumes for VM of COE, you need to select a default value. Otherwise, Magnum will select random one from Cinder volume type list."),
        OptionSpec("cinder", "default_boot_volume_size", .integer, default: "0",
                   help: "The default volume size to use for volumes used for VM of COE."),
    ]

    public static let drivers: [OptionSpec] = [
        OptionSpec("drivers", "verify_ca", .boolean, default: "true",
                   help: "Indicates whether the cluster nodes validate the Certificate Authority when making requests to the OpenStack APIs (Keystone, Magnum, Heat). If you have self-signed certificates for the OpenStack APIs or you have your own Certificate Authority and you have not installed the Certificate Authority to all nodes, you may need to disable CA validation by setting this flag to False."),
        OptionSpec("drivers", "openstack_ca_file", .string, default: "",
                   help: "Path to the OpenStack CA-bundle file to pass and install in all cluster nodes."),
    ]

    /// `[keystone_auth]`: the service user of Magnum's admin context (keystoneauth's password
    /// plugin and session options), used to delete application credentials of deleted clusters;
    /// its `auth_url` is also where callers' tokens are re-scoped.
    public static let keystoneAuth: [OptionSpec] = [
        OptionSpec("keystone_auth", "auth_type", .string, default: "password",
                   help: "Authentication type to load (this worker supports password)."),
        OptionSpec("keystone_auth", "auth_url", .string, help: "Authentication URL"),
        OptionSpec("keystone_auth", "username", .string, deprecatedNames: [OptionName("keystone_auth", "user-name"), OptionName("keystone_auth", "user_name")],
                   help: "Username"),
        OptionSpec("keystone_auth", "password", .string, secret: true, help: "User's password"),
        OptionSpec("keystone_auth", "user_domain_name", .string, help: "User's domain name"),
        OptionSpec("keystone_auth", "user_domain_id", .string, help: "User's domain id"),
        OptionSpec("keystone_auth", "project_name", .string, deprecatedNames: [OptionName("keystone_auth", "tenant_name")],
                   help: "Project name to scope to"),
        OptionSpec("keystone_auth", "project_id", .string, deprecatedNames: [OptionName("keystone_auth", "tenant_id")],
                   help: "Project ID to scope to"),
        OptionSpec("keystone_auth", "project_domain_name", .string, help: "Domain name containing project"),
        OptionSpec("keystone_auth", "project_domain_id", .string, help: "Domain ID containing project"),
        OptionSpec("keystone_auth", "cafile", .string, help: "PEM encoded Certificate Authority to use when verifying HTTPs connections."),
        OptionSpec("keystone_auth", "insecure", .boolean, default: "false", help: "Verify HTTPS connections."),
        OptionSpec("keystone_auth", "timeout", .integer(min: 1, max: nil), help: "Timeout value for http requests"),
    ]

    /// `[keystone_authtoken] www_authenticate_uri`: where Magnum looks for Keystone when
    /// `[keystone_auth] auth_url` is unset.
    public static let keystoneAuthtokenURI = OptionSpec(
        "keystone_authtoken", "www_authenticate_uri", .string,
        deprecatedNames: [OptionName("keystone_authtoken", "auth_uri")],
        help: "Complete \"public\" Identity API endpoint.")

    /// `[nova_client]`, `[glance_client]`, `[neutron_client]`, `[cinder_client]`: which catalog
    /// endpoint each service is reached at; `[cinder_client] region_name` is also the region in
    /// the clusters' clouds.yaml.
    public static let serviceClients: [OptionSpec] = ["nova", "glance", "neutron", "cinder"].flatMap { client in
        [
            OptionSpec("\(client)_client", "region_name", .string,
                       help: "Region in Identity service catalog to use for communication with the OpenStack service."),
            OptionSpec("\(client)_client", "endpoint_type", .string, default: "publicURL",
                       help: "Type of endpoint in Identity service catalog to use for communication with the OpenStack service."),
        ]
    }

    /// `[DEFAULT] state_path` (Magnum's), the base of `render_output_dir`.
    public static let stateDirectory = OptionSpec("DEFAULT", "state_path", .string, default: "/var/lib/magnum",
                                                  help: "Top-level directory for maintaining magnum's state.")

    // MARK: [capi_worker]

    /// Improvements over magnum-capi-helm 1.4.0 (see docs/driver.md); an unset switch follows
    /// `compatibility`.
    public static let workerDriver: [OptionSpec] = [
        OptionSpec(workerGroup, "compatibility", .string(choices: ["1.4.0", "current"]), default: "current",
                   help: "How closely the capi-helm driver follows magnum-capi-helm 1.4.0: '1.4.0' reproduces it exactly (chart 0.10.1 by default, no improvements); 'current' turns every improvement below on unless set to false, and defaults to the current openstack-cluster chart."),
        OptionSpec(workerGroup, "operation_timeouts", .boolean,
                   help: "Fail a cluster create, update or delete that runs longer than its timeout (*_FAILED with the reason). Unset: on in current compatibility."),
        OptionSpec(workerGroup, "create_timeout", .integer(min: 1, max: nil), default: "60",
                   help: "Minutes a create may take when the cluster has no create_timeout of its own."),
        OptionSpec(workerGroup, "update_timeout", .integer(min: 1, max: nil), default: "60",
                   help: "Minutes an update, resize, upgrade or node group change may take."),
        OptionSpec(workerGroup, "delete_timeout", .integer(min: 1, max: nil), default: "60", help: "Minutes a delete may take."),
        OptionSpec(workerGroup, "node_labels_and_taints", .boolean,
                   help: "Pass NodeGroup node_labels and node_taints to the chart. Unset: on in current compatibility."),
        OptionSpec(workerGroup, "report_machine_failures", .boolean,
                   help: "Show Cluster API failure reasons in status_reason while an operation runs. Unset: on in current compatibility."),
        OptionSpec(workerGroup, "remove_specific_nodes", .boolean,
                   help: "Honour nodes_to_remove on resize by marking those Machines for deletion first. Unset: on in current compatibility."),
        OptionSpec(workerGroup, "sync_autoscaled_node_count", .boolean,
                   help: "Write the autoscaler's replica counts back to node_count. Unset: on in current compatibility."),
        OptionSpec(workerGroup, "fail_cluster_on_failed_nodegroup", .boolean,
                   help: "A failed worker node group fails the cluster operation (1.4.0 still reports *_COMPLETE). Unset: on in current compatibility."),
        OptionSpec(workerGroup, "validate_requests", .boolean,
                   help: "Refuse, before anything is created, requests the chart or Kubernetes would refuse later. Unset: on in current compatibility."),
        OptionSpec(workerGroup, "chart_aware_values", .boolean,
                   help: "Write the values the deployed chart version understands instead of 1.4.0's fixed set. Unset: on in current compatibility."),
    ]

    /// How the driver reaches the world: for real, or offline (quickstart, demos, `--dry-run`).
    public static let workerRuntime: [OptionSpec] = [
        OptionSpec(workerGroup, "helm_mode", .string(choices: RuntimeSettings.HelmMode.allCases.map(\.rawValue)), default: "real",
                   help: "real: run helm upgrade --install / uninstall against the management cluster. render-only: run helm template with a local chart ([capi_worker] render_chart) into render_output_dir instead, and record the helm command line and values that would have run; nothing is installed (needs management_cluster = none or simulated). record: like render-only without rendering (no helm binary or chart needed): only helm-command.json with the command line and values."),
        OptionSpec(workerGroup, "render_output_dir", .string, default: "$state_path/capi-helm-rendered",
                   help: "render-only mode: where each release's manifests are written (<dir>/<namespace>/<release>/manifests) with release.json and helm-command.json (the helm command line and values that would have run)."),
        OptionSpec(workerGroup, "render_chart", .string,
                   help: "render-only mode: a local copy of the chart to render (a directory with Chart.yaml, or a .tgz), e.g. from `helm pull openstack-cluster --repo https://azimuth-cloud.github.io/capi-helm-charts --version 0.10.1 --untar`. Unset: [capi_helm] helm_chart_name when it is a local path."),
        OptionSpec(workerGroup, "management_cluster", .string(choices: RuntimeSettings.ManagementCluster.allCases.map(\.rawValue)),
                   default: "real",
                   help: "real: the Cluster API management cluster of [capi_helm] kubeconfig_file. none: no management cluster; the Namespace, Secret and Machine writes the driver would make are logged and kept in memory (Secret values never shown), reads find nothing. simulated: like none, and a simulated management cluster answers reads: the Cluster API objects of every release helm installed become Ready after simulation_delay and disappear that long after an uninstall (demos of the whole status lifecycle without Kubernetes; needs helm_mode = render-only)."),
        OptionSpec(workerGroup, "simulation_delay", .float(min: 0, max: nil), default: "30",
                   help: "management_cluster = simulated: seconds before an installed or upgraded release's Cluster API objects are Ready, and before an uninstalled release's objects are gone."),
        OptionSpec(workerGroup, "offline_cloud_file", .string,
                   help: "A JSON file describing an offline cloud (images with properties, flavors, networks, subnets, volume types, region, identity URL): the driver's OpenStack calls are answered from it instead of Keystone, Glance, Nova, Neutron and Cinder, and application credentials are made up locally (never printed). Unset: the real cloud."),
        OptionSpec(workerGroup, "offline_state_dir", .string,
                   help: "Offline modes (management_cluster = none or simulated, offline_cloud_file): a local directory where the simulated management cluster, the Secrets the driver stored and the offline cloud's application credentials are kept as shared event files, so several worker processes on this machine (and a worker restarted after a crash) see one offline world. The files hold Secret values and are created mode 0600. Unset: each process keeps its offline state in memory."),
    ]
}
