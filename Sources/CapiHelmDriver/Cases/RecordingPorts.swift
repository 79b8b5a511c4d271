public import JSON
public import MagnumObjects
import Synchronization

// Ports that answer from a driver case's `input` and record every call in the case format
// (`expected.helm`, `expected.kubernetes`, `expected.openstack`), as the Python oracle's fakes do.
// `driver-case` and the tests run the driver against them.

/// Records `install_or_upgrade` / `uninstall_release`. (The recording ports are classes behind a
/// mutex rather than actors: a call costs no executor hop, like the Python fakes.)
public final class RecordingHelm: HelmPort {
    let log = Mutex<[JSONValue]>([])
    /// When set, every helm call fails with this message (after being recorded).
    let failure: String?

    public init(failure: String? = nil) { self.failure = failure }

    public var calls: [JSONValue] { log.withLock { $0 } }

    struct Failure: Error, CustomStringConvertible { let description: String }

    public func installOrUpgrade(release: String, chart: String, values: JSONValue, repo: String, version: String, namespace: String) async throws {
        log.withLock {
            $0.append(["call": "install_or_upgrade", "release": .string(release), "chart": .string(chart), "repo": .string(repo),
                       "version": .string(version), "namespace": .string(namespace), "values": values])
        }
        if let failure { throw Failure(description: failure) }
    }

    public func uninstallRelease(release: String, namespace: String) async throws {
        log.withLock { $0.append(["call": "uninstall_release", "release": .string(release), "namespace": .string(namespace)]) }
        if let failure { throw Failure(description: failure) }
    }
}

/// A management cluster frozen as the case's `input.k8s` describes it: `capi_cluster`,
/// `openstack_cluster`, `control_plane`, `machine_deployments` (by name), `addons`, `machines`
/// (by node group, each Machine optionally labelled), `secrets` (name → key → decoded value).
public final class RecordingKubernetes: KubernetesPort {
    let log = Mutex<[JSONValue]>([])
    let state: JSONValue

    public init(state: JSONValue) { self.state = state }

    public var calls: [JSONValue] { log.withLock { $0 } }

    func record(_ call: String, _ args: [JSONValue]) {
        log.withLock { $0.append(["call": .string(call), "args": .array(args), "kwargs": [:]]) }
    }

    static func selector(_ labels: LabelSelector) -> JSONValue {
        var o = JSONObject()
        for (k, v) in labels { o[k] = .string(v) }
        return .object(o)
    }

    public func ensureNamespace(_ namespace: String) async throws {
        record("ensure_namespace", [.string(namespace)])
    }

    public func applySecret(name: String, body: JSONValue, namespace: String) async throws {
        record("apply_secret", [.string(name), body, .string(namespace)])
    }

    public func deleteAllSecrets(label: String, value: String, namespace: String) async throws {
        record("delete_all_secrets_by_label", [.string(label), .string(value), .string(namespace)])
    }

    public func secretValue(name: String, namespace: String, key: String) async throws -> String? {
        record("get_secret_value", [.string(name), .string(namespace), .string(key)])
        return state["secrets"]?[name]?[key]?.stringValue
    }

    func object(_ key: String) -> JSONValue? {
        guard let v = state[key], !v.isNull else { return nil }
        return v
    }

    public func capiCluster(name: String, namespace: String) async throws -> JSONValue? {
        record("get_capi_cluster", [.string(name), .string(namespace)])
        return object("capi_cluster")
    }

    public func openStackCluster(name: String, namespace: String) async throws -> JSONValue? {
        record("get_capi_openstackcluster", [.string(name), .string(namespace)])
        return object("openstack_cluster")
    }

    public func controlPlane(name: String, namespace: String) async throws -> JSONValue? {
        record("get_k8s_control_plane", [.string(name), .string(namespace)])
        return object("control_plane")
    }

    public func machineDeployment(name: String, namespace: String) async throws -> JSONValue? {
        record("get_machine_deployment", [.string(name), .string(namespace)])
        guard let md = state["machine_deployments"]?[name], !md.isNull else { return nil }
        return md
    }

