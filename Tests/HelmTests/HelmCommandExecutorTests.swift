import Foundation
import Helm
import JSON
import Testing

/// What the executor hands to helm, seen from a fake `helm` that records it.
@Suite struct HelmCommandExecutorTests {
    /// helm 3.17.2's real `upgrade --output json` output shape (captured from the real binary).
    static func releaseOutput(name: String, namespace: String, revision: Int = 1) -> String {
        #"{"name":"\#(name)","info":{"first_deployed":"2026-11-26T04:53:40.855017368Z","last_deployed":"2026-11-26T04:53:40.855017368Z","deleted":"","description":"Install complete","status":"deployed"},"chart":{"metadata":{"name":"openstack-cluster","version":"0.10.1","apiVersion":"v2"},"lock":null,"templates":null,"values":null,"schema":null,"files":null},"config":{"kubernetesVersion":"1.31.4"},"version":\#(revision),"namespace":"\#(namespace)"}"#
    }

    @Test func upgradeRunsHelmExactlyAsThePythonClientForEveryDriverCase() async throws {
        let oracle = try #require(try Fixtures.pythonClient()["calls"]?.arrayValue)
        let cases = Dictionary(uniqueKeysWithValues: try Fixtures.driverHelmCalls().map { ($0.name, $0.calls) })
        let fake = try FakeHelm(body: FakeHelm.printing(Self.releaseOutput(name: "r", namespace: "n")))
        defer { fake.remove() }
        let plain = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        let withFile = HelmCommandExecutor(
            configuration: .testing(helm: fake.path, kubeconfig: .file(path: "/etc/magnum/capi-kubeconfig")),
            logger: CapturedLogs().logger)
        defer {
            plain.shutdown()
            withFile.shutdown()
        }
        var checked = 0
        for call in oracle where call["call"]?.stringValue == "install_or_upgrade" {
            let name = try #require(call["case"]?.stringValue)
            let request = Fixtures.upgradeRequest(try #require(cases[name]?.first))
            let executor = call["kubeconfig_file"]?.isNull == false ? withFile : plain
            _ = try await executor.upgradeInstall(request)
            let run = try #require(try fake.runs().last)
            let pythonArgv = try #require(call["argv"]?.arrayValue).compactMap(\.stringValue)
            #expect(run.argv == Array(pythonArgv.dropFirst()), "\(name)")
            // Byte for byte what Python's json.dumps wrote to helm's stdin.
            let pythonStdin = try #require(call["stdin"]?.stringValue)
            #expect(run.standardInput == Array(pythonStdin.utf8), "\(name)")
            #expect(try JSONValue(parsing: run.standardInput) == request.values)
            checked += 1
        }
        #expect(checked == 56)
    }

    @Test func valuesGoOnlyToStandardInputNeverArgvOrLogs() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing(Self.releaseOutput(name: "rel", namespace: "ns")))
        defer { fake.remove() }
        let logs = CapturedLogs()
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: logs.logger)
        defer { executor.shutdown() }
        let marker = "values-marker-4f1d9c"
        let values: JSONValue = [
            "kubernetesVersion": "1.31.4",
            "addons": ["openstack": ["k8sKeystoneAuth": ["values": ["projectId": .string(marker)]]]],
        ]
        let release = try await executor.upgradeInstall(HelmUpgradeRequest(
            release: "rel", chart: HelmChartReference(name: "openstack-cluster", repository: "https://charts.example"),
            namespace: "ns", values: values, logMetadata: ["cluster_uuid": "5d12f6fd-a196-4bf0-ae4c-1f639a523a52"]))
        let run = try fake.onlyRun()
        #expect(try JSONValue(parsing: run.standardInput) == values)
        #expect(logs.all.allSatisfy { $0.contains("cluster_uuid=5d12f6fd-a196-4bf0-ae4c-1f639a523a52") })
        #expect(!run.argv.contains { $0.contains(marker) || $0.contains("1.31.4") })
        #expect(!run.environment.values.contains { $0.contains(marker) })
        #expect(!logs.text.contains(marker))
        #expect(logs.text.contains("helm upgrade rel openstack-cluster --history-max 10"))
        #expect(release == HelmRelease(
            name: "rel", namespace: "ns", revision: 1, status: .deployed, description: "Install complete",
            chartName: "openstack-cluster", chartVersion: "0.10.1",
            firstDeployed: "2026-11-26T04:53:40.855017368Z", lastDeployed: "2026-11-26T04:53:40.855017368Z"))
    }

    @Test func kubeconfigContentIsAPrivateFileOnlyForTheCall() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing(Self.releaseOutput(name: "rel", namespace: "ns")))
        defer { fake.remove() }
        let logs = CapturedLogs()
        let token = "kc-token-Hs8dJ2kL9mN4pQ7rT1vW"
        let kubeconfig = "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: \(token)\n"
        let executor = HelmCommandExecutor(
            configuration: .testing(helm: fake.path, kubeconfig: .content(kubeconfig)), logger: logs.logger)
        defer { executor.shutdown() }
        _ = try await executor.upgradeInstall(HelmUpgradeRequest(
            release: "rel", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns", values: [:]))
        let run = try fake.onlyRun()
        let path = try #require(run.kubeconfigPath)
        #expect(run.kubeconfigMode == "600")
        #expect(run.kubeconfigContent == kubeconfig)
        #expect(run.argv.suffix(2) == ["--kubeconfig", path])
        #expect(!FileManager.default.fileExists(atPath: path), "the kubeconfig file outlived the call")
        #expect(path.hasPrefix(run.environment["TMPDIR"] ?? "/nonexistent"))
        #expect(!run.argv.joined(separator: " ").contains(token))
        #expect(!run.environment.values.contains { $0.contains(token) })
        #expect(!logs.text.contains(token))
    }

    @Test func kubeconfigFileIsRemovedWhenHelmFails() async throws {
        let fake = try FakeHelm(body: FakeHelm.failing("Error: Kubernetes cluster unreachable: Get \"https://10.0.0.1:6443/version\": dial tcp 10.0.0.1:6443: connect: no route to host"))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(
            configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let error = await #expect(throws: HelmError.self) {
            _ = try await executor.uninstall(HelmUninstallRequest(
                release: "rel", namespace: "ns", kubeconfig: .content("apiVersion: v1\nkind: Config\n")))
        }
        #expect(error?.kind == .kubernetesUnreachable)
        let path = try #require(try fake.onlyRun().kubeconfigPath)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func environmentIsBuiltFromScratch() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing(Self.releaseOutput(name: "rel", namespace: "ns")))
        defer { fake.remove() }
        let inherited = [
            "OS_PASSWORD": "hunter2-os-password",
            "OS_APPLICATION_CREDENTIAL_SECRET": "app-cred-secret-value",
            "DATABASE_URL": "mysql+pymysql://magnum:db-password@db/magnum",
            "TRANSPORT_URL": "rabbit://magnum:rabbit-password@mq:5672/",
            "HOME": "/var/lib/magnum",
            "KUBECONFIG": "/var/lib/magnum/should-not-be-used",
            "HTTPS_PROXY": "http://proxy.example:3128",
            "PATH": "/opt/worker/bin:/usr/bin",
        ]
        let executor = HelmCommandExecutor(
            configuration: .testing(
                helm: fake.path, kubeconfig: .file(path: "/etc/magnum/capi-kubeconfig"), inheritedEnvironment: inherited),
            logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        _ = try await executor.upgradeInstall(HelmUpgradeRequest(
            release: "rel", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns", values: [:]))
        let environment = try fake.onlyRun().environment
        #expect(Set(environment.keys) == [
            "PATH", "HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
            "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HTTPS_PROXY",
        ])
        #expect(environment["HTTPS_PROXY"] == "http://proxy.example:3128")
        #expect(environment["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        let home = try #require(environment["HOME"])
        #expect(home != "/var/lib/magnum")
        let attributes = try FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: home).deletingLastPathComponent().path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        for secret in ["hunter2", "app-cred-secret", "db-password", "rabbit-password"] {
            #expect(!environment.values.contains { $0.contains(secret) })
        }
    }

    @Test func withoutAConfiguredKubeconfigHelmFindsOneAsInPython() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing(Self.releaseOutput(name: "rel", namespace: "ns")))
        defer { fake.remove() }
        let request = HelmUpgradeRequest(
            release: "rel", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns", values: [:])

        let fromVariable = HelmCommandExecutor(
            configuration: .testing(helm: fake.path, inheritedEnvironment: ["KUBECONFIG": "/srv/capi/kubeconfig"]),
            logger: CapturedLogs().logger)
        defer { fromVariable.shutdown() }
        _ = try await fromVariable.upgradeInstall(request)
        var run = try #require(try fake.runs().last)
        #expect(run.environment["KUBECONFIG"] == "/srv/capi/kubeconfig")
        #expect(!run.argv.contains("--kubeconfig"))

        let home = try makeTemporaryDirectory("home")
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: "\(home)/.kube", withIntermediateDirectories: true)
        try "apiVersion: v1\n".write(toFile: "\(home)/.kube/config", atomically: true, encoding: .utf8)
        let fromHome = HelmCommandExecutor(
            configuration: .testing(helm: fake.path, inheritedEnvironment: ["HOME": home]), logger: CapturedLogs().logger)
        defer { fromHome.shutdown() }
        _ = try await fromHome.upgradeInstall(request)
        run = try #require(try fake.runs().last)
        #expect(run.environment["KUBECONFIG"] == "\(home)/.kube/config")
        #expect(run.environment["HOME"] != home)
    }

    @Test func uninstallTreatsAMissingReleaseAsThePythonClientDoes() async throws {
        let oracle = try #require(try Fixtures.pythonClient()["uninstall_errors"]?.arrayValue)
        #expect(oracle.count == 2)
        for entry in oracle {
            let stderr = try #require(entry["stderr"]?.stringValue)
            let swallowed = try #require(entry["swallowed"]?.boolValue as Bool?)
            let fake = try FakeHelm(body: FakeHelm.failing(stderr.trimmingCharacters(in: .newlines)))
            defer { fake.remove() }
            let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
            defer { executor.shutdown() }
            let request = HelmUninstallRequest(release: "prod-east-a1b2c3d4e5f6", namespace: "magnum-x")
            if swallowed {
                #expect(try await executor.uninstall(request) == .releaseNotFound(release: "prod-east-a1b2c3d4e5f6"))
            } else {
                await #expect(throws: HelmError.self) { _ = try await executor.uninstall(request) }
            }
            #expect(try fake.onlyRun().argv == ["uninstall", "prod-east-a1b2c3d4e5f6", "--timeout", "5m", "--namespace", "magnum-x"])
        }
    }

    @Test func uninstallSucceeds() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing("release \"rel\" uninstalled\n"))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        #expect(try await executor.uninstall(HelmUninstallRequest(release: "rel", namespace: "ns")) == .uninstalled(release: "rel"))
    }

    @Test func failuresAreTypedAndMasked() async throws {
        let secret = "Sup3rSecretAppCredValue9xYz42abcDEF"
        let values: JSONValue = ["clouds": ["openstack": ["auth": ["application_credential_secret": .string(secret)]]]]
        let stderr = "Error: UPGRADE FAILED: template: openstack-cluster/templates/x.yaml:3:4: executing \\\"x\\\" at <.Values.clouds>: application_credential_secret: \(secret)"
        let fake = try FakeHelm(body: FakeHelm.failing(stderr))
        defer { fake.remove() }
        let logs = CapturedLogs()
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: logs.logger)
        defer { executor.shutdown() }
        let error = try #require(await #expect(throws: HelmError.self) {
            _ = try await executor.upgradeInstall(HelmUpgradeRequest(
                release: "rel", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns", values: values))
        })
        #expect(error.kind == .renderFailed)
        #expect(error.exitStatus == 1)
        #expect(error.operation == .upgradeInstall)
        #expect(error.release == "rel")
        #expect(!error.detail.contains(secret))
        #expect(!error.statusReason.contains(secret))
        #expect(error.statusReason.hasPrefix("helm upgrade --install rel failed: UPGRADE FAILED: template:"))
        #expect(!logs.text.contains(secret))
    }

    @Test func helmThatStopsReadingValuesEarlyStillReportsItsOwnError() async throws {
        let fake = try FakeHelm(
            body: FakeHelm.failing("Error: Kubernetes cluster unreachable: Get \"https://127.0.0.1:1/version\": dial tcp 127.0.0.1:1: connect: connection refused"),
            readsStandardInput: false)
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        // 4 MiB of values: far more than a pipe holds, so the write hits a closed pipe (EPIPE, not SIGPIPE).
        let big = JSONValue.array((0..<(1 << 16)).map { _ in .string(String(repeating: "v", count: 60)) })
        let error = await #expect(throws: HelmError.self) {
            _ = try await executor.upgradeInstall(HelmUpgradeRequest(
                release: "rel", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns",
                values: ["nodeGroups": big]))
        }
        #expect(error?.kind == .kubernetesUnreachable)
    }

    @Test func successWithoutAReleaseDocumentIsUnexpectedOutput() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing("Release \"rel\" has been upgraded. Happy Helming!\n"))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let error = await #expect(throws: HelmError.self) {
            _ = try await executor.upgradeInstall(HelmUpgradeRequest(
                release: "rel", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns", values: [:]))
        }
        #expect(error?.kind == .unexpectedOutput)
    }

    @Test func outputBeyondTheLimitStopsHelm() async throws {
        let fake = try FakeHelm(body: "head -c 100000 /dev/zero | tr '\\0' x\nsleep 30")
        defer { fake.remove() }
        var configuration = HelmConfiguration.testing(helm: fake.path)
        configuration.maximumOutputBytes = 4096
        let executor = HelmCommandExecutor(configuration: configuration, logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let started = ContinuousClock.now
        let error = await #expect(throws: HelmError.self) {
            _ = try await executor.status(HelmStatusRequest(release: "rel", namespace: "ns"))
        }
        #expect(error?.kind == .unexpectedOutput)
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(!processIsAlive(try fake.onlyRun().pid))
    }

    @Test func statusParsesTheRelease() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing(Self.releaseOutput(name: "rel", namespace: "ns", revision: 4)))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let release = try await executor.status(HelmStatusRequest(release: "rel", namespace: "ns"))
        #expect(release.revision == 4)
        #expect(release.status == .deployed)
        #expect(try fake.onlyRun().argv == ["status", "rel", "--namespace", "ns", "--output", "json"])
    }

    @Test func missingExecutableNamesTheOption() async throws {
        let executor = HelmCommandExecutor(
            configuration: .testing(helm: "/nonexistent/bin/helm"), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let error = await #expect(throws: HelmError.self) { _ = try await executor.version() }
        #expect(error?.kind == .executableUnavailable)
        #expect(error?.detail.contains("[capi_helm] helm_executable") == true)
    }

    @Test func versionIsParsed() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing("v3.17.2"))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        #expect(try await executor.version() == HelmVersion(major: 3, minor: 17, patch: 2))
    }

    @Test func templateWithoutDirectoryReturnsTheManifest() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing("---\nkind: ConfigMap\n"))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let rendered = try await executor.template(HelmTemplateRequest(
            release: "rel", chart: HelmChartReference(name: "/charts/c"), namespace: "ns", values: ["a": 1]))
        #expect(rendered.manifest == "---\nkind: ConfigMap\n")
        #expect(try JSONValue(parsing: try fake.onlyRun().standardInput) == ["a": 1])
    }

    @Test func shutdownRemovesThePrivateDirectory() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing("v3.17.2"))
        defer { fake.remove() }
        let executor = HelmCommandExecutor(configuration: .testing(helm: fake.path), logger: CapturedLogs().logger)
        _ = try await executor.version()
        let home = try #require(try fake.onlyRun().environment["HOME"])
        #expect(FileManager.default.fileExists(atPath: home))
        executor.shutdown()
        #expect(!FileManager.default.fileExists(atPath: home))
    }
}
