import CapiHelmDriver
import CapiHelmRuntime
import OsloConfig
import Testing

/// The options the runtime declares, and `DriverConfiguration` / `RuntimeSettings` read from a
/// magnum.conf through `OsloConfig`.
@Suite struct CapiHelmRuntimeOptionsTests {
    @Test func everyOptionHasHelpAndNoneIsDeclaredTwice() {
        let specs = CapiHelmRuntimeOptions.specs
        #expect(Set(specs.map(\.name)).count == specs.count)
        #expect(specs.allSatisfy { !$0.help.isEmpty })
        #expect(specs.contains { $0.name == OptionName("capi_helm", "helm_executable") && $0.defaultText == "helm" })
        #expect(specs.contains { $0.name == OptionName("capi_helm", "helm_max_concurrency") && $0.defaultText == "4" })
        #expect(specs.contains { $0.name == OptionName("capi_helm", "helm_state_dir") })
        #expect(specs.first { $0.name == OptionName("keystone_auth", "password") }?.secret == true)
    }

    @Test func magnumsDefaultsWhenNothingIsSet() throws {
        let configuration = try DriverConfiguration(configuration: RuntimeConfiguration.parse(""))
        #expect(configuration == DriverConfiguration())
        #expect(configuration.worker.compatibility == .current)
        #expect(configuration.defaultChartVersion == CompatibilityMode.currentChartVersion)
        let settings = try RuntimeSettings(configuration: RuntimeConfiguration.parse(""))
        #expect(settings == RuntimeSettings())
        #expect(settings.renderOutputDirectory == "/var/lib/magnum/capi-helm-rendered")
    }

    @Test func valuesDeprecatedNamesAndInterpolation() throws {
        let conf = try RuntimeConfiguration.parse("""
            [DEFAULT]
            state_path = /srv/magnum
            [capi_helm]
            namespace_prefix = capi
            minimum_flavor_ram = 4096
            csi_cinder_fstype = xfs
            etcd_volume_size = 20
            k8s_control_plane_resource_conditions = Ready,MachinesReady
            helm_max_concurrency = 8
            [capi_helm_cluster_labels]
            extra_network_name = storage
            auto_healing_enabled = no
            [capi_worker]
            compatibility = 1.4.0
            operation_timeouts = true
            create_timeout = 90
            helm_mode = render-only
            management_cluster = simulated
            simulation_delay = 2.5
            render_chart = /opt/charts/openstack-cluster
            [drivers]
            verify_ca = false
            """)
        let driver = try DriverConfiguration(configuration: conf)
        #expect(driver.capiHelm.namespacePrefix == "capi")
        #expect(driver.capiHelm.minimumFlavorRAM == 4096)
        #expect(driver.capiHelm.k8sControlPlaneResourceConditions == ["Ready", "MachinesReady"])
        #expect(driver.labelDefaults.csiCinderFSType == "xfs")
        #expect(driver.labelDefaults.etcdVolumeSize == 20)
        #expect(driver.labelDefaults.extraNetworkNames == "storage")
        #expect(driver.labelDefaults.autoHealingEnabled == false)
        #expect(driver.worker.compatibility == .capiHelm140)
        #expect(driver.worker.features.operationTimeouts == true)
        #expect(driver.worker.features.validateRequests == false)
        #expect(driver.worker.createTimeoutMinutes == 90)
        #expect(driver.defaultChartVersion == "0.10.1")
        #expect(driver.drivers.verifyCA == false)
        let settings = try RuntimeSettings(configuration: conf)
        #expect(settings.helmMode == .renderOnly)
        #expect(settings.managementCluster == .simulated)
        #expect(settings.simulationDelay == 2.5)
        #expect(settings.helmMaxConcurrency == 8)
        #expect(settings.renderChart == "/opt/charts/openstack-cluster")
        #expect(settings.renderOutputDirectory == "/srv/magnum/capi-helm-rendered")
        // The deprecated names are known (no unknown-option warning), and reported as deprecated.
        let warnings = conf.validate().warnings.map(\.message)
        #expect(!warnings.contains { $0.contains("unknown option") })
        #expect(warnings.contains { $0.contains("[capi_helm] csi_cinder_fstype is deprecated") })
    }

    @Test func aLocalChartNameIsRenderOnlysChart() throws {
        let settings = try RuntimeSettings(configuration: RuntimeConfiguration.parse("[capi_helm]\nhelm_chart_name = /opt/charts/openstack-cluster\n"))
        #expect(settings.renderChart == "/opt/charts/openstack-cluster")
    }

    @Test func badValuesNameTheOptionAndLine() throws {
        let error = #expect(throws: ConfigError.self) {
            try DriverConfiguration(configuration: RuntimeConfiguration.parse("[capi_helm_cluster_labels]\nmonitoring_enabled = perhaps\n"))
        }
        #expect(error?.option == OptionName("capi_helm_cluster_labels", "monitoring_enabled"))
        #expect(error?.description.contains("magnum.conf:2") == true)
        let mode = #expect(throws: ConfigError.self) {
            try RuntimeSettings(configuration: RuntimeConfiguration.parse("[capi_worker]\nmanagement_cluster = kind\n"))
        }
        #expect(mode?.option == OptionName("capi_worker", "management_cluster"))
    }
}
