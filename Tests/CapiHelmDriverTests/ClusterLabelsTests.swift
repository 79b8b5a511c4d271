import CapiHelmDriver
import Testing

@Suite("Cluster labels as 1.4.0 reads them")
struct ClusterLabelsTests {
    @Test("cluster labels override template labels")
    func merge() {
        let l = ClusterLabels(template: ["boot_volume_size": "30", "monitoring_enabled": "true"], cluster: ["boot_volume_size": "80"])
        #expect(l.int("boot_volume_size", default: 0) == 80)
        #expect(l.bool("monitoring_enabled", default: false))
    }

    @Test("values are sanitised, defaults too when there are labels")
    func sanitising() {
        let l = ClusterLabels(template: [:], cluster: ["octavia_provider": "ov!n"])
        #expect(l.string("octavia_provider", default: "x") == "ovn")
        #expect(l.string("csi_cinder_availability_zone", default: "az!1") == "az1")
    }

    @Test("with no labels at all the default comes back untouched (1.4.0 quirk)")
    func emptyLabelsKeepDefault() {
        for l in [ClusterLabels(template: nil, cluster: nil), ClusterLabels(template: [:], cluster: [:])] {
            #expect(l.string("csi_cinder_availability_zone", default: "az!1") == "az!1")
        }
    }

    @Test("integers fall back to the default when not numbers; booleans when not recognised")
    func fallbacks() {
        let l = ClusterLabels(template: nil, cluster: ["boot_volume_size": "20GB", "etcd_blockdevice_size": " 1_0 ",
                                                       "auto_healing_enabled": "maybe", "monitoring_enabled": "on"])
        #expect(l.int("boot_volume_size", default: 5) == 5)
        #expect(l.int("etcd_blockdevice_size", default: 0) == 10)
        #expect(l.bool("auto_healing_enabled", default: true))
        #expect(l.bool("monitoring_enabled", default: false))
    }

    @Test("comma-separated lists keep empty-after-sanitising entries, drop blank ones")
    func lists() {
        let l = ClusterLabels(template: nil, cluster: ["api_master_lb_allowed_cidrs": " 10.0.0.0/8 , ,!!,2001:db8::/32 "])
        #expect(l.list("api_master_lb_allowed_cidrs", default: "") == ["10.0.0.0/8", "", "2001:db8::/32"])
        #expect(ClusterLabels(template: nil, cluster: nil).list("api_master_lb_allowed_cidrs", default: "1.2.3.4/32") == ["1.2.3.4/32"])
    }

    @Test("the chart version comes from the template only")
    func chartVersion() {
        let l = ClusterLabels(template: ["capi_helm_chart_version": "V0.16.0!"], cluster: ["capi_helm_chart_version": "0.27.0"])
        #expect(l.chartVersion(default: "0.10.1") == "0.16.0")
        #expect(ClusterLabels(template: nil, cluster: ["capi_helm_chart_version": "0.27.0"]).chartVersion(default: "0.10.1") == "0.10.1")
    }
}
