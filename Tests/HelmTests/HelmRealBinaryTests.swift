import Foundation
import Helm
import JSON
import Testing
import TestSupport

/// The real helm (tools/helm) against a closed port, the fake API server and missing charts: the
/// messages it prints become the right ``HelmError/Kind``, and its real output parses.
@Suite(.enabled(if: TestEnvironment.helmEnabled, "needs helm from tools/helm (MCW_HELM)"))
struct HelmRealBinaryTests {
    let helm: String

    init() throws {
        helm = try TestEnvironment.requireHelm()
    }

    func executor(kubeconfig: String, logs: CapturedLogs = CapturedLogs()) -> HelmCommandExecutor {
        HelmCommandExecutor(configuration: .testing(helm: helm, kubeconfig: .content(kubeconfig)), logger: logs.logger)
    }

    func upgrade(_ chart: HelmChartReference, values: JSONValue = ["a": 1]) -> HelmUpgradeRequest {
        HelmUpgradeRequest(release: "rel", chart: chart, namespace: "magnum-test", values: values, timeout: .seconds(20))
    }

    /// A kubeconfig whose server is a loopback port nothing listens on.
    static func closedPortKubeconfig() throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        close(fd)
        let port = UInt16(bigEndian: address.sin_port)
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster: {server: "https://127.0.0.1:\(port)"}
            contexts:
            - name: c
              context: {cluster: c, user: u}
            current-context: c
            users:
            - name: u
              user: {token: closed-port-token-Qw7Er4Ty1Ui8Op2As5}

