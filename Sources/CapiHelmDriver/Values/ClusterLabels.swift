public import MagnumObjects
public import OrderedCollections

/// A cluster's labels as magnum-capi-helm reads them: template labels overridden by cluster
/// labels, each value stripped of characters outside `[a-zA-Z0-9.\-/ _]` — except that, when
/// the merged labels are empty, defaults come back untouched (1.4.0 only sanitises what it
/// looks up in a non-empty dictionary).
public struct ClusterLabels: Sendable, Equatable {
    /// `mergeconcat(template.labels, cluster.labels)`; `nil` when both are unset.
    public let merged: OrderedDictionary<String, String>?
    /// The template's own labels (the chart version label is read only there).
    public let templateLabels: OrderedDictionary<String, String>?

    public init(template: OrderedDictionary<String, String>?, cluster: OrderedDictionary<String, String>?) {
        templateLabels = template
        switch (template, cluster) {
        case (var t?, let c?):
            for (k, v) in c { t[k] = v }
            merged = t
        case (let t?, nil): merged = t
        case (nil, let c): merged = c
        }
    }

    public init(cluster: Cluster, template: ClusterTemplate) {
        self.init(template: template.labels, cluster: cluster.labels)
    }

    /// `_label(cluster, key, default)`.
    public func string(_ key: String, default defaultValue: String) -> String {
        guard let merged, !merged.isEmpty else { return defaultValue }
        return PythonText.sanitizeLabel(merged[key] ?? defaultValue)
    }

    /// `_get_label_bool`: oslo's `bool_from_string`, the default for anything unrecognised.
    public func bool(_ key: String, default defaultValue: Bool) -> Bool {
        PythonText.boolFromString(string(key, default: ""), default: defaultValue)
    }

    /// `_get_label_int`: Python's `int()`, the default when empty or not a number.
    public func int(_ key: String, default defaultValue: Int) -> Int {
        let s = string(key, default: "")
        if s.isEmpty { return defaultValue }
        return PythonText.int(s) ?? defaultValue
    }

    /// `_get_label_csv`: comma-separated entries, each stripped of characters outside
    /// `[a-zA-Z0-9.\-/:]`.
    public func list(_ key: String, default defaultValue: String) -> [String] {
        var raw = merged?[key] ?? ""
        if raw.isEmpty { raw = defaultValue }
        if raw.isEmpty { return [] }
        var out: [String] = []
        for entry in raw.split(separator: ",", omittingEmptySubsequences: false) {
            let stripped = PythonText.strip(entry)
            if stripped.isEmpty { continue }
            out.append(PythonText.sanitizeListEntry(String(stripped)))
        }
        return out
    }

    /// `_get_chart_version`: the template's `capi_helm_chart_version` or the default, stripped of
    /// characters outside `[a-z0-9.\-+]`.
    public func chartVersion(default defaultValue: String) -> String {
        PythonText.sanitizeChartVersion(templateLabels?["capi_helm_chart_version"] ?? defaultValue)
    }
}
