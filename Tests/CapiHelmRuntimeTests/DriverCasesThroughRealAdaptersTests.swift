import CapiHelmDriver
import CapiHelmRuntime
import ClusterCertificates
import ClusterStore
import FakeKubernetes
import FakeOpenStack
import Foundation
import JSON
import Kubernetes
import Logging
import MagnumObjects
import OpenStack
import Testing
import TestSupport

/// Every conformance case of the Python driver, run through the driver with the REAL adapters
/// (`CapiHelmRuntime.start` from a magnum.conf): helm is a recording script started by
/// `HelmCommandExecutor`, the management cluster a fake API server over HTTPS with client
/// certificates, OpenStack a fake cloud reached with the caller's re-scoped token, Magnum's
/// tables an SQLite `ClusterStore`, certificates real ones from the `x509keypair` table. The
/// outcome must be the case's `expected`: helm argv and values, the Kubernetes requests the
/// Python client would make and the Secrets left on the server, the OpenStack calls, the rows.
///
/// The oracle's fakes answered with placeholders where ours answer with real things; those are
/// substituted in the expectation after checking they are real: the application credential
/// (created by Keystone; its secret must authenticate), Keystone's public URL (from the
/// catalog), the CA bundle (`[drivers] openstack_ca_file`) and the certificates (Magnum's).
@Suite struct DriverCasesThroughRealAdaptersTests {
    static let gate = Gate(limit: 3)

    static let caseNames: [String] = (try? StoredDriverCase.names()) ?? []

    @Test func everyConformanceCaseIsHere() {
        #expect(Self.caseNames.count == 43)
    }

    @Test(arguments: caseNames)
    func caseThroughRealAdapters(_ file: String) async throws {
        await Self.gate.enter()
        do {
            try await run(file)
        } catch {
            await Self.gate.leave()
            throw error
        }
        await Self.gate.leave()
    }

