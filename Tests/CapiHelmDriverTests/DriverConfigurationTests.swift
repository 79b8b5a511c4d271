import CapiHelmDriver
import JSON
import Testing

@Suite("Driver configuration")
struct DriverConfigurationTests {
    @Test("defaults are conf.py's")
    func defaults() {
        let c = DriverConfiguration()
        #expect(c.capiHelm.namespacePrefix == "magnum")
        #expect(c.capiHelm.helmChartRepo == "https://azimuth-cloud.github.io/capi-helm-charts")
        #expect(c.capiHelm.helmChartName == "openstack-cluster")
        #expect(c.capiHelm.minimumFlavorRAM == 2048)
        #expect(c.capiHelm.minimumFlavorVCPUs == 2)
        #expect(c.capiHelm.appCredInterfaceType == "public")
        #expect(c.capiHelm.k8sControlPlaneResourceConditions == ["MachinesReady", "Ready", "EtcdClusterHealthy", "ControlPlaneComponentsHealthy"])
        #expect(c.labelDefaults.kubeDashboardEnabled)
        #expect(c.labelDefaults.autoHealingEnabled)
        #expect(!c.labelDefaults.autoScalingEnabled)
        #expect(c.labelDefaults.fixedSubnetCIDR == "10.0.0.0/24")
        #expect(c.labelDefaults.octaviaProvider == "amphora")
        #expect(c.labelDefaults.minNodeCount == nil)
        #expect(c.cinder.defaultBootVolumeSize == 0)
        #expect(c.drivers.verifyCA)
    }

    @Test("default chart version: 0.10.1 in 1.4.0 compatibility, the current chart otherwise, the operator's when set")
    func chartVersion() throws {
        #expect(DriverConfiguration.compatibility140.defaultChartVersion == "0.10.1")
        #expect(DriverConfiguration().defaultChartVersion == CompatibilityMode.currentChartVersion)
        let set = try DriverConfiguration(sections: ["capi_helm": ["default_helm_chart_version": "0.16.0"]])
        #expect(set.defaultChartVersion == "0.16.0")
    }

    @Test("INI strings are read like oslo.config reads them")
    func iniStrings() throws {
        let c = try DriverConfiguration(sections: [
            "capi_helm": ["minimum_flavor_ram": "4096", "csi_cinder_allowed_topologies": "zone-a, zone-b"],
            "capi_helm_cluster_labels": ["monitoring_enabled": "True", "min_node_count": "2", "boot_volume_type": "ssd"],
            "drivers": ["verify_ca": "false"],
        ])
        #expect(c.capiHelm.minimumFlavorRAM == 4096)
        #expect(c.capiHelm.csiCinderAllowedTopologies == ["zone-a", "zone-b"])
        #expect(c.labelDefaults.monitoringEnabled)
        #expect(c.labelDefaults.minNodeCount == 2)
        #expect(c.labelDefaults.bootVolumeType == "ssd")
        #expect(!c.drivers.verifyCA)
    }

    @Test("deprecated option locations still count")
    func deprecatedNames() throws {
        let c = try DriverConfiguration(sections: [
            "capi_helm": ["csi_cinder_availability_zone": "az-old", "etcd_volume_size": 5],
            "capi_helm_cluster_labels": ["extra_network_name": "legacy-net"],
        ])
        #expect(c.labelDefaults.csiCinderAvailabilityZone == "az-old")
        #expect(c.labelDefaults.etcdVolumeSize == 5)
        #expect(c.labelDefaults.extraNetworkNames == "legacy-net")
        let newer = try DriverConfiguration(sections: [
            "capi_helm": ["csi_cinder_availability_zone": "az-old"],
            "capi_helm_cluster_labels": ["csi_cinder_availability_zone": "az-new"],
        ])
        #expect(newer.labelDefaults.csiCinderAvailabilityZone == "az-new")
    }

    @Test("values oslo.config refuses are refused with where they are")
    func refused() {
        #expect(throws: ConfigurationError.self) {
            try DriverConfiguration(sections: ["capi_helm_cluster_labels": ["csi_cinder_reclaim_policy": "Recycle"]])
        }
        #expect(throws: ConfigurationError.self) {
            try DriverConfiguration(sections: ["capi_helm": ["minimum_flavor_ram": "lots"]])
        }
        #expect(throws: ConfigurationError.self) {
            try DriverConfiguration(sections: ["capi_worker": ["compatibility": "2.0"]])
        }
        do {
            _ = try DriverConfiguration(sections: ["capi_helm_cluster_labels": ["monitoring_enabled": "sometimes"]])
            Issue.record("accepted")
        } catch {
            #expect(error.section == "capi_helm_cluster_labels")
            #expect(error.option == "monitoring_enabled")
        }
    }

    @Test("improvements: on in current mode, off in 1.4.0 compatibility, each switchable on its own")
    func features() throws {
        let current = DriverConfiguration().worker.features
        #expect(current.operationTimeouts && current.nodeLabelsAndTaints && current.reportMachineFailures && current.removeSpecificNodes
            && current.syncAutoscaledNodeCount && current.failClusterOnFailedNodeGroup && current.validateRequests && current.chartAwareValues)
        let compat = DriverConfiguration.compatibility140.worker.features
        #expect(!(compat.operationTimeouts || compat.nodeLabelsAndTaints || compat.reportMachineFailures || compat.removeSpecificNodes
            || compat.syncAutoscaledNodeCount || compat.failClusterOnFailedNodeGroup || compat.validateRequests || compat.chartAwareValues))
        let mixed = try DriverConfiguration(sections: ["capi_worker": [
            "compatibility": "1.4.0", "operation_timeouts": "true", "update_timeout": "90",
        ]]).worker
        #expect(mixed.features.operationTimeouts)
        #expect(!mixed.features.validateRequests)
        #expect(mixed.updateTimeoutMinutes == 90)
        let off = try DriverConfiguration(sections: ["capi_worker": ["validate_requests": false]]).worker.features
        #expect(!off.validateRequests && off.operationTimeouts)
    }
}
