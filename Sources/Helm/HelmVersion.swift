internal import Foundation

/// A helm client version, parsed from `helm version` (`v3.17.2`, `v3.17.2+gcc0bbbd`, `v4.1.4`).
public struct HelmVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The oldest helm this worker supports: OCI charts became generally available in 3.8.0, and
    /// every flag the driver passes exists there.
    public static let minimumSupported = HelmVersion(major: 3, minor: 8, patch: 0)

    public var major: Int
    public var minor: Int
    public var patch: Int
    /// What helm printed, trimmed.
    public var text: String

    public init(major: Int, minor: Int, patch: Int, text: String? = nil) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.text = text ?? "v\(major).\(minor).\(patch)"
    }

    /// Parses `v3.17.2`, `3.17.2`, `v3.17.2+gcc0bbbd`, `v3.17.2-rc.1`; `nil` for anything else.
    public init?(parsing output: String) {
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        var core = Substring(text)
        if core.hasPrefix("v") { core = core.dropFirst() }
        if let end = core.firstIndex(where: { $0 == "+" || $0 == "-" }) { core = core[..<end] }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let major = Int(parts[0]), let minor = Int(parts[1]),
              let patch = Int(parts[2])
        else { return nil }
        self.init(major: major, minor: minor, patch: patch, text: text)
    }

    public static func < (lhs: HelmVersion, rhs: HelmVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public static func == (lhs: HelmVersion, rhs: HelmVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) == (rhs.major, rhs.minor, rhs.patch)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}
