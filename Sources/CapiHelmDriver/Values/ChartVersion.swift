/// An `openstack-cluster` chart version, and what its values look like
/// (azimuth-cloud/capi-helm-charts): `kubernetesDashboard` was removed from the addons in
/// 0.20.0, and `apiServer.allowedCidrs` became `apiServer.allowedCIDRs` in 0.24.0 (the old key
/// is silently ignored from then on).
public struct ChartVersion: Sendable, Equatable, Comparable {
    /// (major, minor, patch); `nil` for what is not a release number (`""`, a branch), which is
    /// treated as newer than every release.
    public let release: (Int, Int, Int)?

    public init(_ text: String) {
        var core = Substring(text)
        if core.first == "v" { core = core.dropFirst() }
        if let cut = core.firstIndex(where: { $0 == "-" || $0 == "+" }) { core = core[..<cut] }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 3, let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2]) {
            release = (a, b, c)
        } else {
            release = nil
        }
    }

    public static func == (lhs: ChartVersion, rhs: ChartVersion) -> Bool {
        switch (lhs.release, rhs.release) {
        case (nil, nil): return true
        case (let a?, let b?): return a == b
        default: return false
        }
    }

    public static func < (lhs: ChartVersion, rhs: ChartVersion) -> Bool {
        switch (lhs.release, rhs.release) {
        case (let a?, let b?): return a < b
        case (_?, nil): return true
        default: return false
        }
    }

    /// Whether the chart still ships the Kubernetes Dashboard addon.
    public var hasKubernetesDashboardAddon: Bool { self < ChartVersion("0.20.0") }

    /// Whether the chart reads `apiServer.allowedCIDRs` (rather than `allowedCidrs`).
    public var usesUpperCaseAllowedCIDRs: Bool { self >= ChartVersion("0.24.0") }
}
