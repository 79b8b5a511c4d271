import Helm
import JSON
import Testing

/// The argv we build is the real Python client's, call for call.
@Suite struct HelmCommandLineTests {
    @Test func upgradeAndUninstallArgumentsMatchThePythonClientForEveryDriverCase() throws {
        let oracle = try Fixtures.pythonClient()
        let recorded = try #require(oracle["calls"]?.arrayValue)
        #expect(recorded.count == 58)
        let cases = Dictionary(uniqueKeysWithValues: try Fixtures.driverHelmCalls().map { ($0.name, $0.calls) })
        for call in recorded {
            let name = try #require(call["case"]?.stringValue)
            let pythonArgv = try #require(call["argv"]?.arrayValue).compactMap(\.stringValue)
            let kubeconfigPath = call["kubeconfig_file"]?.stringValue
            let expected = try #require(cases[name]?.first)
            let ours: HelmCommandLine
            switch call["call"]?.stringValue {
            case "install_or_upgrade":
                ours = .upgradeInstall(Fixtures.upgradeRequest(expected), kubeconfigPath: kubeconfigPath)
            case "uninstall_release":
                let request = HelmUninstallRequest(
                    release: expected["release"]?.stringValue ?? "", namespace: expected["namespace"]?.stringValue ?? "")
                ours = .uninstall(request, kubeconfigPath: kubeconfigPath)
            default:
                Issue.record("unknown call in oracle: \(call)")
                continue
            }
            #expect(["helm"] + ours.arguments == pythonArgv, "\(name) kubeconfig=\(kubeconfigPath ?? "none")")
        }
    }

    @Test func upgradeMatchesTheSpecCommandLine() {
        let request = HelmUpgradeRequest(
            release: "prod-east-x9k2m4p7q1w3",
            chart: HelmChartReference(
                name: "openstack-cluster", repository: "https://azimuth-cloud.github.io/capi-helm-charts", version: "0.10.1"),
            namespace: "magnum-9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b", values: ["kubernetesVersion": "1.31.4"])
        let spec = "upgrade prod-east-x9k2m4p7q1w3 openstack-cluster --history-max 10 --install --output json --timeout 5m --values - --namespace magnum-9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b --repo https://azimuth-cloud.github.io/capi-helm-charts --version 0.10.1 --kubeconfig /etc/magnum/kubeconfig"
        let line = HelmCommandLine.upgradeInstall(request, kubeconfigPath: "/etc/magnum/kubeconfig")
        #expect(line.arguments == spec.split(separator: " ").map(String.init))
        #expect(!line.arguments.joined().contains("1.31.4"))
    }

    @Test func emptyRepositoryAndVersionAreLeftOutLikePythonDoes() {
        let request = HelmUpgradeRequest(
            release: "r", chart: HelmChartReference(name: "oci://registry.example/charts/openstack-cluster", repository: "", version: ""),
            namespace: "ns", values: [:])
        let arguments = HelmCommandLine.upgradeInstall(request, kubeconfigPath: nil).arguments
        #expect(!arguments.contains("--repo"))
        #expect(!arguments.contains("--version"))
        #expect(arguments.last == "ns")
    }

    @Test func createNamespaceFollowsTheNamespace() {
        let request = HelmUpgradeRequest(
            release: "r", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns",
            values: [:], createNamespace: true)
        let arguments = HelmCommandLine.upgradeInstall(request, kubeconfigPath: nil).arguments
        #expect(arguments.suffix(5) == ["--namespace", "ns", "--create-namespace", "--repo", "https://r"])
    }

    @Test func uninstallMatchesTheSpecCommandLine() {
        let line = HelmCommandLine.uninstall(HelmUninstallRequest(release: "rel", namespace: "ns"), kubeconfigPath: nil)
        #expect(line.arguments == ["uninstall", "rel", "--timeout", "5m", "--namespace", "ns"])
    }

    @Test func statusTemplateAndVersionArguments() {
        #expect(
            HelmCommandLine.status(HelmStatusRequest(release: "rel", namespace: "ns"), kubeconfigPath: "/k").arguments
                == ["status", "rel", "--namespace", "ns", "--output", "json", "--kubeconfig", "/k"])
        let template = HelmTemplateRequest(
            release: "rel", chart: HelmChartReference(name: "/charts/c"), namespace: "ns", values: [:],
            outputDirectory: "/out", kubeVersion: "1.31.4")
        #expect(
            HelmCommandLine.template(template).arguments
                == ["template", "rel", "/charts/c", "--namespace", "ns", "--values", "-", "--output-dir", "/out", "--kube-version", "1.31.4"])
        #expect(HelmCommandLine.version().arguments == ["version", "--template", "{{.Version}}"])
    }

    @Test(arguments: [
        (Duration.seconds(300), "5m"), (.seconds(90), "1m30s"), (.seconds(3600), "1h"), (.seconds(5400), "1h30m"),
        (.seconds(7261), "2h1m1s"), (.milliseconds(1500), "1500ms"), (.zero, "0s"), (.seconds(45), "45s"),
    ])
    func goDurations(duration: Duration, text: String) {
        #expect(HelmCommandLine.goDuration(duration) == text)
    }

    @Test func descriptionIsShellQuoted() {
        let line = HelmCommandLine(["upgrade", "rel", "chart name", "--set", "a='b'"])
        #expect(line.description == #"helm upgrade rel 'chart name' --set 'a='\''b'\'''"#)
    }
}
