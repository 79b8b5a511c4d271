public import JSON

/// Cluster API v1beta2 objects seen the way the driver reads v1beta1 ones.
///
/// A management cluster that serves Cluster API only at v1beta2 returns the new status shape:
/// new-style `conditions`, the v1beta1 conditions, failure fields and replica counters moved
/// under `status.deprecated.v1beta1`, and `initialization` instead of `infrastructureReady` /
/// `controlPlaneReady`. The driver maps v1beta1 semantics (`Ready`, `ControlPlaneReady`,
/// `MachinesReady`..., `updatedReplicas`), so this puts them back where v1beta1 has them — the
/// same thing Cluster API's own conversion does when the object is read at v1beta1 — and keeps
/// the v1beta2 conditions under `status.v1beta2`, as v1beta1 objects carry them.
public enum ClusterAPIV1Beta2 {
    /// `object` (read at v1beta2) as its v1beta1 form's `status`; other fields are unchanged.
    public static func v1beta1View(_ object: JSONValue) -> JSONValue {
        guard var top = object.objectValue, var status = top["status"]?.objectValue else { return object }
        let deprecated = status["deprecated"]?["v1beta1"]?.objectValue ?? [:]
        var v1beta2: JSONObject = [:]
        if let conditions = status["conditions"] { v1beta2["conditions"] = conditions }
        // Counters whose meaning changed: the v1beta2 values move aside, the v1beta1 ones return.
        for key in ["readyReplicas", "availableReplicas", "upToDateReplicas"] where status[key] != nil && deprecated[key] != nil {
            v1beta2[key] = status[key]
        }
        if status["upToDateReplicas"] != nil { v1beta2["upToDateReplicas"] = status["upToDateReplicas"] }
        status["conditions"] = deprecated["conditions"] ?? .array([])
        for (key, value) in deprecated where key != "conditions" {
            status[key] = value
        }
        if let initialization = status["initialization"]?.objectValue {
            if let provisioned = initialization["infrastructureProvisioned"] { status["infrastructureReady"] = provisioned }
            if let initialized = initialization["controlPlaneInitialized"] {
                // A Cluster reports its control plane as ready; a control plane as initialized.
                if top["kind"]?.stringValue == "Cluster" {
                    status["controlPlaneReady"] = initialized
                } else {
                    status["initialized"] = initialized
                }
            }
        }
        status.removeValue(forKey: "deprecated")
        if !v1beta2.isEmpty { status["v1beta2"] = .object(v1beta2) }
        top["status"] = .object(status)
        return .object(top)
    }
}
