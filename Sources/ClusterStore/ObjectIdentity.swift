public import JSON
public import MagnumObjects

/// How Magnum's `add_identity_filter` (and `Cluster.get`) reads an identifier: an integer-like
/// value is a row id, a UUID-like string a uuid; anything else is `InvalidIdentity`.
public enum ObjectIdentity: Sendable, Hashable, CustomStringConvertible {
    case id(Int)
    case uuid(String)

    /// Classifies `value` with oslo.utils' `is_int_like` / `is_uuid_like` rules.
    public init(_ value: JSONValue) throws(MagnumError) {
        if let id = ObjectIdentity.intLike(value) {
            self = .id(id)
        } else if case .string(let s) = value, ObjectIdentity.isUUIDLike(s) {
            self = .uuid(s)
        } else {
            throw MagnumError("InvalidIdentity", ["identity": value])
        }
    }

    public init(_ text: String) throws(MagnumError) {
        try self.init(.string(text))
    }

    /// The identifier as Magnum's messages print it.
    public var description: String {
        switch self {
        case .id(let i): return String(i)
        case .uuid(let u): return u
        }
    }

    /// The identifier as the value the caller gave (for exception kwargs).
    public var jsonValue: JSONValue {
        switch self {
        case .id(let i): return .int(Int64(i))
        case .uuid(let u): return .string(u)
        }
    }

    /// `strutils.is_int_like`: `str(int(value)) == str(value)`.
    public static func intLike(_ value: JSONValue) -> Int? {
        switch value {
        case .int(let i): return Int(exactly: i)
        case .string(let s):
            guard let i = Int(s), String(i) == s else { return nil }
            return i
        default: return nil
        }
    }

    /// `uuidutils.is_uuid_like`: after removing `urn:` and `uuid:`, the braces around it and
    /// every dash, exactly 32 hexadecimal digits remain.
    public static func isUUIDLike(_ text: String) -> Bool {
        var s = text.replacing("urn:", with: "").replacing("uuid:", with: "")[...]
        while s.first == "{" || s.first == "}" { s = s.dropFirst() }
        while s.last == "{" || s.last == "}" { s = s.dropLast() }
        let hex = s.filter { $0 != "-" }
        return hex.count == 32 && hex.allSatisfy { $0.isASCII && $0.isHexDigit }
    }
}