    func run(_ file: String) async throws {
        let testCase = try StoredDriverCase(file: file)
        let input = testCase.input
        let certificates = try await SharedCertificates.pairs.value

        // The cloud as the oracle's fakes answered: the image under the name the driver asks
        // for, flavors, networks (the template's external network is external), subnets,
        // volume types, and the cluster's existing application credential.
        var data = FakeOpenStackCloud.Data()
        var image = input["image"]?.objectValue ?? [:]
        let templateImage = input["operation_args"]?["new_template"]?["image_id"]?.stringValue ?? input["cluster_template"]?["image_id"]?.stringValue ?? ""
        if !isUUIDLike(templateImage) { image["name"] = .string(templateImage) }
        image["status"] = "active"
        data.images = [.object(image)]
        data.flavors = input["flavors"]?.arrayValue ?? []
        let external = input["cluster_template"]?["external_network_id"]?.stringValue
        data.networks = (input["networks"]?.objectValue ?? [:]).map { name, id in
            ["id": id, "name": .string(name), "router:external": .bool(name == external), "status": "ACTIVE"]
        }
        data.subnets = (input["subnets"]?.objectValue ?? [:]).map { name, id in ["id": id, "name": .string(name), "network_id": "net"] }
        data.volumeTypes = (input["volume_types"]?.arrayValue ?? []).enumerated().map { i, name in
            ["id": .string("vt-\(i)"), "name": name, "is_public": true]
        }
        let user = FakeOpenStackCloud.User(id: testCase.userID, name: input["context"]?["user_name"]?.stringValue ?? "demo",
                                           password: RuntimeTestbed.userPassword, projectID: testCase.projectID,
                                           projectName: input["context"]?["project_name"]?.stringValue ?? "demo")
        let bed = try await RuntimeTestbed.start(cloudData: data, users: [user])
        defer { Task { await bed.close() } }
        let oldCredential = input["app_credential"]?["id"]?.stringValue ?? ""
        bed.cloud.addApplicationCredential(userID: testCase.userID, id: oldCredential, name: "magnum-\(testCase.clusterUUID)-0a1b2c3d",
                                           secret: input["app_credential"]?["secret"]?.stringValue ?? "")
        try await seedKubernetes(testCase, bed.kubernetes)

        // Magnum's rows, certificates included.
        var refs: [String: String] = [:]
        for (type, pair) in certificates.rows {
            var row = pair
            row.projectId = testCase.projectID
            row.userId = testCase.userID
            _ = try await bed.store.create(row)
            refs[type.clusterField] = pair.uuid
        }
        let cluster = try await testCase.load(into: bed.store, certificateRefs: refs)

        let logs = LogCapture()
        let runtime: CapiHelmRuntime
        do {
            runtime = try await CapiHelmRuntime.start(configuration: try bed.configuration(testCase.configSections), store: bed.store,
                                                      logger: logs.logger)
        } catch {
            Issue.record("runtime did not start: \(error)")
            return
        }
        let requestsBefore = bed.kubernetes.requests.count
        let cloudRequestsBefore = bed.cloud.requests.count
        let driver = CapiHelmDriver(configuration: runtime.configuration, ports: runtime.ports, logger: logs.logger,
                                    releaseSuffix: { input["release_suffix"]?.stringValue ?? "abcdefghijkl" })
        let token = try await bed.token(user: user.name, project: testCase.projectID)
        var error: JSONValue?
        do {
            try await testCase.perform(driver, cluster: cluster, store: bed.store, context: testCase.context(token: token))
        } catch let thrown {
            error = DriverCase.describe(thrown)
        }
        await runtime.shutdown()

        // The error, and the rows.
        #expect(error == testCase.expected["error"], "\(file): error")
        let (clusterRow, groups) = try await testCase.outcome(store: bed.store)
        #expect(clusterRow == testCase.expected["cluster"], "\(file): cluster")
        #expect(groups == testCase.expected["nodegroups"], "\(file): nodegroups")

        // helm: argv and values exactly as the Python client would run them.
        let runs = try bed.helm.runs()
        let expectedHelm = testCase.expected["helm"]?.arrayValue ?? []
        #expect(runs.count == expectedHelm.count, "\(file): helm runs")
        for (run, call) in zip(runs, expectedHelm) {
            #expect(run.argv == Self.pythonHelmArgv(call, kubeconfig: bed.kubeconfigPath), "\(file): helm argv")
            if call["call"]?.stringValue == "install_or_upgrade" {
                #expect((try? JSONValue(parsing: run.standardInput)) == call["values"], "\(file): helm values")
            }
        }

        // Kubernetes: the requests, in order, and the objects left on the server.
        let expectedKubernetes = testCase.expected["kubernetes"]?.arrayValue ?? []
        let made = Array(bed.kubernetes.requests.dropFirst(requestsBefore)).map(KubernetesRequest.init)
        let wanted = expectedKubernetes.flatMap { Self.pythonRequests($0, resources: testCase) }
        #expect(made == wanted, "\(file): Kubernetes requests")
        try await checkSecrets(testCase, bed: bed, certificates: certificates)

        // OpenStack: credentials created and deleted, networks looked up — and nothing else
        // written.
        let cloudRequests = Array(bed.cloud.requests.dropFirst(cloudRequestsBefore))
        let expectedOpenStack = testCase.expected["openstack"]?.arrayValue ?? []
        let creates = cloudRequests.filter { $0.hasPrefix("POST /identity/v3/users/") }
        let deletes = cloudRequests.filter { $0.hasPrefix("DELETE ") }
        #expect(creates.count == expectedOpenStack.filter { $0["call"] == "keystone.create_application_credential" }.count, "\(file): credentials created")
        #expect(deletes.count == expectedOpenStack.filter { $0["call"] == "keystone.delete_application_credential" }.count, "\(file): credentials deleted")
        for call in expectedOpenStack {
            switch call["call"]?.stringValue {
            case "keystone.create_application_credential":
                #expect(creates == ["POST /identity/v3/users/\(testCase.userID)/application_credentials"], "\(file)")
                let names = bed.cloud.applicationCredentials.values.filter { $0 != "magnum-\(testCase.clusterUUID)-0a1b2c3d" }
                #expect(names.count == 1 && names.allSatisfy { $0.hasPrefix("magnum-\(testCase.clusterUUID)-") && $0.count == "magnum-\(testCase.clusterUUID)-".count + 8 },
                        "\(file): \(names)")
            case "keystone.delete_application_credential":
                let id = call["id"]?.stringValue ?? ""
                #expect(deletes == ["DELETE /identity/v3/users/\(testCase.userID)/application_credentials/\(id)"], "\(file)")
                #expect(bed.cloud.applicationCredentials[id] == nil, "\(file): credential \(id) still there")
            case "neutron.get_network":
                let name = call["name"]?.stringValue ?? ""
                let externalText = call["external"]?.boolValue == true ? "True" : "False"
                #expect(cloudRequests.contains { $0.hasSuffix("/network/v2.0/networks?name=\(name)&router:external=\(externalText)") },
                        "\(file): network \(name) looked up")
            default:
                Issue.record("\(file): unknown OpenStack call \(call)")
            }
        }
        // Tokens never reach a log line.
        #expect(!logs.text.contains(token), "\(file): the caller's token was logged")
    }

    // MARK: Kubernetes

    /// The objects the case's management cluster holds, with the metadata a real one would
    /// have (namespace, and the labels the driver selects them by).
    func seedKubernetes(_ testCase: StoredDriverCase, _ server: FakeKubernetesAPIServer) async throws {
        let k8s = testCase.input["k8s"] ?? [:]
        let namespace = testCase.namespace
        let release = testCase.release ?? ""
        guard k8s.objectValue?.isEmpty == false else { return }
        try await server.store.seed("namespaces", group: "", object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
        func withMetadata(_ object: JSONValue, name: String, labels: JSONObject = [:]) -> JSONValue {
            var top = object.objectValue ?? [:]
            var metadata = top["metadata"]?.objectValue ?? [:]
            metadata["name"] = .string(name)
            metadata["namespace"] = .string(namespace)
            var allLabels = metadata["labels"]?.objectValue ?? [:]
            for (k, v) in labels { allLabels[k] = v }
            if !allLabels.isEmpty { metadata["labels"] = .object(allLabels) }
            top["metadata"] = .object(metadata)
            return .object(top)
        }
        let clusterLabel: JSONObject = ["cluster.x-k8s.io/cluster-name": .string(release)]
        if let cluster = k8s["capi_cluster"], !cluster.isNull {
            try await server.store.seed("clusters", group: "cluster.x-k8s.io", object: withMetadata(cluster, name: release, labels: clusterLabel))
        }
        if let openStack = k8s["openstack_cluster"], !openStack.isNull {
            try await server.store.seed("openstackclusters", group: "infrastructure.cluster.x-k8s.io",
                                        object: withMetadata(openStack, name: release, labels: clusterLabel))
        }
        if let controlPlane = k8s["control_plane"], !controlPlane.isNull {
            try await server.store.seed("kubeadmcontrolplanes", group: "controlplane.cluster.x-k8s.io",
                                        object: withMetadata(controlPlane, name: "\(release)-control-plane", labels: clusterLabel))
        }
        for (name, deployment) in k8s["machine_deployments"]?.objectValue ?? [:] where !deployment.isNull {
            try await server.store.seed("machinedeployments", group: "cluster.x-k8s.io", object: withMetadata(deployment, name: name, labels: clusterLabel))
        }
        for (i, addon) in (k8s["addons"]?.arrayValue ?? []).enumerated() {
            let name = addon["metadata"]?["name"]?.stringValue ?? "addon-\(i)"
            try await server.store.seed("helmreleases", group: "addons.stackhpc.com",
                                        object: withMetadata(addon, name: name, labels: ["addons.stackhpc.com/cluster": .string(release)]))
        }
        for (group, machines) in k8s["machines"]?.objectValue ?? [:] {
            for (i, machine) in (machines.arrayValue ?? []).enumerated() {
                let name = machine["metadata"]?["name"]?.stringValue ?? "\(group)-\(i)"
                try await server.store.seed("machines", group: "cluster.x-k8s.io", object: withMetadata(machine, name: name, labels: [
                    "capi.stackhpc.com/cluster": .string(release), "capi.stackhpc.com/component": "worker",
                    "capi.stackhpc.com/node-group": .string(group), "cluster.x-k8s.io/cluster-name": .string(release),
                ]))
            }
        }
        for (name, values) in k8s["secrets"]?.objectValue ?? [:] {
            var data = JSONObject()
            for (key, value) in values.objectValue ?? [:] { data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString()) }
            try await server.store.seed("secrets", group: "", object: [
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "data": .object(data),
                "metadata": ["name": .string(name), "namespace": .string(namespace),
                             "labels": ["magnum.openstack.org/cluster-uuid": .string(testCase.clusterUUID)]],
            ])
        }
    }

    /// One request as the fake saw it: method, path, decoded query.
    struct KubernetesRequest: Equatable, CustomStringConvertible {
        var method: String
        var path: String
        var query: [String: String]

        init(method: String, path: String, query: [String: String] = [:]) {
            self.method = method
            self.path = path
            self.query = query
        }

        init(_ line: String) {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            method = parts.first ?? ""
            let uri = parts.count > 1 ? parts[1] : ""
            let pieces = uri.split(separator: "?", maxSplits: 1).map(String.init)
            path = (pieces.first ?? "").removingPercentEncoding ?? ""
            var query: [String: String] = [:]
            for item in (pieces.count > 1 ? pieces[1] : "").split(separator: "&") {
                let kv = item.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                query[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
            self.query = query
        }

        var description: String { "\(method) \(path) \(query.sorted { $0.key < $1.key })" }
    }

    /// The requests magnum-capi-helm's `kubernetes.Client` makes for one recorded call
    /// (`Resource.prepare_path`, `apply`, `fetch`, `fetch_all_by_label`, `delete_all_by_label`).
    static func pythonRequests(_ call: JSONValue, resources testCase: StoredDriverCase) -> [KubernetesRequest] {
        let args = call["args"]?.arrayValue ?? []
        func text(_ i: Int) -> String { i < args.count ? (args[i].stringValue ?? "") : "" }
        func selector(_ value: JSONValue?) -> String {
            (value?.objectValue ?? [:]).map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ",")
        }
        let apply = ["fieldManager": "magnum", "force": "true"]
        switch call["call"]?.stringValue {
        case "ensure_namespace":
            return [KubernetesRequest(method: "PATCH", path: "/api/v1/namespaces/\(text(0))", query: apply)]
        case "apply_secret":
            return [KubernetesRequest(method: "PATCH", path: "/api/v1/namespaces/\(text(2))/secrets/\(text(0))", query: apply)]
        case "delete_all_secrets_by_label":
            return [KubernetesRequest(method: "DELETE", path: "/api/v1/namespaces/\(text(2))/secrets", query: ["labelSelector": "\(text(0))=\(text(1))"])]
        case "get_secret_value":
            return [KubernetesRequest(method: "GET", path: "/api/v1/namespaces/\(text(1))/secrets/\(text(0))")]
        case "get_capi_cluster":
            return [KubernetesRequest(method: "GET", path: "/apis/cluster.x-k8s.io/v1beta1/namespaces/\(text(1))/clusters/\(text(0))")]
        case "get_capi_openstackcluster":
            return [KubernetesRequest(method: "GET", path: "/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/\(text(1))/openstackclusters/\(text(0))")]
        case "get_k8s_control_plane":
            return [KubernetesRequest(method: "GET", path: "/apis/controlplane.cluster.x-k8s.io/v1beta1/namespaces/\(text(1))/kubeadmcontrolplanes/\(text(0))")]
        case "get_machine_deployment":
            return [KubernetesRequest(method: "GET", path: "/apis/cluster.x-k8s.io/v1beta1/namespaces/\(text(1))/machinedeployments/\(text(0))")]
        case "get_addons_by_label":
            let query = ["labelSelector": selector(args.first)]
            return [
                KubernetesRequest(method: "GET", path: "/apis/addons.stackhpc.com/v1alpha1/namespaces/\(text(1))/helmreleases", query: query),
                KubernetesRequest(method: "GET", path: "/apis/addons.stackhpc.com/v1alpha1/namespaces/\(text(1))/manifests", query: query),
                KubernetesRequest(method: "GET", path: "/apis/addons.cluster.x-k8s.io/v1alpha1/namespaces/\(text(1))/helmchartproxies", query: query),
            ]
        case "get_all_machines_by_label":
            return [KubernetesRequest(method: "GET", path: "/apis/cluster.x-k8s.io/v1beta1/namespaces/\(text(1))/machines",
                                      query: ["labelSelector": selector(args.first)])]
        default:
            return [KubernetesRequest(method: "?", path: call.jsonString())]
        }
    }

    /// `helm upgrade ... --values -` / `helm uninstall ...` as magnum-capi-helm's `helm.Client`
    /// builds them, with `[capi_helm] kubeconfig_file`.
    static func pythonHelmArgv(_ call: JSONValue, kubeconfig: String) -> [String] {
        let release = call["release"]?.stringValue ?? "", namespace = call["namespace"]?.stringValue ?? ""
        if call["call"]?.stringValue == "uninstall_release" {
            return ["uninstall", release, "--timeout", "5m", "--namespace", namespace, "--kubeconfig", kubeconfig]
        }
        var argv = ["upgrade", release, call["chart"]?.stringValue ?? "", "--history-max", "10", "--install", "--output", "json",
                    "--timeout", "5m", "--values", "-", "--namespace", namespace]
        if let repo = call["repo"]?.stringValue, !repo.isEmpty { argv += ["--repo", repo] }
        if let version = call["version"]?.stringValue, !version.isEmpty { argv += ["--version", version] }
        return argv + ["--kubeconfig", kubeconfig]
    }

    /// The Secrets the case applied are on the server as the Python driver's bodies say (labels,
    /// type, values), and the ones it deleted are gone.
    func checkSecrets(_ testCase: StoredDriverCase, bed: RuntimeTestbed, certificates: SharedCertificates) async throws {
        let client = try KubernetesAPIClient(kubeconfigPath: bed.kubeconfigPath, logger: Logger(label: "check"))
        defer { client.shutdown() }
        let identityURL = bed.cloud.authURL
        let caBundle = try String(contentsOfFile: bed.caBundlePath, encoding: .utf8)
        var expectedSecrets: [String: JSONValue] = [:]
        for call in testCase.expected["kubernetes"]?.arrayValue ?? [] {
            let args = call["args"]?.arrayValue ?? []
            switch call["call"]?.stringValue {
            case "ensure_namespace":
                #expect(try await client.find(.namespaces, namespace: nil, name: args[0].stringValue ?? "") != nil, "\(testCase.name): namespace")
            case "apply_secret":
                expectedSecrets["\(args[2].stringValue ?? "")/\(args[0].stringValue ?? "")"] = args[1]
            case "delete_all_secrets_by_label":
                let left = try await client.list(.secrets, namespace: args[2].stringValue,
                                                 options: ListOptions(labelSelector: "\(args[0].stringValue ?? "")=\(args[1].stringValue ?? "")"))
                #expect(left.items.isEmpty, "\(testCase.name): labelled Secrets left")
            default: break
            }
        }
        for (key, body) in expectedSecrets {
            let parts = key.split(separator: "/").map(String.init)
            let secret = try #require(try await client.find(.secrets, namespace: parts[0], name: parts[1]), "\(testCase.name): Secret \(key)")
            #expect(secret.json["metadata"]?["labels"] == body["metadata"]?["labels"], "\(testCase.name): labels of \(key)")
            #expect(secret.json["type"] == (body["type"] ?? "Opaque"), "\(testCase.name): type of \(key)")
            var actual = JSONObject()
            for (name, value) in secret.json["data"]?.objectValue ?? [:] {
                actual[name] = .string(String(decoding: Data(base64Encoded: value.stringValue ?? "") ?? Data(), as: UTF8.self))
            }
            var wanted = JSONObject()
            for (name, value) in body["stringData"]?.objectValue ?? [:] {
                var text = value.stringValue ?? ""
                if let real = certificates.placeholders[text] { text = real }
                if name == "cacert" && text == "(CA bundle)" { text = caBundle }
                if name == "clouds.yaml" {
                    // The credential Keystone made: its id and secret must authenticate.
                    let actualYAML = actual[name]?.stringValue ?? ""
                    let id = Self.yamlValue(actualYAML, "application_credential_id")
                    let secretValue = Self.yamlValue(actualYAML, "application_credential_secret")
                    try await Self.expectAuthenticates(bed: bed, id: id, secret: secretValue, case: testCase.name)
                    let old = testCase.input["app_credential"] ?? [:]
                    text = text.replacingOccurrences(of: "application_credential_id: \(old["id"]?.stringValue ?? "")", with: "application_credential_id: \(id)")
                        .replacingOccurrences(of: "application_credential_secret: \(old["secret"]?.stringValue ?? "")",
                                              with: "application_credential_secret: \(secretValue)")
                        .replacingOccurrences(of: "auth_url: \(testCase.input["context"]?["auth_url"]?.stringValue ?? "")", with: "auth_url: \(identityURL)")
                }
                wanted[name] = .string(text)
            }
            #expect(JSONValue.object(actual) == .object(wanted), "\(testCase.name): values of \(key)")
        }
    }

    static func yamlValue(_ yaml: String, _ key: String) -> String {
        for line in yaml.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("\(key): ") { return String(trimmed.dropFirst(key.count + 2)) }
        }
        return ""
    }

    static func expectAuthenticates(bed: RuntimeTestbed, id: String, secret: String, case name: String) async throws {
        let session = try KeystoneSession(configuration: OpenStackConfiguration(
            authURL: bed.cloud.authURL, credentials: .applicationCredential(id: id, secret: SecretString(secret))), logger: Logger(label: "check"))
        do {
            _ = try await session.currentToken()
        } catch {
            Issue.record("\(name): the application credential in clouds.yaml does not authenticate: \(error)")
        }
    }
}

