import CapiHelmDriver
import CapiHelmRuntime
import Foundation
import Helm
import JSON
import Testing
import TestSupport

/// Render-only mode with the real helm binary (`tools/helm`, `MCW_HELM`) and the local chart:
/// a cluster create renders manifests instead of installing, the helm command line and values
/// that would have run are recorded, and the values never reach helm's argv.
@Suite(.enabled(if: TestEnvironment.helmEnabled)) struct RenderOnlyHelmPortTests {
    @Test func createRendersManifestsAndRecordsTheCommandThatWouldHaveRun() async throws {
        let offline = try await OfflineRuntime.start(case: "create_defaults.json", managementCluster: "none",
                                                     realHelm: try TestEnvironment.requireHelm())
        do {
            try await check(offline)
        } catch {
            await offline.close()
            throw error
        }
        await offline.close()
    }

    func check(_ offline: OfflineRuntime) async throws {
        let testCase = offline.testCase
        var cluster = try await offline.loadCase()
        try await offline.driver().createCluster(&cluster, context: offline.context)
        let expected = try #require(testCase.expected["helm"]?[0])
        let release = try #require(expected["release"]?.stringValue)
        let namespace = try #require(expected["namespace"]?.stringValue)
        let values = try #require(expected["values"])

        // Manifests rendered by the real helm from the local chart.
        let directory = "\(offline.outputDirectory)/\(namespace)/\(release)"
        let files = FileManager.default.enumerator(atPath: "\(directory)/manifests")?.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") } ?? []
        #expect(!files.isEmpty)
        let manifests = try files.map { try String(contentsOfFile: "\(directory)/manifests/\($0)", encoding: .utf8) }.joined(separator: "\n")
        #expect(manifests.contains(values["machineImageId"]?.stringValue ?? "?"))
        #expect(manifests.contains("kind: Cluster"))

        // The command line and values real mode would have used: the Python client's.
        let recorded = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/helm-command.json"))))
        let pythonArgv = ["helm"] + DriverCasesThroughRealAdaptersTests.pythonHelmArgv(expected, kubeconfig: offline.bed.kubeconfigPath)
        #expect(recorded["argv"] == .array(pythonArgv.map { .string($0) }))
        #expect(recorded["values"] == values)
        #expect(offline.runtime.renderOnly?.calls.first?.values == values)
        #expect(offline.runtime.renderOnly?.calls.first?.commandLine.arguments == Array(pythonArgv.dropFirst()))
        let release_ = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/release.json"))))
        #expect(release_["info"]?["status"] == "pending-install")

        // helm itself only ran `version` and `template`, values on standard input.
        let runs = try offline.helmRuns()
        #expect(runs.map { $0.first ?? "" } == ["version", "template"])
        let template = try #require(runs.last)
        #expect(Array(template.prefix(6)) == ["template", release, OfflineRuntime.chart, "--namespace", namespace, "--values"])
        #expect(template[6] == "-")
        let argv = runs.flatMap { $0 }.joined(separator: " ")
        for marker in [values["machineImageId"]?.stringValue, "kubernetesVersion", "cloudCredentialsSecretName"].compactMap({ $0 }) {
            #expect(!argv.contains(marker), "\(marker) on helm's argv")
        }

        // No management cluster: the writes are recorded, Secret values never.
        let writes = try #require(offline.runtime.offlineManagementCluster?.writes)
        #expect(writes.map(\.call) == ["ensure_namespace", "apply_secret", "apply_secret", "apply_secret", "apply_secret", "apply_secret"])
        for write in writes where write.call == "apply_secret" {
            #expect(write.body?["stringData"]?.objectValue?.values.allSatisfy { $0 == "<redacted>" } == true)
        }
        let row = try await offline.cluster()
        #expect(row.status == .createInProgress)
        #expect(row.stackId == release)

        // Deleting removes what was rendered.
        var deleting = try await offline.setStatus(.deleteInProgress)
        try await offline.driver().deleteCluster(&deleting, context: offline.context)
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(offline.runtime.renderOnly?.calls.last?.commandLine.arguments == [
            "uninstall", release, "--timeout", "5m", "--namespace", namespace, "--kubeconfig", offline.bed.kubeconfigPath,
        ])
    }
}
