import CapiHelmRuntime
import FakeKubernetes
import Foundation
import JSON
import Logging
import Testing
import TestSupport

/// The checks `CapiHelmRuntime.start` runs once: each failure is one clear problem naming the
/// option to change, all of them are reported together, and offline modes need none of the
/// real world.
@Suite struct RuntimeStartupChecksTests {
    static let chart = TestEnvironment.fixturesDirectory.appendingPathComponent("charts/openstack-cluster-paths").path

    /// Starts a runtime over a testbed with `extra` options; returns the startup error (nil
    /// when it started).
    func startupError(_ extra: [String: [String: String]] = [:], helm: FakeHelmScript.Mode = .healthy,
                      kubernetesResources: [FakeResource] = FakeResource.standard,
                      prepare: (RuntimeTestbed) throws -> [String: [String: String]] = { _ in [:] }) async throws -> CapiHelmRuntimeStartupError? {
        let bed = try await RuntimeTestbed.start(helm: helm, kubernetesResources: kubernetesResources)
        var options = extra
        for (section, values) in try prepare(bed) {
            for (key, value) in values { options[section, default: [:]][key] = value }
        }
        do {
            let runtime = try await CapiHelmRuntime.start(configuration: try bed.configuration(options), store: bed.store,
                                                          logger: Logger(label: "test"))
            await runtime.shutdown()
            await bed.close()
            return nil
        } catch let error as CapiHelmRuntimeStartupError {
            await bed.close()
            return error
        } catch {
            await bed.close()
            throw error
        }
    }

