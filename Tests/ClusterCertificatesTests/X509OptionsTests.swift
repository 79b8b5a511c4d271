import Foundation
import OsloConfig
import Testing
import ClusterCertificates

@Suite struct X509OptionsTests {
    static let registry = OptionRegistry(X509Options.optionSpecs)

    static func options(_ text: String) throws -> X509Options {
        let file = try ConfigFile(path: "magnum.conf", contents: text)
        return try X509Options(configuration: Configuration(registry: registry, files: [file]))
    }

    @Test func magnumsDefaults() async throws {
        let options = try Self.options("[certificates]\ncert_manager_type = x509keypair\n")
        #expect(options == .defaults)
        #expect(options.allowCA == false)
        #expect(options.allowedExtensions == ["keyUsage", "extendedKeyUsage", "subjectAltName", "basicConstraints", "subjectKeyIdentifier"])
        #expect(options.allowedKeyUsage == [.digitalSignature, .keyEncipherment, .nonRepudiation])
        #expect(options.termOfValidity == 1825)
        #expect(options.rsaKeySize == 2048)
    }

    @Test func readsEveryOption() async throws {
        let options = try Self.options("""
            [certificates]
            cert_manager_type = x509keypair
            [x509]
            allow_ca = true
            allowed_extensions = keyUsage, basicConstraints,authorityKeyIdentifier
            allowed_key_usage = Digital Signature,Certificate Sign
            term_of_validity = 90
            rsa_key_size = 4096
            """)
        #expect(options == X509Options(allowCA: true, allowedExtensions: ["keyUsage", "basicConstraints", "authorityKeyIdentifier"],
                                       allowedKeyUsage: [.digitalSignature, .keyCertSign], termOfValidity: 90, rsaKeySize: 4096))
    }

    @Test func refusesWhatMagnumOrWeCannotUse() async throws {
        let cases: [(String, String)] = [
            ("[x509]\nallowed_extensions = keyUsage,bogusExtension\n", "allowed_extensions"),
            ("[x509]\nallowed_key_usage = Digital Signature,Everything\n", "allowed_key_usage"),
            ("[x509]\nrsa_key_size = 2049\n", "rsa_key_size"),
            ("[x509]\nrsa_key_size = 512\n", "rsa_key_size"),
            ("[x509]\nterm_of_validity = 0\n", "term_of_validity"),
            ("[x509]\nallow_ca = maybe\n", "allow_ca"),
        ]
        for (x509, option) in cases {
            let error = try #require(throws: ConfigError.self) { try Self.options("[certificates]\ncert_manager_type = x509keypair\n" + x509) }
            #expect(error.option?.name == option, "\(x509)")
            #expect(error.location != nil, "\(x509): the operator is told where")
        }
    }

    @Test func onlyTheX509KeyPairCertManagerIsServed() async throws {
        for conf in ["", "[certificates]\ncert_manager_type = barbican\n", "[certificates]\ncert_manager_type = local\n"] {
            let error = try #require(throws: ConfigError.self) { try Self.options(conf) }
            #expect(error.option == OptionName("certificates", "cert_manager_type"))
            #expect(error.message.contains("x509keypair"))
        }
    }
}