    public func addons(labels: LabelSelector, namespace: String) async throws -> [JSONValue] {
        record("get_addons_by_label", [Self.selector(labels), .string(namespace)])
        return state["addons"]?.arrayValue ?? []
    }

    /// Machines of the node group the selector names; for other selectors, every Machine whose
    /// labels match.
    public func machines(labels: LabelSelector, namespace: String) async throws -> [JSONValue] {
        record("get_all_machines_by_label", [Self.selector(labels), .string(namespace)])
        if let group = labels["capi.stackhpc.com/node-group"] {
            return state["machines"]?[group]?.arrayValue ?? []
        }
        var out: [JSONValue] = []
        for (_, list) in state["machines"]?.objectValue ?? [:] {
            for m in list.arrayValue ?? [] {
                guard let mine = m["metadata"]?["labels"]?.objectValue else { continue }
                if labels.allSatisfy({ mine[$0.key]?.stringValue == $0.value }) { out.append(m) }
            }
        }
        return out
    }

    public func annotateMachine(name: String, namespace: String, annotations: [String: String]) async throws {
        var o = JSONObject()
        for k in annotations.keys.sorted() { o[k] = .string(annotations[k] ?? "") }
        record("annotate_machine", [.string(name), .string(namespace), .object(o)])
    }
}

/// Glance, Nova, Cinder, Neutron and Keystone answering from the case input (`image`,
/// `flavors`, `volume_types`, `networks`, `subnets`, `app_credential`, `region`,
/// `openstack_ca`, `app_credential_create_fails`, `app_credential_delete_fails`,
/// `listed_app_credentials`, `app_credential_list_fails`), recording
/// the calls the oracle records (network look-ups by name, credential creation and deletion).
public final class RecordingOpenStack: OpenStackPort {
    let log = Mutex<[JSONValue]>([])
    let input: JSONValue
    let glanceImage: GlanceImage?
    let allFlavors: [Flavor]
    let types: [String]

    public init(input: JSONValue) {
        self.input = input
        if let raw = input["image"]?.objectValue {
            var attributes = raw
            attributes["properties"] = nil
            glanceImage = GlanceImage(id: raw["id"].map(PythonStr.of) ?? "", attributes: attributes,
                                      properties: raw["properties"]?.objectValue ?? [:])
        } else {
            glanceImage = nil
        }
        allFlavors = (input["flavors"]?.arrayValue ?? []).compactMap { f in
            guard let ram = f["ram"]?.intValue else { return nil }
            return Flavor(id: f["id"].map(PythonStr.of) ?? "", name: f["name"].map(PythonStr.of) ?? "", ram: ram,
                          vcpus: f["vcpus"]?.intValue ?? 0)
        }
        types = input["volume_types"]?.arrayValue?.map(PythonStr.of) ?? ["__DEFAULT__"]
    }

    public var calls: [JSONValue] { log.withLock { $0 } }

    func record(_ call: JSONValue) { log.withLock { $0.append(call) } }

    public func image(_ identifier: String, context: RequestContext) async throws -> GlanceImage {
        guard var image = glanceImage else { return GlanceImage(id: identifier) }
        if input["image"]?["id"] == nil { image.id = identifier }
        return image
    }

    public func flavors(minimumRAM: Int, context: RequestContext) async throws -> [Flavor] {
        allFlavors.filter { $0.ram >= minimumRAM }
    }

    public func volumeTypes(context: RequestContext) async throws -> [String] {
        types
    }

    public func networkID(name: String, external: Bool, context: RequestContext) async throws -> String {
        record(["call": "neutron.get_network", "name": .string(name), "external": .bool(external)])
        return input["networks"]?[name]?.stringValue ?? "\(name)-id"
    }

    public func externalNetworkID(_ network: String?, context: RequestContext) async throws -> String? {
        guard let network else { return nil }
        return input["networks"]?[network]?.stringValue ?? network
    }

