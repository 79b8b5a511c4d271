public import MagnumObjects
import X509

/// Why a key, a certificate or a CSR could not be read, made or signed.
///
/// The text says what was wrong with the input (its shape, the algorithm it asks for) and never
/// carries a private key, a passphrase or derived key material, so it is safe in logs and replies.
/// `magnumError` is the exception Magnum raises for the same condition, when it has one.
public struct CertificateOperationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// No PEM block of the expected kind, or one whose base64 does not decode.
        case malformedPEM
        /// The DER inside the PEM is not a private key we can read.
        case malformedKey
        /// The key is encrypted and the passphrase does not open it.
        case incorrectPassphrase
        /// The key is encrypted and no passphrase was given.
        case passphraseRequired
        /// The key is encrypted with a scheme we do not implement (PBES1, 3DES, ...).
        case unsupportedKeyEncryption
        /// The key is not an RSA key (Magnum only makes RSA keys).
        case unsupportedKeyType
        /// The CSR cannot be used (Magnum's `InvalidCsr`).
        case invalidCSR
        /// The CSR asks for an extension the `[x509]` options refuse (Magnum's
        /// `CertificateValidationError`).
        case extensionNotAllowed
        /// A name cannot be put in a certificate (empty, or longer than X.509 allows).
        case invalidName
        /// A key or certificate could not be produced (the crypto library failed).
        case generationFailed
    }

    public let kind: Kind
    /// What was wrong, for an operator. Never contains secrets.
    public let reason: String
    /// The Magnum exception for this condition (`InvalidCsr`, `CertificateValidationError`), to
    /// send back over RPC; `nil` when Magnum has none (it raises a bare `ValueError` there).
    public let magnumError: MagnumError?

    public init(_ kind: Kind, _ reason: String, magnumError: MagnumError? = nil) {
        self.kind = kind
        self.reason = reason
        self.magnumError = magnumError
    }

    public var description: String {
        if let magnumError { return magnumError.description }
        return "\(kind.rawValue): \(reason)"
    }

    /// Magnum's `InvalidCsr(csr=...)`, whose message shows the CSR as Python shows the bytes it
    /// failed to load (`b'...'`) while its `csr` argument, serialised for the RPC failure, is the
    /// text itself; `detail` says why for our logs.
    static func invalidCSR(_ csr: String, detail: String) -> CertificateOperationError {
        let shown = PythonRepr.bytes(csr.latin1OrUTF8Bytes).replacing("%", with: "%%")
        let error = MagnumError("InvalidCsr", ["csr": .string(csr)], message: "Received invalid csr \(shown).")
        return CertificateOperationError(.invalidCSR, detail, magnumError: error)
    }

    /// Magnum's `CertificateValidationError(extension=ext)`, the extension shown as Python's repr.
    static func extensionNotAllowed(_ ext: X509.Certificate.Extension, detail: String) -> CertificateOperationError {
        let error = MagnumError("CertificateValidationError", ["extension": .string(ExtensionRepr.repr(ext))])
        return CertificateOperationError(.extensionNotAllowed, detail, magnumError: error)
    }
}
