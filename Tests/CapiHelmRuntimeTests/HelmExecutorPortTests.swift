import CapiHelmRuntime
import Helm
import JSON
import Logging
import Testing
import TestSupport

/// The helm port over the real `HelmCommandExecutor`, with a recording fake helm.
@Suite struct HelmExecutorPortTests {
    func port(_ helm: FakeHelmScript, kubeconfig: String? = "/etc/magnum/kubeconfig") -> (HelmExecutorPort, HelmCommandExecutor) {
        let executor = HelmCommandExecutor(
            configuration: HelmConfiguration(executable: helm.path, kubeconfig: kubeconfig.map { .file(path: $0) }, inheritedEnvironment: [:]),
            logger: Logger(label: "test"))
        return (HelmExecutorPort(executor: executor, logger: Logger(label: "test")), executor)
    }

    @Test func upgradeRunsThePythonClientsCommandWithValuesOnStandardInput() async throws {
        let helm = try FakeHelmScript()
        defer { helm.remove() }
        let (port, executor) = port(helm)
        defer { executor.shutdown() }
        let values: JSONValue = ["kubernetesVersion": "1.31.4", "machineImageId": "img-4f1d9c", "nodeGroups": [["name": "default-worker", "machineCount": 2]]]
        try await port.installOrUpgrade(release: "prod-east-x9k2m4p7q1w3", chart: "openstack-cluster", values: values,
                                        repo: "https://azimuth-cloud.github.io/capi-helm-charts", version: "0.10.1", namespace: "magnum-abc")
        let run = try #require(try helm.runs().first)
        #expect(run.argv == ["upgrade", "prod-east-x9k2m4p7q1w3", "openstack-cluster", "--history-max", "10", "--install", "--output", "json",
                             "--timeout", "5m", "--values", "-", "--namespace", "magnum-abc",
                             "--repo", "https://azimuth-cloud.github.io/capi-helm-charts", "--version", "0.10.1",
                             "--kubeconfig", "/etc/magnum/kubeconfig"])
        #expect(try JSONValue(parsing: run.standardInput) == values)
        #expect(!run.argv.joined(separator: " ").contains("img-4f1d9c"))
    }

    @Test func emptyRepositoryAndVersionLeaveTheFlagsOut() async throws {
        let helm = try FakeHelmScript()
        defer { helm.remove() }
        let (port, executor) = port(helm, kubeconfig: nil)
        defer { executor.shutdown() }
        try await port.installOrUpgrade(release: "r", chart: "oci://registry.example/charts/openstack-cluster", values: [:], repo: "",
                                        version: "", namespace: "ns")
        #expect(try helm.runs().first?.argv == ["upgrade", "r", "oci://registry.example/charts/openstack-cluster", "--history-max", "10",
                                                "--install", "--output", "json", "--timeout", "5m", "--values", "-", "--namespace", "ns"])
    }

    @Test func uninstallOfAMissingReleaseIsSuccess() async throws {
        let helm = try FakeHelmScript(.releaseNotFound)
        defer { helm.remove() }
        let (port, executor) = port(helm)
        defer { executor.shutdown() }
        try await port.uninstallRelease(release: "gone-abcdefghijkl", namespace: "magnum-abc")
        #expect(try helm.runs().first?.argv == ["uninstall", "gone-abcdefghijkl", "--timeout", "5m", "--namespace", "magnum-abc",
                                                "--kubeconfig", "/etc/magnum/kubeconfig"])
    }

    @Test func failuresAreOneMaskedLineForStatusReason() async throws {
        let secret = "AbCdEfGhIjKlMnOpQrStUvWx0123456789"
        let helm = try FakeHelmScript(.upgradeFails(
            "Error: Kubernetes cluster unreachable: Get \"https://10.0.0.1:6443/version\": Authorization: Bearer \(secret) rejected"))
        defer { helm.remove() }
        let (port, executor) = port(helm)
        defer { executor.shutdown() }
        let error = await #expect(throws: HelmReleaseFailure.self) {
            try await port.installOrUpgrade(release: "prod-east-x9k2m4p7q1w3", chart: "openstack-cluster", values: ["a": "b"],
                                            repo: "https://charts.example", version: "", namespace: "ns")
        }
        let text = "\(error.map { $0 as any Error }.map { "\($0)" } ?? "")"
        #expect(text.hasPrefix("helm upgrade --install prod-east-x9k2m4p7q1w3 failed: Kubernetes cluster unreachable"))
        #expect(!text.contains(secret))
        #expect(!text.contains("\n"))
        #expect(error?.kind == .kubernetesUnreachable)
    }
}
