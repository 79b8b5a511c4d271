public import JSON
public import MagnumObjects

/// The names magnum-capi-helm gives things on the management cluster.
public enum CapiNaming {
    /// `<prefix>-<project id lower-cased, only [a-z0-9]>`.
    public static func namespace(projectId: String?, prefix: String) -> String {
        let project = PythonText.keep((projectId ?? "").lowercased()) {
            ($0.value >= 0x30 && $0.value <= 0x39) || ($0.value >= 0x61 && $0.value <= 0x7A)
        }
        return "\(prefix)-\(project)"
    }

    /// `driver_utils.sanitized_name`: lower case, runs of anything but `[a-z0-9]` as `-`, dashes
    /// trimmed; `nil` for an empty name.
    public static func sanitizedName(_ name: String?, suffix: String? = nil) -> String? {
        PythonText.sanitizedName(name, suffix: suffix)
    }

    /// `<release>-<suffix>` sanitised (`-control-plane`, `-cloud-credentials`, `-<nodegroup>`...).
    public static func resourceName(release: String?, _ suffix: String?) -> String? {
        PythonText.sanitizedName(release, suffix: suffix)
    }

    /// A new release name: the sanitised cluster name cut to 30 characters, `-`, and a random
    /// 12-character id, lower-cased.
    public static func releaseName(clusterName: String?, randomSuffix: String) -> String {
        let base = PythonText.sanitizedName(clusterName) ?? ""
        return "\(String(base.unicodeScalars.prefix(30)))-\(randomSuffix)".lowercased()
    }

    /// Python's `s[:n]` (code points, not grapheme clusters).
    static func prefix(_ s: String, _ n: Int) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s.unicodeScalars.prefix(n))
        return String(v)
    }

    /// The labels on every object the driver creates.
    public static func resourceLabels(cluster: Cluster, release: String?) -> JSONObject {
        [
            "magnum.openstack.org/project-id": .string(prefix(cluster.projectId ?? "", 63)),
            "magnum.openstack.org/user-id": .string(prefix(cluster.userId ?? "", 63)),
            "magnum.openstack.org/cluster-uuid": .string(prefix(cluster.uuid ?? "", 63)),
            "cluster.x-k8s.io/cluster-name": JSONValue(release),
        ]
    }
}
