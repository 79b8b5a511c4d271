import Foundation
import JSON
import MagnumObjects
import Testing
import TestSupport
import X509
@testable import ClusterCertificates

/// Signing users' CSRs (`operations.sign` with `validator.filter_extensions`): same certificate,
/// same refusals and same messages as Magnum, for the same CSR, CA key and `[x509]` options.
@Suite struct CertificateIssuerSigningTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let extensions: [JSONValue]
        var allowCA = false
        var allowedExtensions = X509Options.defaultAllowedExtensions
        var allowedKeyUsage = X509Options.defaultAllowedKeyUsage
        var description: String { name }

        var options: X509Options {
            X509Options(allowCA: allowCA, allowedExtensions: allowedExtensions, allowedKeyUsage: allowedKeyUsage)
        }

        var pythonConfig: JSONValue {
            ["allow_ca": .bool(allowCA), "allowed_extensions": .array(allowedExtensions.map { .string($0) }),
             "allowed_key_usage": .array(allowedKeyUsage.map { .string($0.rawValue) })]
        }
    }

    static let kubeletExtensions: [JSONValue] = [
        ["type": "key_usage", "usages": ["digital_signature", "key_encipherment"], "critical": true],
        ["type": "eku", "oids": ["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"]],
        ["type": "san", "dns": ["node-1.cluster.local", "node-1"], "ip": ["10.0.0.5", "fd00::1:0:0:5"]],
        ["type": "basic_constraints", "ca": false, "critical": true],
    ]

    static let cases: [Case] = [
        Case(name: "no extensions", extensions: []),
        Case(name: "kubelet serving and client", extensions: kubeletExtensions),
        Case(name: "non-critical CA key usages are dropped",
             extensions: [["type": "key_usage", "usages": ["digital_signature", "key_cert_sign", "crl_sign"], "critical": false]]),
        Case(name: "critical CA key usage is refused",
             extensions: [["type": "key_usage", "usages": ["digital_signature", "key_cert_sign"], "critical": true]]),
        Case(name: "critical CA key usage with allow_ca", extensions: [["type": "key_usage", "usages": ["digital_signature", "key_cert_sign"], "critical": true]],
             allowCA: true, allowedKeyUsage: [.digitalSignature, .keyCertSign]),
        Case(name: "critical key usage outside allowed_key_usage",
             extensions: [["type": "key_usage", "usages": ["digital_signature", "data_encipherment"], "critical": true]]),
        Case(name: "allowed_key_usage subset", extensions: [["type": "key_usage", "usages": ["digital_signature", "key_encipherment", "content_commitment"], "critical": false]],
             allowedKeyUsage: [.digitalSignature]),
        Case(name: "key agreement with encipher only", extensions: [["type": "key_usage", "usages": ["key_agreement", "encipher_only"], "critical": false]],
             allowedKeyUsage: [.keyAgreement, .encipherOnly]),
        Case(name: "encipher only without the key agreement it needs", extensions: [["type": "key_usage", "usages": ["key_agreement", "encipher_only"], "critical": false]],
             allowedKeyUsage: [.encipherOnly]),
        Case(name: "non-critical CA request becomes not a CA", extensions: [["type": "basic_constraints", "ca": true, "critical": false]]),
        Case(name: "critical CA request is refused", extensions: [["type": "basic_constraints", "ca": true, "path_length": 2, "critical": true]]),
        Case(name: "critical CA request with allow_ca", extensions: [["type": "basic_constraints", "ca": true, "path_length": 0, "critical": true]], allowCA: true),
        Case(name: "critical SAN not allowed", extensions: [["type": "san", "dns": ["a.example"], "ip": ["192.0.2.7", "2001:db8::1"],
                                                             "email": ["ops@example.org"], "uri": ["spiffe://cluster/ns/x"], "critical": true]],
             allowedExtensions: ["keyUsage", "basicConstraints"]),
        Case(name: "non-critical SAN not allowed is dropped", extensions: kubeletExtensions, allowedExtensions: ["keyUsage", "basicConstraints"]),
        Case(name: "only key usage allowed", extensions: kubeletExtensions, allowedExtensions: ["keyUsage"]),
        Case(name: "critical EKU not allowed", extensions: [["type": "eku", "oids": ["1.3.6.1.5.5.7.3.2", "1.2.3.4.5"], "critical": true]],
             allowedExtensions: ["keyUsage"]),
        Case(name: "unknown critical extension", extensions: [["type": "unknown", "oid": "1.2.3.4", "value": "0500", "critical": true]]),
        Case(name: "unknown non-critical extension is dropped", extensions: [["type": "unknown", "oid": "1.3.6.1.4.1.99999.1", "value": "0c0568656c6c6f"]]),
        Case(name: "critical authority key identifier not allowed", extensions: [["type": "aki", "critical": true]]),
        Case(name: "authority key identifier allowed is kept", extensions: [["type": "aki"]],
             allowedExtensions: X509Options.defaultAllowedExtensions + ["authorityKeyIdentifier"]),
        Case(name: "critical OCSP no-check not allowed", extensions: [["type": "ocsp_nocheck", "critical": true]]),
        Case(name: "critical inhibit-any-policy not allowed", extensions: [["type": "inhibit_any_policy", "skip_certs": 3, "critical": true]]),
        Case(name: "CSR's own subject key identifier", extensions: [["type": "ski"]]),
        Case(name: "CSR's own subject key identifier not allowed is dropped", extensions: [["type": "ski"]], allowedExtensions: ["keyUsage"]),
    ]

    /// Python's CA (made by Magnum), whose encrypted key we open and sign with, and the CSRs.
    struct Setup {
        let caCertificate: String
        let caKeyPEM: String
        let caPassword: String
        let csrs: [String]
        let magnumCSR: String
        let badSignatureCSR: String
    }

    /// Made once for the suite: one Python process for Magnum's CA and every CSR.
    static let sharedSetup = Task<Setup, any Error> { try await makeSetup() }

    static func setup() async throws -> Setup { try await sharedSetup.value }

    static func makeSetup() async throws -> Setup {
        var ops: [JSONValue] = [["op": "magnum_generate", "name": "prod-east", "ca_password": "pyCApassword", "client_password": "x"]]
        ops += cases.map { ["op": "csr", "cn": "system:node:node-1", "organization": "system:nodes", "extensions": .array($0.extensions)] }
        ops.append(["op": "generate_csr_and_key", "cn": "kube-proxy"])
        ops.append(["op": "csr", "cn": "forged", "extensions": .array(kubeletExtensions), "bad_signature": true])
        let answers = try await MagnumX509Peer.run(ops)
        let ca = try answers[0].field("ca")
        let forged = try #require(answers.last)
        try #require(forged["signature_valid"] == .bool(false), "the peer made a CSR whose signature does not verify")
        return Setup(caCertificate: try ca.string("certificate"), caKeyPEM: try ca.string("private_key"), caPassword: "pyCApassword",
                     csrs: try answers[1...cases.count].map { try $0.string("csr") },
                     magnumCSR: try answers[cases.count + 1].string("csr"),
                     badSignatureCSR: try forged.string("csr"))
    }

    static func comparable(_ description: JSONValue) throws -> JSONValue {
        var object = try #require(description.objectValue)
        for volatile in ["serial", "serial_bits", "not_before", "not_after"] { object[volatile] = nil }
        return .object(object)
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func sameResultAsMagnumForEveryCaseAndConfig() async throws {
        let setup = try await Self.setup()
        // We sign with Magnum's own CA key, opened with the passphrase Magnum stored for it.
        let caKey = try RSAPrivateKey(pemEncoded: setup.caKeyPEM, passphrase: KeyPassphrase(setup.caPassword))

        var ours: [Result<String, CertificateOperationError>] = []
        var ops: [JSONValue] = []
        for (index, testCase) in Self.cases.enumerated() {
            let csr = setup.csrs[index]
            ours.append(Result { () throws(CertificateOperationError) in
                try CertificateIssuer(options: testCase.options).sign(csrPEM: csr, issuerName: "prod-east", caKey: caKey)
            })
            ops.append(["op": "sign", "csr": .string(csr), "ca_key": .string(setup.caKeyPEM), "ca_password": .string(setup.caPassword),
                        "issuer": "prod-east", "config": testCase.pythonConfig])
            if case .success(let pem) = ours.last {
                ops.append(["op": "describe_cert", "pem": .string(pem)])
                ops.append(["op": "verify_issued", "pem": .string(pem), "ca_pem": .string(setup.caCertificate)])
            }
        }
        let answers = try await MagnumX509Peer.run(ops)
        var next = 0
        func pop() -> JSONValue {
            defer { next += 1 }
            return next < answers.count ? answers[next] : .null
        }

        for (testCase, result) in zip(Self.cases, ours) {
            let theirs = pop()
            switch (result, theirs.peerError) {
            case (.success, nil):
                let ourDescription = pop()
                let verified = pop()
                #expect(try Self.comparable(ourDescription) == Self.comparable(theirs.field("description")), "\(testCase)")
                #expect(verified["ok"] == .bool(true), "\(testCase): Python verifies our certificate against Magnum's CA")
            case (.failure(let error), let pythonError?) where pythonError.className == "CertificateValidationError":
                #expect(error.kind == .extensionNotAllowed, "\(testCase)")
                #expect(error.magnumError?.className == "CertificateValidationError", "\(testCase)")
                #expect(error.magnumError?.message == pythonError.message, "\(testCase)")
                #expect(error.magnumError?.code == 400)
            case (.failure(let error), let pythonError?) where pythonError.className == "ValueError":
                // Magnum fails with a bare ValueError (a KeyUsage cryptography refuses, or a
                // duplicate subject key identifier); we refuse the same CSR as not allowed.
                #expect(error.kind == .extensionNotAllowed, "\(testCase): \(pythonError.message)")
            case (let mine, let pythonError):
                Issue.record("\(testCase): we gave \(mine), Magnum gave \(pythonError.map { "\($0.className): \($0.message)" } ?? "a certificate")")
                if case .success = mine { _ = pop(); _ = pop() }
            }
        }
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func csrFromMagnumsGenerateCSRAndKeyIsSignedAndVerifies() async throws {
        let setup = try await Self.setup()
        let caKey = try RSAPrivateKey(pemEncoded: setup.caKeyPEM, passphrase: KeyPassphrase(setup.caPassword))
        let pem = try SharedCertificates.issuer.sign(csrPEM: setup.magnumCSR, issuerName: "prod-east", caKey: caKey)
        #expect(!pem.hasSuffix("\n"))
        let answers = try await MagnumX509Peer.run([
            ["op": "verify_issued", "pem": .string(pem), "ca_pem": .string(setup.caCertificate)],
            ["op": "describe_cert", "pem": .string(pem)],
        ])
        #expect(answers[0]["ok"] == .bool(true))
        #expect(answers[1]["subject"] == [[["oid": "2.5.4.3", "value": "kube-proxy", "type": "UTF8String"]]])
        #expect(answers[1]["issuer"] == [[["oid": "2.5.4.3", "value": "prod-east", "type": "UTF8String"]]])
        #expect(answers[1]["extensions"]?.arrayValue?.map { $0["oid"] } == ["2.5.29.14"])
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func unusableCSRsAreInvalidCsrWithMagnumsMessage() async throws {
        let setup = try await Self.setup()
        let caKey = try await SharedCertificates.ca.privateKey
        let garbage = ["not a csr\n'quoted' \"too\"", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", ""]
        let ca = try await SharedCertificates.ca
        let answers = try await MagnumX509Peer.run(garbage.map {
            ["op": "sign", "csr": .string($0), "ca_key": .string(ca.encryptedPrivateKeyPEM), "ca_password": .string(ca.passphrase.secret), "issuer": "prod-east"]
        } + [["op": "sign", "csr": .string(setup.badSignatureCSR), "ca_key": .string(setup.caKeyPEM), "ca_password": .string(setup.caPassword), "issuer": "prod-east"]])
        for (csr, theirs) in zip(garbage, answers) {
            let error = try #require(throws: CertificateOperationError.self) {
                try SharedCertificates.issuer.sign(csrPEM: csr, issuerName: "prod-east", caKey: caKey)
            }
            #expect(error.kind == .invalidCSR)
            #expect(theirs.peerError?.className == "InvalidCsr")
            #expect(error.magnumError?.className == "InvalidCsr")
            #expect(error.magnumError?.message == theirs.peerError?.message)
        }
        // A CSR whose signature does not verify: Magnum signs it anyway (it never checks); we
        // refuse it, since it proves nothing about who holds the key.
        #expect(answers[3].peerError == nil)
        let forged = try #require(throws: CertificateOperationError.self) {
            try SharedCertificates.issuer.sign(csrPEM: setup.badSignatureCSR, issuerName: "prod-east", caKey: caKey)
        }
        #expect(forged.kind == .invalidCSR)
        #expect(forged.magnumError?.className == "InvalidCsr")
        #expect(forged.reason.contains("signature"))
    }
}