/// Real certificates, made once for every case (RSA keys are slow in debug builds): the four
/// `x509keypair` rows, and what the oracle's placeholders (`CA-CERT`, `CA-KEY`...) stand for.
struct SharedCertificates: Sendable {
    let rows: [(ClusterCAType, X509KeyPair)]
    let placeholders: [String: String]

    static let pairs = Task<SharedCertificates, any Error> {
        let keyPairs = InMemoryX509KeyPairStore()
        let service = ClusterCertificateService(store: keyPairs, options: .defaults, logger: Logger(label: "certs"))
        let context = CertificateContext(projectId: "generator", userId: "generator")
        var cluster = Cluster()
        cluster.uuid = UUID().uuidString.lowercased()
        cluster.name = "prod-east"
        try await service.generateCertificates(for: &cluster, context: context)
        var rows: [(ClusterCAType, X509KeyPair)] = []
        for type in ClusterCAType.allCases {
            var row = try await keyPairs.get(uuid: type.ref(in: cluster) ?? "", context: context)
            row.id = nil
            row.resetChanges()
            var fresh = X509KeyPair()
            for field in ["uuid", "certificate", "private_key", "private_key_passphrase", "intermediates"] {
                if let value = row.base[field] { try fresh.setValue(value, for: field) }
            }
            rows.append((type, fresh))
        }
        let secrets = try await service.certificateSecrets(of: cluster, context: context)
        let names: [String: (String, String)] = ["ca": ("CA-CERT", "CA-KEY"), "etcd": ("ETCD-CERT", "ETCD-KEY"),
                                                 "proxy": ("PROXY-CERT", "PROXY-KEY"), "sa": ("SA-PUB", "SA-KEY")]
        var placeholders: [String: String] = [:]
        for secret in secrets {
            guard let (cert, key) = names[secret.type.capiHelmSecretSuffix] else { continue }
            placeholders[cert] = secret.certificatePEM
            placeholders[key] = secret.privateKeyPEM
        }
        return SharedCertificates(rows: rows, placeholders: placeholders)
    }
}
