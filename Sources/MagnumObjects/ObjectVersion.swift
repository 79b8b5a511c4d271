/// An oslo.versionedobjects version, `major.minor` ("1.24"). Compatible when the majors match and
/// the minor is not newer than ours — the rule oslo applies to objects and RPC APIs alike.
public struct ObjectVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses "1.24" (also "1", which oslo reads as "1.0").
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let major = Int(parts[0]), major >= 0 else { return nil }
        var minor = 0
        if parts.count == 2 {
            guard let m = Int(parts[1]), m >= 0 else { return nil }
            minor = m
        }
        self.init(major, minor)
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: ObjectVersion, rhs: ObjectVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// Whether something at `self` can serve a caller that asks for `requested`.
    public func canServe(_ requested: ObjectVersion) -> Bool {
        major == requested.major && requested.minor <= minor
    }
}
