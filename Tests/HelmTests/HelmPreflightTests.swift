import Foundation
import Helm
import Testing

/// Startup refuses a helm or chart setting that cannot work, naming the option to fix.
@Suite struct HelmPreflightTests {
    static let chart = HelmChartReference(name: "openstack-cluster", repository: HelmChartReference.defaultRepository)

    @Test func missingHelm() async throws {
        let executor = HelmCommandExecutor(
            configuration: HelmConfiguration(executable: "helm-that-does-not-exist", inheritedEnvironment: [:]),
            logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let error = await #expect(throws: HelmConfigurationError.self) { _ = try await HelmPreflight.check(executor, chart: Self.chart) }
        #expect(error?.kind == .executableMissing)
        #expect(error?.option == "[capi_helm] helm_executable")
        #expect(error?.message.contains("tools/helm") == true)
    }

    @Test func helmTooOld() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing("v3.7.2"))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let error = await #expect(throws: HelmConfigurationError.self) { _ = try await HelmPreflight.check(executor, chart: Self.chart) }
        #expect(error?.kind == .executableTooOld)
        #expect(error?.message.contains("helm v3.7.2") == true)
        #expect(error?.message.contains("3.8.0") == true)
    }

    @Test func helmThatIsNotHelm() async throws {
        let fake = try FakeHelm(body: FakeHelm.failing("Segmentation fault", exit: 139))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let error = await #expect(throws: HelmConfigurationError.self) { _ = try await HelmPreflight.check(executor, chart: Self.chart) }
        #expect(error?.kind == .executableUnusable)
    }

    @Test func recentHelmPasses() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing("v3.8.0"))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        #expect(try await HelmPreflight.check(executor, chart: Self.chart) == HelmVersion(major: 3, minor: 8, patch: 0))
    }

    @Test func chartRepositoryUnset() throws {
        for repository in [nil, ""] as [String?] {
            let error = #expect(throws: HelmConfigurationError.self) {
                try HelmPreflight.checkChart(HelmChartReference(name: "openstack-cluster", repository: repository))
            }
            #expect(error?.kind == .chartRepositoryUnset)
            #expect(error?.option == "[capi_helm] helm_chart_repo")
            #expect(error?.message.contains(HelmChartReference.defaultRepository) == true)
        }
        try HelmPreflight.checkChart(HelmChartReference(name: "oci://registry.example/charts/openstack-cluster", repository: ""))
        try HelmPreflight.checkChart(HelmChartReference(name: "/srv/charts/openstack-cluster"))
        #expect(throws: HelmConfigurationError.self) { try HelmPreflight.checkChart(HelmChartReference(name: "", repository: "https://r")) }
    }
}