    public func fixedSubnetID(_ subnet: String?, context: RequestContext) async throws -> String? {
        guard let subnet, !subnet.isEmpty else { return nil }
        return input["subnets"]?[subnet]?.stringValue ?? "\(subnet)-id"
    }

    public func createApplicationCredential(cluster: Cluster, context: RequestContext) async throws -> ApplicationCredential {
        record(["call": "keystone.create_application_credential", "cluster": JSONValue(cluster.uuid)])
        if let why = input["app_credential_create_fails"], why.pythonTruthiness {
            throw ApplicationCredentialError(why.stringValue ?? "Failed to create application credential.")
        }
        let cred = input["app_credential"] ?? ["id": "appcred-id", "secret": "appcred-secret"]
        return ApplicationCredential(id: cred["id"].map(PythonStr.of) ?? "", secret: cred["secret"].map(PythonStr.of) ?? "")
    }

    public func deleteApplicationCredential(id: String, cluster: Cluster) async throws {
        record(["call": "keystone.delete_application_credential", "id": .string(id)])
        if let fails = input["app_credential_delete_fails"], fails.pythonTruthiness {
            throw ApplicationCredentialError("403 Forbidden from Keystone")
        }
    }

    /// The case's `listed_app_credentials` (ids; none by default); `app_credential_list_fails`.
    public func managedApplicationCredentialIDs(cluster: Cluster) async throws -> [String] {
        record(["call": "keystone.list_application_credentials", "cluster": JSONValue(cluster.uuid)])
        if let fails = input["app_credential_list_fails"], fails.pythonTruthiness {
            throw ApplicationCredentialError("403 Forbidden from Keystone")
        }
        return input["listed_app_credentials"]?.arrayValue?.map(PythonStr.of) ?? []
    }

    public func cloudEndpoint(context: RequestContext) async throws -> CloudEndpoint {
        let region = input["region"].map { $0.isNull ? nil : PythonStr.of($0) } ?? "RegionOne"
        return CloudEndpoint(regionName: region, authURL: context.authURL)
    }

    public func openStackCACertificate() async throws -> String {
        input["openstack_ca"]?.stringValue ?? "(CA bundle)"
    }
}

/// The case's `certificates` (name → `tls.crt` / `tls.key`), or the oracle's placeholders.
public struct StaticCertificates: CertificatePort {
    public let certificates: [ClusterCertificate]

    public init(input: JSONValue?) {
        let source: JSONObject = input?.objectValue ?? [
            "ca": ["tls.crt": "CA-CERT", "tls.key": "CA-KEY"],
            "etcd": ["tls.crt": "ETCD-CERT", "tls.key": "ETCD-KEY"],
            "proxy": ["tls.crt": "PROXY-CERT", "tls.key": "PROXY-KEY"],
            "sa": ["tls.crt": "SA-PUB", "tls.key": "SA-KEY"],
        ]
        certificates = source.map { name, pair in
            ClusterCertificate(name: name, certificate: pair["tls.crt"].map(PythonStr.of) ?? "",
                               privateKey: pair["tls.key"].map(PythonStr.of) ?? "")
        }
    }

    public func certificates(for cluster: Cluster, context: RequestContext) async throws -> [ClusterCertificate] {
        certificates
    }
}

/// Magnum's tables in memory: clusters, templates and nodegroups (ids in creation order, as the
/// database assigns them), and the operation start times of `operation_timeouts`.
public final class InMemoryClusterStore: ClusterPersistence {
    struct Tables {
        var clusters: [String: Cluster] = [:]
        var templates: [String: ClusterTemplate] = [:]
        var nodeGroups: [NodeGroup] = []
        var operationStarts: [String: Timestamp] = [:]
        var nextNodeGroupID = 1
        var nextClusterID = 1
    }

    let tables = Mutex(Tables())

    public init() {}

