import CapiHelmRuntime
import ClusterCertificates
import ClusterStore
import FakeHTTP
import FakeKubernetes
import FakeOpenStack
import Foundation
import JSON
import Logging
import OpenStack
import OsloConfig
import TestSupport

/// Everything a runtime needs, started in-process for one test: a fake Kubernetes API server
/// (HTTPS, client certificates) with a kubeconfig for it, a fake OpenStack cloud, a fake helm,
/// an SQLite `ClusterStore` with Magnum's schema, a CA bundle file, and a `magnum.conf` pointing
/// at all of them.
final class RuntimeTestbed: Sendable {
    static let userPassword = "demo-Pa55word-1"
    static let adminPassword = "magnum-Pa55word-2"
    static let adminID = "3a1f0c2e4b5d4f6a8b9c0d1e2f3a4b5c"

    let directory: String
    let pki: TestPKI
    let kubernetes: FakeKubernetesAPIServer
    let cloud: FakeOpenStackCloud
    let helm: FakeHelmScript
    let store: SQLiteClusterStore
    let kubeconfigPath: String
    let caBundlePath: String

    init(directory: String, pki: TestPKI, kubernetes: FakeKubernetesAPIServer, cloud: FakeOpenStackCloud, helm: FakeHelmScript,
         store: SQLiteClusterStore, kubeconfigPath: String, caBundlePath: String) {
        self.directory = directory
        self.pki = pki
        self.kubernetes = kubernetes
        self.cloud = cloud
        self.helm = helm
        self.store = store
        self.kubeconfigPath = kubeconfigPath
        self.caBundlePath = caBundlePath
    }

    static func pki() async throws -> TestPKI {
        try await TestEnvironment.offloaded { try TestPKI.shared() }
    }

    /// `users`: the callers (password `userPassword`) besides the admin service user `magnum`.
    static func start(cloudData: FakeOpenStackCloud.Data = .init(), users: [FakeOpenStackCloud.User] = [],
                      helm mode: FakeHelmScript.Mode = .healthy, kubernetesResources: [FakeResource] = FakeResource.standard) async throws -> RuntimeTestbed {
        let directory = try TestEnvironment.temporaryDirectory("runtime").path
        let pki = try await pki()
        let kubernetes = try await FakeKubernetesAPIServer.start(pki: pki, resources: kubernetesResources)
        var data = cloudData
        data.users += users
        data.users.append(FakeOpenStackCloud.User(id: adminID, name: "magnum", password: adminPassword, projectID: "f1e2d3c4b5a697887766554433221100",
                                                  projectName: "service", isAdmin: true))
        let cloud = try await FakeOpenStackCloud.start(data: data)
        let kubeconfigPath = "\(directory)/kubeconfig"
        try kubernetes.kubeconfig().write(toFile: kubeconfigPath, atomically: true, encoding: .utf8)
        let caBundlePath = "\(directory)/openstack-ca.pem"
        try FileManager.default.copyItem(atPath: pki.caCertificate, toPath: caBundlePath)
        let store = try await SQLiteClusterStore.open(path: "\(directory)/magnum.sqlite")
        return RuntimeTestbed(directory: directory, pki: pki, kubernetes: kubernetes, cloud: cloud, helm: try FakeHelmScript(mode),
                              store: store, kubeconfigPath: kubeconfigPath, caBundlePath: caBundlePath)
    }

    func close() async {
        await store.close()
        await kubernetes.shutdown()
        await cloud.shutdown()
        helm.remove()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// In `extra`: leave the option out of the file.
    static let unset = "<unset>"

    /// The `magnum.conf` of a worker using these fakes (1.4.0 compatibility), with `extra` on top.
    func configurationText(_ extra: [String: [String: String]] = [:]) -> String {
        var sections: [String: [String: String]] = [
            "DEFAULT": ["state_path": directory],
            "capi_helm": ["kubeconfig_file": kubeconfigPath, "helm_executable": helm.path, "helm_state_dir": "\(directory)/helm-state"],
            "capi_worker": ["compatibility": "1.4.0"],
            "keystone_auth": ["auth_url": cloud.authURL, "auth_type": "password", "username": "magnum",
                              "password": Self.adminPassword, "project_name": "service", "user_domain_name": "Default",
                              "project_domain_name": "Default"],
            "keystone_authtoken": ["www_authenticate_uri": cloud.authURL, "memcached_servers": "127.0.0.1:11211"],
            "cinder_client": ["region_name": "RegionOne"],
            "drivers": ["openstack_ca_file": caBundlePath],
            "certificates": ["cert_manager_type": "x509keypair"],
        ]
        for (section, options) in extra {
            for (key, value) in options { sections[section, default: [:]][key] = value == Self.unset ? nil : value }
        }
        return RuntimeConfiguration.ini(sections)
    }

    func configuration(_ extra: [String: [String: String]] = [:]) throws -> Configuration {
        try RuntimeConfiguration.parse(configurationText(extra))
    }

    /// A token of `user` scoped to `project`, from the fake Keystone (what magnum-api's context carries).
    func token(user: String, password: String = RuntimeTestbed.userPassword, project: String) async throws -> String {
        let session = try KeystoneSession(configuration: OpenStackConfiguration(
            authURL: cloud.authURL, credentials: .password(username: user, password: SecretString(password), project: .id(project))),
            logger: Logger(label: "test-token"))
        return try await session.currentToken().value.value
    }
}

/// `magnum.conf` text → `Configuration` with the runtime's options registered.
enum RuntimeConfiguration {
    static func registry() -> OptionRegistry {
        var registry = OptionRegistry(X509Options.optionSpecs)
        CapiHelmRuntimeOptions.register(into: &registry)
        return registry
    }

    static func ini(_ sections: [String: [String: String]]) -> String {
        var text = ""
        for section in sections.keys.sorted() {
            text += "[\(section)]\n"
            for (key, value) in (sections[section] ?? [:]).sorted(by: { $0.key < $1.key }) { text += "\(key) = \(value)\n" }
            text += "\n"
        }
        return text
    }

    static func parse(_ text: String) throws -> Configuration {
        Configuration(registry: registry(), files: [try ConfigFile(path: "magnum.conf", contents: text)])
    }
}

/// Lets at most `limit` tasks through at once (the case tests each start servers and processes).
actor Gate {
    let limit: Int
    var running = 0
    var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func enter() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// A log handler that keeps every line (level, message, metadata), to check what reaches logs.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return lines.joined(separator: "\n")
    }

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var logger: Logger {
        var logger = Logger(label: "capi-helm-runtime-tests") { _ in Handler(sink: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let sink: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.level) \(event.message) \(merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}
