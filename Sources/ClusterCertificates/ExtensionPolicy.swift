import SwiftASN1
import X509

/// What a user's CSR may carry into a certificate the cluster CA signs: Magnum's
/// `validator.filter_extensions` with the `[x509]` options.
///
/// For each requested extension, in the CSR's order: one not named in `allowed_extensions` is
/// dropped, or refused when critical; key usage keeps only the allowed usages (refused when
/// critical and asking for more); without `allow_ca`, the certificate/CRL signing usages are
/// not allowed and a CA basic constraint becomes "not a CA" (refused when critical).
struct ExtensionPolicy {
    let options: X509Options

    func filter(_ extensions: [Certificate.Extension]) throws(CertificateOperationError) -> [Certificate.Extension] {
        var allowedUsage = Set(options.allowedKeyUsage)
        if !options.allowCA {
            allowedUsage.remove(.keyCertSign)
            allowedUsage.remove(.cRLSign)
        }
        var result: [Certificate.Extension] = []
        for ext in extensions {
            guard let name = OIDNames.byDottedString[ext.oid.description], options.allowedExtensions.contains(name) else {
                if ext.critical {
                    throw .extensionNotAllowed(ext, detail: "critical extension \(ext.oid) is not in [x509] allowed_extensions")
                }
                continue
            }
            switch ext.oid {
            case .X509ExtensionID.keyUsage:
                result.append(try mergeKeyUsage(ext, allowed: allowedUsage))
            case .X509ExtensionID.basicConstraints where !options.allowCA:
                result.append(try disallowCA(ext))
            default:
                result.append(ext)
            }
        }
        return result
    }

    private func mergeKeyUsage(_ ext: Certificate.Extension, allowed: Set<KeyUsageName>) throws(CertificateOperationError) -> Certificate.Extension {
        let requested: KeyUsageBits
        do {
            requested = try KeyUsageBits(derEncoded: ext.value)
        } catch {
            throw .invalidCSRExtension(ext)
        }
        var kept: Set<KeyUsageName> = []
        for usage in KeyUsageName.allCases where requested.pythonValue(usage) {
            if allowed.contains(usage) {
                kept.insert(usage)
            } else if ext.critical {
                throw .extensionNotAllowed(ext, detail: "critical key usage \"\(usage.rawValue)\" is not in [x509] allowed_key_usage")
            }
        }
        if !kept.contains(.keyAgreement), kept.contains(.encipherOnly) || kept.contains(.decipherOnly) {
            // cryptography refuses such a KeyUsage (Magnum fails with a bare ValueError).
            throw .extensionNotAllowed(ext, detail: "encipher/decipher only without key agreement, which [x509] allowed_key_usage dropped")
        }
        return Certificate.Extension(oid: .X509ExtensionID.keyUsage, critical: ext.critical, value: KeyUsageBits(kept).derEncoded[...])
    }

    private func disallowCA(_ ext: Certificate.Extension) throws(CertificateOperationError) -> Certificate.Extension {
        let isCA: Bool
        do {
            isCA = try BasicConstraintsValue.decode(ext.value).ca
        } catch {
            throw .invalidCSRExtension(ext)
        }
        guard isCA else { return ext }
        if ext.critical {
            throw .extensionNotAllowed(ext, detail: "the CSR asks to be a CA and [x509] allow_ca is false")
        }
        // BasicConstraints(ca=False, path_length=None), not critical: an empty SEQUENCE.
        return Certificate.Extension(oid: .X509ExtensionID.basicConstraints, critical: false, value: [0x30, 0x00])
    }
}

extension CertificateOperationError {
    /// A malformed extension; the signer turns it into Magnum's `InvalidCsr` with the CSR text.
    static func invalidCSRExtension(_ ext: Certificate.Extension) -> CertificateOperationError {
        CertificateOperationError(.invalidCSR, "the CSR's \(OIDNames.name(ext.oid.description)) extension (\(ext.oid)) is malformed")
    }
}
