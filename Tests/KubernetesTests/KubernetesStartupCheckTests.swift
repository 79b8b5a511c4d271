import FakeKubernetes
import Kubernetes
import Logging
import Testing

@Suite struct KubernetesStartupCheckTests {
    @Test func reachableClusterPasses() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let report = try await KubernetesStartupCheck.run(configuredPath: h.kubeconfigPath, logger: Logger(label: "t"))
        #expect(report.serverVersion == "v1.31.4")
        #expect(report.connection.server == h.server.baseURL)
    }

    @Test func unreadableKubeconfigNamesTheOption() async throws {
        let error = await #expect(throws: KubernetesStartupCheck.Failure.self) {
            _ = try await KubernetesStartupCheck.run(configuredPath: "/nonexistent/kubeconfig", logger: Logger(label: "t"))
        }
        #expect(error?.description.contains("[capi_helm] kubeconfig_file") == true)
        #expect(error?.description.contains("/nonexistent/kubeconfig") == true)
        #expect(error?.description.contains("does not exist") == true)
    }

    @Test func unreachableServerNamesTheOption() async throws {
        let h = try await Harness.start()
        let path = h.kubeconfigPath
        await h.stop()
        let error = await #expect(throws: KubernetesStartupCheck.Failure.self) {
            _ = try await KubernetesStartupCheck.run(configuredPath: path, logger: Logger(label: "t"))
        }
        #expect(error?.description.contains("unreachable") == true)
        #expect(error?.description.contains("[capi_helm] kubeconfig_file") == true)
    }
}
