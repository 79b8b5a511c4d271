import ClusterCertificates
import ClusterStore
public import JSON
import MagnumObjects
import Worker

/// The database a replay starts from: rows of Magnum's `cluster_template`, `cluster` and
/// `nodegroup` tables, as object primitives' data (`{"cluster_templates": [...], "clusters":
/// [...], "nodegroups": [...]}`; `id` is ignored). Clusters without certificate references get
/// Magnum's four key pairs, as a real cluster has them.
///
/// A replay seeds the embedded world of the recordings (`ReplayDefaults.seed`), then the
/// operator's `--seed` file, whose rows replace embedded ones with the same uuid. (The
/// recording's replies are not used: they show the database *after* each request.)
public struct ReplaySeed: Sendable, Equatable {
    public var clusterTemplates: [JSONObject] = []
    public var clusters: [JSONObject] = []
    public var nodeGroups: [JSONObject] = []

    public init() {}

    public struct SeedError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Reads the seed format.
    public init(json: JSONValue) throws(SeedError) {
        guard case .object(let o) = json else { throw SeedError(description: "a seed is a JSON object with cluster_templates, clusters and nodegroups") }
        for key in o.keys where !["cluster_templates", "clusters", "nodegroups"].contains(key) {
            throw SeedError(description: "unknown seed key \"\(key)\" (expected cluster_templates, clusters, nodegroups)")
        }
        func rows(_ key: String) throws(SeedError) -> [JSONObject] {
            guard let value = o[key] else { return [] }
            guard let array = value.arrayValue else { throw SeedError(description: "\(key) must be an array of objects") }
            var out: [JSONObject] = []
            for (i, row) in array.enumerated() {
                guard let object = row.objectValue, object["uuid"]?.stringValue != nil else {
                    throw SeedError(description: "\(key)[\(i)] must be an object with a uuid")
                }
                out.append(object)
            }
            return out
        }
        clusterTemplates = try rows("cluster_templates")
        clusters = try rows("clusters")
        nodeGroups = try rows("nodegroups")
    }

    /// The embedded world of the recordings.
    public static var embedded: ReplaySeed {
        // The literal is checked by the tests; a failure here is a programming error.
        (try? ReplaySeed(json: (try? JSONValue(parsing: ReplayDefaults.seed)) ?? .null)) ?? ReplaySeed()
    }

    /// Rows of `other` replace or join these, by uuid.
    public mutating func merge(_ other: ReplaySeed) {
        func merged(_ a: [JSONObject], _ b: [JSONObject]) -> [JSONObject] {
            var out = a
            for row in b {
                if let i = out.firstIndex(where: { $0["uuid"] == row["uuid"] }) { out[i] = row } else { out.append(row) }
            }
            return out
        }
        clusterTemplates = merged(clusterTemplates, other.clusterTemplates)
        clusters = merged(clusters, other.clusters)
        nodeGroups = merged(nodeGroups, other.nodeGroups)
    }

    /// Every uuid in the seed (kept as they are in a replay's result).
    var uuids: [String] {
        (clusterTemplates + clusters + nodeGroups).compactMap { $0["uuid"]?.stringValue }
    }

    /// Writes the rows; clusters without certificates get them from `certificates`.
    func apply(to store: any ClusterStore, certificates: ClusterCertificateService) async throws {
        for row in clusterTemplates { _ = try await store.createClusterTemplate(row) }
        for row in clusters {
            var values = row
            if (values["ca_cert_ref"]?.stringValue ?? "").isEmpty {
                var cluster = Cluster()
                cluster.uuid = values["uuid"]?.stringValue
                cluster.name = values["name"]?.stringValue
                try await certificates.generateCertificates(
                    for: &cluster,
                    context: CertificateContext(projectId: values["project_id"]?.stringValue, userId: values["user_id"]?.stringValue))
                values["ca_cert_ref"] = cluster.caCertRef.map { .string($0) } ?? .null
                values["etcd_ca_cert_ref"] = cluster.etcdCACertRef.map { .string($0) } ?? .null
                values["front_proxy_ca_cert_ref"] = cluster.frontProxyCACertRef.map { .string($0) } ?? .null
                values["magnum_cert_ref"] = cluster.magnumCertRef.map { .string($0) } ?? .null
            }
            _ = try await store.createCluster(values)
        }
        for row in nodeGroups { _ = try await store.createNodeGroup(row) }
    }
}
