import Foundation
import Helm
import JSON
import Testing
import TestSupport

/// Render-only mode: releases become manifests on disk, no cluster is touched.
@Suite(.enabled(if: TestEnvironment.helmEnabled, "needs helm from tools/helm (MCW_HELM)"))
struct RenderOnlyHelmExecutorTests {
    @Test func installUpgradeStatusUninstall() async throws {
        let renderer = HelmCommandExecutor(
            configuration: .testing(helm: try TestEnvironment.requireHelm()), logger: CapturedLogs().logger)
        defer { renderer.shutdown() }
        let output = try makeTemporaryDirectory("render-only")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let executor = RenderOnlyHelmExecutor(renderer: renderer, chartDirectory: Fixtures.chartDirectory, outputDirectory: output)
        let (_, first) = try #require(try Fixtures.driverUpgradeRequests().first { $0.name == "create_defaults.json" })

        let installed = try await executor.upgradeInstall(first)
        #expect(installed.revision == 1)
        #expect(installed.status == .pendingInstall)
        #expect(installed.description.hasPrefix("Dry run complete"))
        let directory = executor.releaseDirectory(release: first.release, namespace: first.namespace)
        let controlPlane = try String(
            contentsOfFile: "\(directory)/manifests/openstack-cluster-paths/templates/control-plane.yaml", encoding: .utf8)
        #expect(controlPlane.contains("replicas: 1"))

        var resized = first
        resized.values = HelmChartTemplateTests.replacing(first.values, ["controlPlane", "machineCount"], with: 3)
        let upgraded = try await executor.upgradeInstall(resized)
        #expect(upgraded.revision == 2)
        let after = try String(
            contentsOfFile: "\(directory)/manifests/openstack-cluster-paths/templates/control-plane.yaml", encoding: .utf8)
        #expect(after.contains("replicas: 3"))
        // Release metadata only: no values next to the manifests.
        let metadata = try String(contentsOfFile: "\(directory)/release.json", encoding: .utf8)
        #expect(!metadata.contains("machineFlavor"))

        let status = try await executor.status(HelmStatusRequest(release: first.release, namespace: first.namespace))
        #expect(status.revision == 2)
        #expect(try await executor.uninstall(HelmUninstallRequest(release: first.release, namespace: first.namespace))
            == .uninstalled(release: first.release))
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(try await executor.uninstall(HelmUninstallRequest(release: first.release, namespace: first.namespace))
            == .releaseNotFound(release: first.release))
        let missing = await #expect(throws: HelmError.self) {
            _ = try await executor.status(HelmStatusRequest(release: first.release, namespace: first.namespace))
        }
        #expect(missing?.kind == .releaseNotFound)
    }

    @Test func badValuesFailLikeARealUpgrade() async throws {
        let renderer = HelmCommandExecutor(
            configuration: .testing(helm: try TestEnvironment.requireHelm()), logger: CapturedLogs().logger)
        defer { renderer.shutdown() }
        let output = try makeTemporaryDirectory("render-only")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let executor = RenderOnlyHelmExecutor(renderer: renderer, chartDirectory: Fixtures.chartDirectory, outputDirectory: output)
        let request = HelmUpgradeRequest(
            release: "rel", chart: HelmChartReference(name: "openstack-cluster"), namespace: "ns",
            values: ["kubernetesVersion": 131])
        let error = await #expect(throws: HelmError.self) { _ = try await executor.upgradeInstall(request) }
        #expect(error?.kind == .schemaValidationFailed)
        #expect(error?.operation == .upgradeInstall)
    }
}
