import CapiHelmDriver
import Testing

@Suite("openstack-cluster chart versions")
struct ChartVersionTests {
    @Test("ordering, pre-releases and non-release strings")
    func ordering() {
        #expect(ChartVersion("0.10.1") < ChartVersion("0.27.0"))
        #expect(ChartVersion("v0.20.0") == ChartVersion("0.20.0"))
        #expect(ChartVersion("0.24.0-rc.1+build") == ChartVersion("0.24.0"))
        #expect(ChartVersion("0.27.0") < ChartVersion(""))
        #expect(ChartVersion("main") == ChartVersion("LATEST"))
    }

    @Test("what each chart version's values look like")
    func features() {
        #expect(ChartVersion("0.10.1").hasKubernetesDashboardAddon)
        #expect(ChartVersion("0.19.2").hasKubernetesDashboardAddon)
        #expect(!ChartVersion("0.20.0").hasKubernetesDashboardAddon)
        #expect(!ChartVersion("0.23.0").usesUpperCaseAllowedCIDRs)
        #expect(ChartVersion("0.24.0").usesUpperCaseAllowedCIDRs)
        #expect(ChartVersion(CompatibilityMode.currentChartVersion).usesUpperCaseAllowedCIDRs)
    }
}
