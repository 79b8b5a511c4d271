public import OsloConfig

/// Magnum's `[x509]` options (`magnum/conf/x509.py`), which decide the size of generated keys,
/// how long certificates are valid and what a user's CSR may ask for; plus the one
/// `[certificates]` option that decides where certificates live.
public struct X509Options: Sendable, Equatable {
    /// `[x509] allow_ca`: whether a signed CSR may keep the CA flag and the certificate/CRL
    /// signing key usages.
    public var allowCA: Bool
    /// `[x509] allowed_extensions`: the extensions (by `cryptography`'s names) a CSR may carry.
    public var allowedExtensions: [String]
    /// `[x509] allowed_key_usage`: the key usages (by Magnum's names) a CSR may ask for.
    public var allowedKeyUsage: [KeyUsageName]
    /// `[x509] term_of_validity`: days a certificate is valid for.
    public var termOfValidity: Int
    /// `[x509] rsa_key_size`: bits of generated keys.
    public var rsaKeySize: Int

    /// The extension names `[x509] allowed_extensions` may list (Magnum's `Extensions` enum).
    public static let extensionNames = [
        "authorityKeyIdentifier", "subjectKeyIdentifier", "authorityInfoAccess", "basicConstraints",
        "cRLDistributionPoints", "certificatePolicies", "extendedKeyUsage", "OCSPNoCheck", "inhibitAnyPolicy",
        "keyUsage", "nameConstraints", "subjectAltName", "issuerAltName",
    ]

    /// Magnum's defaults.
    public static let defaultAllowedExtensions = ["keyUsage", "extendedKeyUsage", "subjectAltName", "basicConstraints", "subjectKeyIdentifier"]
    public static let defaultAllowedKeyUsage: [KeyUsageName] = [.digitalSignature, .keyEncipherment, .nonRepudiation]

    public init(allowCA: Bool = false, allowedExtensions: [String] = X509Options.defaultAllowedExtensions,
                allowedKeyUsage: [KeyUsageName] = X509Options.defaultAllowedKeyUsage,
                termOfValidity: Int = 365 * 5, rsaKeySize: Int = 2048) {
        self.allowCA = allowCA
        self.allowedExtensions = allowedExtensions
        self.allowedKeyUsage = allowedKeyUsage
        self.termOfValidity = termOfValidity
        self.rsaKeySize = rsaKeySize
    }

    /// The options with Magnum's defaults.
    public static let defaults = X509Options()

    /// The option definitions, to register with the configuration (for `check-config` and
    /// unknown-option warnings).
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("x509", "allow_ca", .boolean, default: "false",
                   help: "Certificate can get the CA flag in x509 extensions."),
        OptionSpec("x509", "allowed_extensions", .list, default: defaultAllowedExtensions.joined(separator: ","),
                   help: "List of allowed x509 extensions. Available values: \"\(extensionNames.joined(separator: "\", \""))\""),
        OptionSpec("x509", "allowed_key_usage", .list, default: defaultAllowedKeyUsage.map(\.rawValue).joined(separator: ","),
                   help: "List of allowed x509 key usage. Available values: \"\(KeyUsageName.allCases.map(\.rawValue).joined(separator: "\", \""))\""),
        OptionSpec("x509", "term_of_validity", .integer, default: "1825",
                   help: "Number of days for which a certificate is valid."),
        OptionSpec("x509", "rsa_key_size", .integer, default: "2048", help: "Size of generated private key."),
        OptionSpec("certificates", "cert_manager_type", .string, default: "barbican", help: "Certificate Manager plugin."),
        OptionSpec("certificates", "storage_path", .string, default: "/var/lib/magnum/certificates/",
                   help: "Absolute path of the certificate storage directory."),
    ]

    /// Reads the options from magnum.conf, checking what oslo.config would check (list items
    /// among the allowed choices) and what we need (a key size we can generate, a positive
    /// validity, `[certificates] cert_manager_type = x509keypair`).
    public init(configuration: Configuration) throws(ConfigError) {
        self.init()
        do {
            if let v = try configuration.bool("x509", "allow_ca") { allowCA = v }
            if let v = try configuration.list("x509", "allowed_extensions") { allowedExtensions = v }
            if let v = try configuration.list("x509", "allowed_key_usage") {
                allowedKeyUsage = try v.map { item throws(ConfigError) in
                    guard let usage = KeyUsageName(rawValue: item) else {
                        throw Self.error("allowed_key_usage", configuration,
                                         "\(item.debugDescription) is not a key usage; valid values: \(KeyUsageName.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return usage
                }
            }
            if let v = try configuration.int("x509", "term_of_validity") { termOfValidity = v }
            if let v = try configuration.int("x509", "rsa_key_size") { rsaKeySize = v }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(option: nil, location: nil, message: "\(error)")
        }
        for name in allowedExtensions where !Self.extensionNames.contains(name) {
            throw Self.error("allowed_extensions", configuration,
                             "\(name.debugDescription) is not an extension name; valid values: \(Self.extensionNames.joined(separator: ", "))")
        }
        guard termOfValidity > 0 else {
            throw Self.error("term_of_validity", configuration, "must be a positive number of days, got \(termOfValidity)")
        }
        guard (1024...16384).contains(rsaKeySize), rsaKeySize % 128 == 0 else {
            throw Self.error("rsa_key_size", configuration, "must be a multiple of 128 from 1024 to 16384 bits, got \(rsaKeySize)")
        }
        // Magnum's default is barbican, which this worker does not implement: an operator must
        // say x509keypair, so a conductor that kept certificates elsewhere is not silently replaced.
        let managerOption = OptionName("certificates", "cert_manager_type")
        let manager = ((try? configuration.string("certificates", "cert_manager_type")) ?? nil) ?? "barbican"
        guard manager == "x509keypair" else {
            throw ConfigError(option: managerOption, location: configuration.location(of: managerOption),
                              message: "cert_manager_type \(manager.debugDescription) is not supported: this worker keeps cluster certificates in Magnum's database; set cert_manager_type = x509keypair")
        }
    }

    private static func error(_ name: String, _ configuration: Configuration, _ message: String) -> ConfigError {
        let option = OptionName("x509", name)
        return ConfigError(option: option, location: configuration.location(of: option), message: message)
    }
}
