/// The passphrase a stored private key is encrypted with (`private_key_passphrase` of an
/// `X509KeyPair`). It prints as `<redacted>` everywhere, so it cannot leak into a log line, an
/// error or a debugger dump by accident; `secret` is the one deliberate way to read it.
public struct KeyPassphrase: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The passphrase itself, for storing it in its `X509KeyPair` row. Never log it.
    public let secret: String

    public init(_ secret: String) {
        self.secret = secret
    }

    /// A new passphrase made as Magnum makes them (`short_id.generate_id()`: 12 characters of
    /// `[a-z2-7]`).
    public static func generate() -> KeyPassphrase {
        KeyPassphrase(ShortID.generate())
    }

    /// The bytes PBKDF2 sees: Magnum encodes passphrases as Latin-1 before handing them to
    /// `cryptography`.
    var bytes: [UInt8] { secret.latin1OrUTF8Bytes }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "KeyPassphrase(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
