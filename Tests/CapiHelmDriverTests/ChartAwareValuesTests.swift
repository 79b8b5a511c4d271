import CapiHelmDriver
import JSON
import Testing

/// `[capi_worker] chart_aware_values` and the current default chart: values written for the
/// openstack-cluster version actually deployed. 1.4.0 sends `kubernetesDashboard` (removed in
/// 0.20.0) and `apiServer.allowedCidrs` (read as `allowedCIDRs` from 0.24.0) to every chart.
@Suite("Values for the deployed chart version")
struct ChartAwareValuesTests {
    static func cidrs(options: JSONValue, chartLabel: String? = nil) async throws -> JSONValue {
        var c = try Cases.base("create_allowed_cidrs.json")
        c[path: "config", "capi_worker"] = options
        if let chartLabel { c[path: "input", "cluster_template", "labels"] = ["capi_helm_chart_version": .string(chartLabel)] }
        let out = try await Cases.run(c)
        return try #require(out["helm"]?[0])
    }

    @Test("current mode: chart 0.27.0, allowedCIDRs, no dashboard addon")
    func current() async throws {
        let call = try await Self.cidrs(options: ["compatibility": "current"])
        #expect(call["version"] == .string(CompatibilityMode.currentChartVersion))
        #expect(call[path: "values", "apiServer", "allowedCIDRs"] == ["192.0.2.0/24", "198.51.100.0/24"])
        #expect(call[path: "values", "apiServer", "allowedCidrs"] == nil)
        #expect(call[path: "values", "addons", "kubernetesDashboard"] == nil)
    }

    @Test("an older chart pinned by the template gets the keys it knows")
    func olderChart() async throws {
        let call = try await Self.cidrs(options: ["compatibility": "current"], chartLabel: "0.16.0")
        #expect(call["version"] == "0.16.0")
        #expect(call[path: "values", "apiServer", "allowedCidrs"] == ["192.0.2.0/24", "198.51.100.0/24"])
        #expect(call[path: "values", "addons", "kubernetesDashboard"] == ["enabled": true])
        let middle = try await Self.cidrs(options: ["chart_aware_values": true], chartLabel: "0.22.0")
        #expect(middle[path: "values", "apiServer", "allowedCidrs"] != nil)
        #expect(middle[path: "values", "addons", "kubernetesDashboard"] == nil)
    }

    @Test("1.4.0 compatibility sends 1.4.0's values whatever the chart")
    func compatibility() async throws {
        let call = try await Self.cidrs(options: [:], chartLabel: "0.27.0")
        #expect(call[path: "values", "apiServer", "allowedCidrs"] != nil)
        #expect(call[path: "values", "addons", "kubernetesDashboard"] == ["enabled": true])
        let fixture = try Cases.load("create_allowed_cidrs.json")
        #expect(fixture[path: "expected", "helm"]?[0]?["version"] == "0.10.1")
    }
}
