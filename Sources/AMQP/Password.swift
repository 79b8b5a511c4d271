/// A broker password that cannot leak by accident.
///
/// Printing, interpolating, dumping or reflecting a `Password` shows `********`, so a
/// configuration, an endpoint or an error can be logged whole. Only the connection code inside
/// this module reads the real value, when it logs in.
public struct Password: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    let value: String

    public init(_ value: String) { self.value = value }
    public init(stringLiteral value: String) { self.value = value }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { "********" }
    public var debugDescription: String { "Password(********)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