    func expectOne(_ error: CapiHelmRuntimeStartupError?, option: String, saying words: [String],
                   sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error else {
            Issue.record("the runtime started", sourceLocation: sourceLocation)
            return
        }
        #expect(error.problems.count == 1, "\(error)", sourceLocation: sourceLocation)
        #expect(error.problems.first?.option == option, "\(error)", sourceLocation: sourceLocation)
        for word in words {
            #expect(error.description.contains(word), "\(word) not in: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aHealthyConfigurationStarts() async throws {
        #expect(try await startupError() == nil)
    }

    @Test func helmMissing() async throws {
        expectOne(try await startupError(["capi_helm": ["helm_executable": "/nonexistent/bin/helm"]]),
                  option: "[capi_helm] helm_executable", saying: ["/nonexistent/bin/helm does not exist", "tools/helm"])
    }

    @Test func helmTooOld() async throws {
        expectOne(try await startupError(helm: .version("v3.7.1")),
                  option: "[capi_helm] helm_executable", saying: ["helm v3.7.1", "too old", "3.8.0"])
    }

    @Test func chartRepositoryUnset() async throws {
        expectOne(try await startupError(["capi_helm": ["helm_chart_repo": ""]]),
                  option: "[capi_helm] helm_chart_repo", saying: ["is empty", "https://azimuth-cloud.github.io/capi-helm-charts"])
    }

    @Test func kubeconfigUnreadable() async throws {
        expectOne(try await startupError(["capi_helm": ["kubeconfig_file": "/nonexistent/kubeconfig"]]),
                  option: "[capi_helm] kubeconfig_file", saying: ["/nonexistent/kubeconfig", "cannot be used"])
    }

    @Test func managementClusterUnreachable() async throws {
        let error = try await startupError { bed in
            // The fake's kubeconfig, pointed at a port nobody listens on.
            let text = try bed.kubernetes.kubeconfig().replacingOccurrences(of: bed.kubernetes.baseURL, with: "https://127.0.0.1:9")
            let path = "\(bed.directory)/unreachable-kubeconfig"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return ["capi_helm": ["kubeconfig_file": path]]
        }
        expectOne(error, option: "[capi_helm] kubeconfig_file", saying: ["https://127.0.0.1:9", "unreachable"])
    }

    @Test func clusterAPINotInstalled() async throws {
        let withoutCAPI = FakeResource.standard.filter { $0.group != "cluster.x-k8s.io" }
        expectOne(try await startupError(kubernetesResources: withoutCAPI),
                  option: "[capi_helm] kubeconfig_file", saying: ["clusters.cluster.x-k8s.io", "Install Cluster API"])
    }

    @Test func offlineCloudFileMalformed() async throws {
        let error = try await startupError { bed in
            let path = "\(bed.directory)/cloud.json"
            try #"{"region": "RegionOne", "auth_url": "https://k/v3", "images": [{"name": "no id"}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
            return ["capi_worker": ["offline_cloud_file": path]]
        }
        expectOne(error, option: "[capi_worker] offline_cloud_file", saying: ["images[0].id is missing", "docs/runtime.md"])
    }

    @Test func renderOnlyWithoutALocalChart() async throws {
        expectOne(try await startupError(["capi_worker": ["helm_mode": "render-only", "management_cluster": "none"]]),
                  option: "[capi_worker] render_chart", saying: ["helm pull openstack-cluster"])
        expectOne(try await startupError(["capi_worker": ["helm_mode": "render-only", "management_cluster": "none", "render_chart": "/nonexistent/chart"]]),
                  option: "[capi_worker] render_chart", saying: ["/nonexistent/chart does not exist"])
    }

    /// Render-only mode needs neither a chart repository nor a kubeconfig nor a cloud.
    @Test func renderOnlyNeedsNoRepositoryKubeconfigOrCloud() async throws {
        let error = try await startupError { bed in
            let path = "\(bed.directory)/cloud.json"
            try Data(OfflineCloudTests.good.serialized(.pretty)).write(to: URL(fileURLWithPath: path))
            return [
                "capi_helm": ["helm_chart_repo": "", "kubeconfig_file": "/nonexistent/kubeconfig"],
                "capi_worker": ["helm_mode": "render-only", "management_cluster": "simulated", "render_chart": Self.chart,
                                "offline_cloud_file": path],
                "keystone_auth": ["auth_url": RuntimeTestbed.unset, "username": RuntimeTestbed.unset],
                "keystone_authtoken": ["www_authenticate_uri": RuntimeTestbed.unset],
                "cinder_client": ["region_name": RuntimeTestbed.unset],
            ]
        }
        #expect(error == nil, "\(error.map { "\($0)" } ?? "")")
    }

    @Test func modesThatCannotWorkTogether() async throws {
        expectOne(try await startupError(["capi_worker": ["management_cluster": "simulated"]]),
                  option: "[capi_worker] management_cluster", saying: ["helm_mode = real"])
        expectOne(try await startupError(["capi_worker": ["helm_mode": "render-only", "render_chart": Self.chart]]),
                  option: "[capi_worker] helm_mode", saying: ["management_cluster = none"])
    }

    @Test func openStackSettingsMissing() async throws {
        expectOne(try await startupError(["keystone_auth": ["password": RuntimeTestbed.unset]]),
                  option: "[keystone_auth] password", saying: ["deletes the application credentials"])
        expectOne(try await startupError(["cinder_client": ["region_name": RuntimeTestbed.unset]]),
                  option: "[cinder_client] region_name", saying: ["region_name needs to be configured in magnum.conf"])
        expectOne(try await startupError(["keystone_auth": ["auth_url": RuntimeTestbed.unset], "keystone_authtoken": ["www_authenticate_uri": RuntimeTestbed.unset]]),
                  option: "[keystone_auth] auth_url", saying: ["www_authenticate_uri"])
        let error = try await startupError(["drivers": ["openstack_ca_file": "/nonexistent/ca.pem"]])
        #expect(error?.mentions("[drivers] openstack_ca_file") == true, "\(error.map { "\($0)" } ?? "")")
    }

    @Test func badValuesNameTheirOptionAndLine() async throws {
        expectOne(try await startupError(["capi_worker": ["helm_mode": "sometimes"]]),
                  option: "[capi_worker] helm_mode", saying: ["'sometimes'", "real, render-only", "magnum.conf:"])
        expectOne(try await startupError(["capi_helm_cluster_labels": ["csi_cinder_reclaim_policy": "Keep"]]),
                  option: "[capi_helm_cluster_labels] csi_cinder_reclaim_policy", saying: ["Keep"])
        expectOne(try await startupError(["certificates": ["cert_manager_type": "barbican"]]),
                  option: "[certificates] cert_manager_type", saying: ["x509keypair"])
    }

    @Test func everyProblemIsReportedAtOnce() async throws {
        let error = try await startupError([
            "capi_helm": ["helm_executable": "/nonexistent/helm", "kubeconfig_file": "/nonexistent/kubeconfig"],
            "cinder_client": ["region_name": RuntimeTestbed.unset],
        ])
        #expect(error?.problems.map(\.option).sorted() == ["[capi_helm] helm_executable", "[capi_helm] kubeconfig_file", "[cinder_client] region_name"])
        #expect(error?.description.contains(RuntimeTestbed.adminPassword) == false)
    }
}
