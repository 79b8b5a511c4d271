import SwiftASN1

/// How a private key is encrypted in its PEM: PKCS#8 `EncryptedPrivateKeyInfo` with PBES2
/// (RFC 8018), PBKDF2 deriving an AES-CBC key from the passphrase.
///
/// `.magnum` is exactly what Magnum writes: `serialization.BestAvailableEncryption(password)` with
/// `PrivateFormat.PKCS8` in Python's `cryptography` 50 produces PBES2, PBKDF2 with
/// hmacWithSHA256, 2048 iterations and a 16-byte salt, AES-256-CBC with a 16-byte IV.
public struct PrivateKeyEncryption: Sendable, Equatable {
    /// PBKDF2's pseudo-random function.
    public enum PRF: String, Sendable, Equatable, CaseIterable {
        case hmacWithSHA1, hmacWithSHA224, hmacWithSHA256, hmacWithSHA384, hmacWithSHA512

        var oid: ASN1ObjectIdentifier {
            switch self {
            case .hmacWithSHA1: return [1, 2, 840, 113549, 2, 7]
            case .hmacWithSHA224: return [1, 2, 840, 113549, 2, 8]
            case .hmacWithSHA256: return [1, 2, 840, 113549, 2, 9]
            case .hmacWithSHA384: return [1, 2, 840, 113549, 2, 10]
            case .hmacWithSHA512: return [1, 2, 840, 113549, 2, 11]
            }
        }
    }

    /// The AES-CBC variant the key is encrypted with.
    public enum Cipher: String, Sendable, Equatable, CaseIterable {
        case aes128CBC = "aes-128-cbc"
        case aes192CBC = "aes-192-cbc"
        case aes256CBC = "aes-256-cbc"

        var keyByteCount: Int {
            switch self {
            case .aes128CBC: return 16
            case .aes192CBC: return 24
            case .aes256CBC: return 32
            }
        }

        var oid: ASN1ObjectIdentifier {
            switch self {
            case .aes128CBC: return [2, 16, 840, 1, 101, 3, 4, 1, 2]
            case .aes192CBC: return [2, 16, 840, 1, 101, 3, 4, 1, 22]
            case .aes256CBC: return [2, 16, 840, 1, 101, 3, 4, 1, 42]
            }
        }
    }

    public var prf: PRF
    public var cipher: Cipher
    public var iterations: Int
    public var saltByteCount: Int

    public init(prf: PRF, cipher: Cipher, iterations: Int, saltByteCount: Int = 16) {
        self.prf = prf
        self.cipher = cipher
        self.iterations = iterations
        self.saltByteCount = saltByteCount
    }

    /// What Magnum's `BestAvailableEncryption` writes (see the type's documentation).
    public static let magnum = PrivateKeyEncryption(prf: .hmacWithSHA256, cipher: .aes256CBC, iterations: 2048, saltByteCount: 16)

    /// The most PBKDF2 iterations we accept when reading a key: a corrupt or hostile row must not
    /// be able to stall the worker for minutes.
    public static let maximumIterations = 10_000_000
}