    /// Inserts a template as the database would hold it (unset fields at their defaults).
    public func insert(_ template: ClusterTemplate) throws(ObjectError) -> ClusterTemplate {
        var t = template
        try Self.fillDefaults(&t.base)
        t.resetChanges()
        let stored = t
        tables.withLock { $0.templates[stored.uuid ?? ""] = stored }
        return t
    }

    public func insert(_ cluster: Cluster) throws(ObjectError) -> Cluster {
        var c = cluster
        if c.id == nil {
            c.id = tables.withLock { t in
                defer { t.nextClusterID += 1 }
                return t.nextClusterID
            }
        }
        try Self.fillDefaults(&c.base)
        c.resetChanges()
        let stored = c
        tables.withLock { $0.clusters[stored.uuid ?? ""] = stored }
        return c
    }

    public func insert(_ nodeGroup: NodeGroup) throws(ObjectError) -> NodeGroup {
        var ng = nodeGroup
        ng.id = tables.withLock { t in
            defer { t.nextNodeGroupID += 1 }
            return t.nextNodeGroupID
        }
        try Self.fillDefaults(&ng.base)
        ng.resetChanges()
        let stored = ng
        tables.withLock { $0.nodeGroups.append(stored) }
        return ng
    }

    /// What reading a row back gives: every field set, unset ones as null or their default
    /// (oslo refuses a null in a field that has neither).
    static func fillDefaults(_ object: inout VersionedObject) throws(ObjectError) {
        for spec in object.schema.fields where object[spec.name] == nil || object[spec.name]?.isNull == true {
            if case .object = spec.type { continue }
            if spec.name == "created_at" || spec.name == "updated_at" { continue }
            object.set(spec.name, try spec.coerce(.null, objectName: object.name))
        }
    }

    public func cluster(uuid: String) -> Cluster? { tables.withLock { $0.clusters[uuid] } }

    public func setOperationStart(clusterUUID: String, at time: Timestamp?) {
        tables.withLock { $0.operationStarts[clusterUUID] = time }
    }

    public func saveCluster(_ cluster: Cluster) async throws {
        let changes = cluster.changedValues
        let found = tables.withLock { t -> Bool in
            guard let uuid = cluster.uuid, var stored = t.clusters[uuid] else { return false }
            for (field, value) in changes { stored.base.set(field, value) }
            stored.resetChanges()
            t.clusters[uuid] = stored
            return true
        }
        if !found { throw MagnumError.clusterNotFound(cluster.uuid ?? "") }
    }

    public func nodeGroups(clusterUUID: String) async throws -> [NodeGroup] {
        tables.withLock { t in t.nodeGroups.filter { $0.clusterId == clusterUUID }.sorted { ($0.id ?? 0) < ($1.id ?? 0) } }
    }

    public func saveNodeGroup(_ nodeGroup: NodeGroup) async throws {
        let changes = nodeGroup.changedValues
        let found = tables.withLock { t -> Bool in
            guard let i = t.nodeGroups.firstIndex(where: { $0.id == nodeGroup.id }) else { return false }
            for (field, value) in changes { t.nodeGroups[i].base.set(field, value) }
            t.nodeGroups[i].resetChanges()
            return true
        }
        if !found { throw MagnumError.nodeGroupNotFound(nodeGroup.name ?? "") }
    }

    public func destroyNodeGroup(_ nodeGroup: NodeGroup) async throws {
        tables.withLock { $0.nodeGroups.removeAll { $0.id == nodeGroup.id } }
    }

    public func clusterTemplate(uuid: String) async throws -> ClusterTemplate {
        guard let t = tables.withLock({ $0.templates[uuid] }) else { throw MagnumError.clusterTemplateNotFound(uuid) }
        return t
    }

    public func operationStart(clusterUUID: String) async throws -> Timestamp? {
        tables.withLock { $0.operationStarts[clusterUUID] }
    }

    public func recordOperationStart(clusterUUID: String, at time: Timestamp) async throws {
        tables.withLock { $0.operationStarts[clusterUUID] = time }
    }
}
