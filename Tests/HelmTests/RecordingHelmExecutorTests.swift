import Helm
import JSON
import Testing

/// The recording executor keeps calls as data, in the Python driver's cases' shape too.
@Suite struct RecordingHelmExecutorTests {
    @Test func recordsDriverCasesInTheirOwnShape() async throws {
        let recorder = RecordingHelmExecutor()
        var expected: [JSONValue] = []
        for (_, calls) in try Fixtures.driverHelmCalls() {
            for call in calls {
                switch call["call"]?.stringValue {
                case "install_or_upgrade":
                    _ = try await recorder.upgradeInstall(Fixtures.upgradeRequest(call))
                case "uninstall_release":
                    _ = try await recorder.uninstall(HelmUninstallRequest(
                        release: call["release"]?.stringValue ?? "", namespace: call["namespace"]?.stringValue ?? ""))
                default:
                    Issue.record("unknown call \(call)")
                }
                expected.append(call)
            }
        }
        #expect(expected.count == 29)
        #expect(await recorder.driverCaseJSON == .array(expected))
    }

    @Test func recordsFlagsAndArgvButNeverKubeconfigContent() async throws {
        let recorder = RecordingHelmExecutor()
        let request = HelmUpgradeRequest(
            release: "rel", chart: HelmChartReference(name: "openstack-cluster", repository: "https://r", version: "0.10.1"),
            namespace: "ns", values: ["a": 1], kubeconfig: .content("token: kc-secret-value"))
        _ = try await recorder.upgradeInstall(request)
        let call = try #require(await recorder.calls.first)
        #expect(call.operation == .upgradeInstall)
        #expect(call.flags["timeout"] == "5m")
        #expect(call.flags["history_max"] == 10)
        #expect(call.flags["kubeconfig"] == "content")
        #expect(call.flags["argv"] == .array(
            ["upgrade", "rel", "openstack-cluster", "--history-max", "10", "--install", "--output", "json", "--timeout", "5m",
             "--values", "-", "--namespace", "ns", "--repo", "https://r", "--version", "0.10.1", "--kubeconfig",
             .string(HelmCall.temporaryKubeconfigPlaceholder)]))
        let json = await recorder.callsJSON
        #expect(!json.jsonString(.compact).contains("kc-secret-value"))
        #expect(HelmCall(json: try #require(json[0])) == call)
    }

    @Test func defaultsBehaveLikeHelm() async throws {
        let recorder = RecordingHelmExecutor()
        let request = HelmUpgradeRequest(
            release: "rel", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns", values: [:])
        #expect(try await recorder.upgradeInstall(request).revision == 1)
        #expect(try await recorder.upgradeInstall(request).revision == 2)
        #expect(try await recorder.status(HelmStatusRequest(release: "rel", namespace: "ns")).revision == 2)
        #expect(try await recorder.uninstall(HelmUninstallRequest(release: "rel", namespace: "ns")) == .uninstalled(release: "rel"))
        #expect(try await recorder.uninstall(HelmUninstallRequest(release: "rel", namespace: "ns")) == .releaseNotFound(release: "rel"))
        let error = await #expect(throws: HelmError.self) {
            _ = try await recorder.status(HelmStatusRequest(release: "rel", namespace: "ns"))
        }
        #expect(error?.kind == .releaseNotFound)
        #expect(await recorder.calls.map(\.operation) == [.upgradeInstall, .upgradeInstall, .status, .uninstall, .uninstall, .status])
    }

    @Test func cannedResultsComeFirstThenTheResponder() async throws {
        let recorder = RecordingHelmExecutor { call in
            call.release == "broken"
                ? .failure(HelmError(kind: .kubernetesUnreachable, operation: call.operation, release: call.release, detail: "down"))
                : nil
        }
        await recorder.enqueue(
            .failure(HelmError(kind: .operationInProgress, operation: .upgradeInstall, release: "rel", detail: "busy")),
            for: .upgradeInstall)
        let request = HelmUpgradeRequest(
            release: "rel", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns", values: [:])
        let busy = await #expect(throws: HelmError.self) { _ = try await recorder.upgradeInstall(request) }
        #expect(busy?.kind == .operationInProgress)
        #expect(try await recorder.upgradeInstall(request).status == .deployed)
        var broken = request
        broken.release = "broken"
        let down = await #expect(throws: HelmError.self) { _ = try await recorder.upgradeInstall(broken) }
        #expect(down?.kind == .kubernetesUnreachable)
        #expect(await recorder.calls.count == 3)
    }
}