            """
    }

    /// A chart with no templates: helm installs it without needing any API but Secrets.
    static func emptyChart() throws -> String {
        let directory = try makeTemporaryDirectory("empty-chart")
        try "apiVersion: v2\nname: empty\nversion: 0.1.0\n".write(toFile: "\(directory)/Chart.yaml", atomically: true, encoding: .utf8)
        return directory
    }

    @Test func unreachableKubernetes() async throws {
        let kubeconfig = try Self.closedPortKubeconfig()
        let logs = CapturedLogs()
        let executor = executor(kubeconfig: kubeconfig, logs: logs)
        defer { executor.shutdown() }
        let chart = HelmChartReference(name: "openstack-cluster", repository: HelmChartReference.defaultRepository, version: "0.10.1")
        let error = try #require(await #expect(throws: HelmError.self) { _ = try await executor.upgradeInstall(upgrade(chart)) })
        #expect(error.kind == .kubernetesUnreachable)
        #expect(error.detail.lowercased().hasPrefix("kubernetes cluster unreachable: get \"https://127.0.0.1:"))
        #expect(!error.statusReason.contains("closed-port-token"))
        #expect(!logs.text.contains("closed-port-token"))
        let uninstall = await #expect(throws: HelmError.self) {
            _ = try await executor.uninstall(HelmUninstallRequest(release: "rel", namespace: "magnum-test"))
        }
        #expect(uninstall?.kind == .kubernetesUnreachable)
    }

    @Test func missingReleaseForStatusAndUninstall() async throws {
        let api = try FakeKubernetesAPI(mode: .noReleases)
        defer { api.stop() }
        let executor = executor(kubeconfig: api.kubeconfig)
        defer { executor.shutdown() }
        let status = await #expect(throws: HelmError.self) {
            _ = try await executor.status(HelmStatusRequest(release: "rel", namespace: "magnum-test"))
        }
        #expect(status?.kind == .releaseNotFound)
        #expect(status?.detail == "release: not found")
        let result = try await executor.uninstall(HelmUninstallRequest(release: "rel", namespace: "magnum-test"))
        #expect(result == .releaseNotFound(release: "rel"))
        #expect(api.requests.contains { $0.hasPrefix("GET /api/v1/namespaces/magnum-test/secrets?labelSelector=name%3Drel%2Cowner%3Dhelm") })
    }

    @Test func chartMissingFromRepositoryOrPath() async throws {
        let api = try FakeKubernetesAPI(mode: .noReleases)
        defer { api.stop() }
        let executor = executor(kubeconfig: api.kubeconfig)
        defer { executor.shutdown() }
        for chart in [
            HelmChartReference(name: "openstack-cluster", repository: api.chartRepository, version: "0.10.1"),
            HelmChartReference(name: "openstack-cluster", repository: api.chartRepository),
            HelmChartReference(name: "./no-such-chart"),
        ] {
            let error = await #expect(throws: HelmError.self) { _ = try await executor.upgradeInstall(upgrade(chart)) }
            #expect(error?.kind == .chartNotFound, "\(chart)")
        }
    }

    @Test func unreachableRepository() async throws {
        let api = try FakeKubernetesAPI(mode: .noReleases)
        defer { api.stop() }
        let executor = executor(kubeconfig: api.kubeconfig)
        defer { executor.shutdown() }
        let closed = try Self.closedPortKubeconfig()
        let port = try #require(closed.split(separator: "\"").first { $0.hasPrefix("https://127.0.0.1:") })
        let chart = HelmChartReference(name: "openstack-cluster", repository: "\(port)/charts", version: "0.10.1")
        let error = await #expect(throws: HelmError.self) { _ = try await executor.upgradeInstall(upgrade(chart)) }
        #expect(error?.kind == .repositoryUnreachable)
        #expect(error?.detail.contains("is not a valid chart repository or cannot be reached") == true)
    }

    @Test func pendingReleaseMeansAnotherOperationIsInProgress() async throws {
        let api = try FakeKubernetesAPI(mode: .storedRelease(name: "rel", status: "pending-install"))
        defer { api.stop() }
        let executor = executor(kubeconfig: api.kubeconfig)
        defer { executor.shutdown() }
        let chart = try Self.emptyChart()
        defer { try? FileManager.default.removeItem(atPath: chart) }
        let error = await #expect(throws: HelmError.self) {
            _ = try await executor.upgradeInstall(upgrade(HelmChartReference(name: chart)))
        }
        #expect(error?.kind == .operationInProgress)
        #expect(error?.statusReason == "helm upgrade --install rel failed: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress")
    }

    @Test func forbiddenAndMissingNamespace() async throws {
        let chart = try Self.emptyChart()
        defer { try? FileManager.default.removeItem(atPath: chart) }
        for (mode, kind) in [(FakeKubernetesAPI.Mode.forbidden, HelmError.Kind.kubernetesAccessDenied), (.namespaceMissing, .namespaceNotFound)] {
            let api = try FakeKubernetesAPI(mode: mode)
            defer { api.stop() }
            let executor = executor(kubeconfig: api.kubeconfig)
            defer { executor.shutdown() }
            let error = await #expect(throws: HelmError.self) {
                _ = try await executor.upgradeInstall(upgrade(HelmChartReference(name: chart)))
            }
            #expect(error?.kind == kind)
        }
    }

    @Test func installAndStatusParseRealOutput() async throws {
        let chart = try Self.emptyChart()
        defer { try? FileManager.default.removeItem(atPath: chart) }
        let installAPI = try FakeKubernetesAPI(mode: .noReleases)
        defer { installAPI.stop() }
        let installer = executor(kubeconfig: installAPI.kubeconfig)
        defer { installer.shutdown() }
        let installed = try await installer.upgradeInstall(upgrade(HelmChartReference(name: chart), values: ["kubernetesVersion": "1.31.4"]))
        #expect(installed.name == "rel")
        #expect(installed.namespace == "magnum-test")
        #expect(installed.revision == 1)
        #expect(installed.status == .deployed)
        #expect(installed.description == "Install complete")
        #expect(installed.chartName == "empty")
        #expect(installed.chartVersion == "0.1.0")
        #expect(installAPI.requests.contains("POST /api/v1/namespaces/magnum-test/secrets"))

        let statusAPI = try FakeKubernetesAPI(mode: .storedRelease(name: "rel", status: "deployed"))
        defer { statusAPI.stop() }
        let reader = executor(kubeconfig: statusAPI.kubeconfig)
        defer { reader.shutdown() }
        let status = try await reader.status(HelmStatusRequest(release: "rel", namespace: "magnum-test"))
        // `helm status --output json` leaves the chart out of its document.
        #expect(status == HelmRelease(
            name: "rel", namespace: "magnum-test", revision: 1, status: .deployed, description: "Install complete",
            firstDeployed: "2026-01-01T00:00:00Z", lastDeployed: "2026-01-01T00:00:00Z"))
    }

    @Test func preflightAcceptsTheInstalledHelm() async throws {
        let executor = HelmCommandExecutor(configuration: .testing(helm: helm), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let version = try await HelmPreflight.check(
            executor, chart: HelmChartReference(name: HelmChartReference.defaultName, repository: HelmChartReference.defaultRepository))
        #expect(version >= HelmVersion.minimumSupported)
        #expect(version.text.hasPrefix("v\(version)"))
    }
}
