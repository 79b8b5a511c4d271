import JSON
public import MagnumObjects

/// A NodeGroup's `node_labels` and `node_taints` as openstack-cluster values (magnum-capi-helm
/// 1.4.0 ignores both): labels go to `nodeGroups[].nodeLabels` (rendered into the kubelet's
/// `--node-labels`), taints to `nodeGroups[].kubeadmConfigSpec.joinConfiguration
/// .nodeRegistration.taints` (merged by the chart with `nodeGroupDefaults.kubeadmConfigSpec`).
/// Control-plane labels go to `controlPlane.nodeLabels`.
public enum NodeLabelsAndTaints {
    static let effects: Set<String> = ["NoSchedule", "PreferNoSchedule", "NoExecute"]

    static func apply(to item: inout JSONObject, nodeGroup: NodeGroup) {
        if let labels = nodeGroup.nodeLabels, !labels.isEmpty {
            var o = JSONObject()
            for (k, v) in labels { o[k] = .string(v) }
            item["nodeLabels"] = .object(o)
        }
        if let taints = nodeGroup.nodeTaints, !taints.isEmpty {
            var list: [JSONValue] = []
            for t in taints {
                var taint: JSONObject = ["key": t["key"] ?? .null]
                if let v = t["value"], !v.isNull, v != "" { taint["value"] = v }
                taint["effect"] = t["effect"] ?? .null
                list.append(.object(taint))
            }
            item["kubeadmConfigSpec"] = ["joinConfiguration": ["nodeRegistration": ["taints": .array(list)]]]
        }
    }

    /// Why a node group's labels or taints would break its nodes, or `nil` when they are valid.
    /// The kubelet refuses `--node-labels` it may not set itself (most of `kubernetes.io` and
    /// `k8s.io`), and the API server refuses keys, values and effects Kubernetes does not allow.
    public static func problem(in nodeGroup: NodeGroup) -> String? {
        let name = nodeGroup.name ?? ""
        for (key, value) in nodeGroup.nodeLabels ?? [:] {
            if let why = KubernetesNames.qualifiedNameProblem(key) {
                return "node label key '\(key)' of node group \(name) is invalid: \(why)"
            }
            if let why = KubernetesNames.labelValueProblem(value) {
                return "node label '\(key)' of node group \(name) has an invalid value '\(value)': \(why)"
            }
            if !KubernetesNames.kubeletMaySetLabel(key) {
                return "node label '\(key)' of node group \(name) is in a namespace the kubelet may not set (kubernetes.io, k8s.io)"
            }
        }
        let taints = nodeGroup.nodeTaints ?? []
        if !taints.isEmpty, nodeGroup.role == NodeGroupRole.master {
            return "node taints on the control plane node group \(name) are not supported (they would replace the control-plane taint)"
        }
        for t in taints {
            guard let key = t["key"]?.stringValue else { return "a node taint of node group \(name) has no key" }
            if let why = KubernetesNames.qualifiedNameProblem(key) {
                return "node taint key '\(key)' of node group \(name) is invalid: \(why)"
            }
            if let v = t["value"], !v.isNull {
                guard let value = v.stringValue else { return "node taint '\(key)' of node group \(name) has a value that is not a string" }
                if let why = KubernetesNames.labelValueProblem(value) {
                    return "node taint '\(key)' of node group \(name) has an invalid value '\(value)': \(why)"
                }
            }
            guard let effect = t["effect"]?.stringValue, effects.contains(effect) else {
                return "node taint '\(key)' of node group \(name) needs an effect of NoSchedule, PreferNoSchedule or NoExecute"
            }
        }
        return nil
    }
}

/// Kubernetes' naming rules (apimachinery's validation), for refusing requests up front.
public enum KubernetesNames {
    static func isAlnum(_ s: Unicode.Scalar) -> Bool { PythonText.isASCIIAlnum(s) }
    static func isLowerAlnum(_ s: Unicode.Scalar) -> Bool {
        (s.value >= 0x30 && s.value <= 0x39) || (s.value >= 0x61 && s.value <= 0x7A)
    }

    /// RFC 1123 label: at most 63 of `[a-z0-9-]`, starting and ending alphanumeric.
    public static func dnsLabelProblem(_ s: String) -> String? {
        let u = Array(s.unicodeScalars)
        if u.isEmpty { return "must not be empty" }
        if u.count > 63 { return "must be no more than 63 characters (is \(u.count))" }
        guard u.allSatisfy({ isLowerAlnum($0) || $0 == "-" }), isLowerAlnum(u[0]), isLowerAlnum(u[u.count - 1]) else {
            return "must consist of lower case alphanumeric characters or '-', and start and end with an alphanumeric character"
        }
        return nil
    }

    /// RFC 1123 subdomain: at most 253 characters, dot-separated labels.
    public static func dnsSubdomainProblem(_ s: String) -> String? {
        if s.unicodeScalars.count > 253 { return "must be no more than 253 characters" }
        for part in s.split(separator: ".", omittingEmptySubsequences: false) {
            if let why = dnsLabelProblem(String(part)) {
                return "must be a lower case RFC 1123 subdomain (\(why))"
            }
        }
        return nil
    }

    /// A label value: empty, or at most 63 of `[A-Za-z0-9_.-]` starting and ending alphanumeric.
    public static func labelValueProblem(_ s: String) -> String? {
        let u = Array(s.unicodeScalars)
        if u.isEmpty { return nil }
        if u.count > 63 { return "must be no more than 63 characters" }
        guard u.allSatisfy({ isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." }), isAlnum(u[0]), isAlnum(u[u.count - 1]) else {
            return "must consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character"
        }
        return nil
    }

    /// A qualified name (label or taint key): an optional DNS subdomain prefix and `/`, then a
    /// name of at most 63 of `[A-Za-z0-9_.-]` starting and ending alphanumeric.
    public static func qualifiedNameProblem(_ s: String) -> String? {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        let name: String
        switch parts.count {
        case 1: name = s
        case 2:
            if parts[0].isEmpty { return "prefix part must not be empty" }
            if let why = dnsSubdomainProblem(String(parts[0])) { return "prefix part \(why)" }
            name = String(parts[1])
        default: return "a qualified name must have at most one '/'"
        }
        if name.isEmpty { return "name part must not be empty" }
        return labelValueProblem(name).map { "name part \($0)" }
    }

    /// The kubelet's `--node-labels` rule: labels in the `kubernetes.io` / `k8s.io` namespaces only
    /// from its own allowed list.
    public static func kubeletMaySetLabel(_ key: String) -> Bool {
        let parts = key.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return true }
        let ns = String(parts[0])
        let restricted = ns == "kubernetes.io" || ns.hasSuffix(".kubernetes.io") || ns == "k8s.io" || ns.hasSuffix(".k8s.io")
        guard restricted else { return true }
        if ns == "kubelet.kubernetes.io" || ns.hasSuffix(".kubelet.kubernetes.io") { return true }
        if ns == "node.kubernetes.io" || ns.hasSuffix(".node.kubernetes.io") { return true }
        return [
            "kubernetes.io/hostname", "kubernetes.io/instance-type", "kubernetes.io/os", "kubernetes.io/arch",
            "beta.kubernetes.io/instance-type", "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
            "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
            "topology.kubernetes.io/zone", "topology.kubernetes.io/region",
        ].contains(key)
    }
}
