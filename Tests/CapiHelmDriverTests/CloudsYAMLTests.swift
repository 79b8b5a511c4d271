@testable import CapiHelmDriver
import Foundation
import JSON
import Testing
import TestSupport

/// `clouds.yaml` must be byte-identical to PyYAML's `safe_dump`, and reading the credential id
/// back must agree with `yaml.safe_load`.
@Suite("clouds.yaml")
struct CloudsYAMLTests {
    @Test("the usual document")
    func usual() {
        let text = CloudsYAML.render(credential: ApplicationCredential(id: "6b5e2a1c9d8f4e7a", secret: "s3cr3t-app-cred"),
                                     endpoint: CloudEndpoint(regionName: "RegionOne", authURL: "https://keystone.example:5000/v3"),
                                     interface: "public", verify: true)
        #expect(text == """
            clouds:
              openstack:
                auth:
                  application_credential_id: 6b5e2a1c9d8f4e7a
                  application_credential_secret: s3cr3t-app-cred
                  auth_url: https://keystone.example:5000/v3
                auth_type: v3applicationcredential
                identity_api_version: 3
                interface: public
                region_name: RegionOne
                verify: true

            """)
    }

    @Test("quoting as PyYAML quotes")
    func quoting() {
        func dump(_ s: String) -> String { PythonYAML.safeDump(["k": .string(s)]) }
        #expect(dump("123") == "k: '123'\n")
        #expect(dump("true") == "k: 'true'\n")
        #expect(dump("") == "k: ''\n")
        #expect(dump("it's") == "k: it's\n")
        #expect(dump("'x") == "k: '''x'\n")
        #expect(dump("a: b") == "k: 'a: b'\n")
        #expect(dump("caf\u{E9}") == "k: \"caf\\xE9\"\n")
        #expect(dump("tab\there") == "k: \"tab\\there\"\n")
        #expect(dump("2024-01-02") == "k: '2024-01-02'\n")
        #expect(PythonYAML.safeDump(["k": nil, "b": false]) == "b: false\nk: null\n")
    }

    @Test("the credential id is read back; unreadable documents are refused")
    func readBack() {
        let ours = CloudsYAML.render(credential: ApplicationCredential(id: "it's 123", secret: "x"),
                                     endpoint: CloudEndpoint(regionName: nil, authURL: nil), interface: "public", verify: false)
        #expect(CloudsYAML.applicationCredentialID(in: ours) == .success("it's 123"))
        #expect(CloudsYAML.applicationCredentialID(in: "clouds:\n  openstack:\n    auth:\n      application_credential_id: \"dq\\u00e9\"\n") == .success("dq\u{E9}"))
        #expect(CloudsYAML.applicationCredentialID(in: "clouds:\n  openstack:\n    auth:\n      other: 1\n") == .failure(.missingKey("application_credential_id")))
        #expect(CloudsYAML.applicationCredentialID(in: "clouds: [1, 2]\n") == .failure(.notYAML))
    }

    static func strings(seed: UInt64, count: Int) -> [String] {
        var rng = SplitMix64(seed: seed)
        let pieces = ["a", "Z", "0", "9", " ", "  ", "'", "\"", ":", ": ", "#", " #", "-", "- ", "?", ",", "[", "]", "{", "}", "&", "*",
                      "!", "|", ">", "%", "@", "`", "\\", "\t", "\n", "é", "€", "\u{85}", "\u{A0}", "true", "null", "1", "0x", ".5",
                      "1:2", "2024-01-02", "~", "=", "<<", "word ", "longerword ", "---", "..."]
        return (0..<count).map { _ in
            var s = ""
            for _ in 0..<Int.random(in: 0...40, using: &rng) { s += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
            return s
        }
    }

    @Test("random strings: PyYAML's safe_dump, byte for byte", .enabled(if: TestEnvironment.pythonEnabled))
    func againstPyYAML() async throws {
        let seed = UInt64.random(in: 1...UInt64(UInt32.max))
        let values = Self.strings(seed: seed, count: 400)
        let docs: [JSONValue] = values.enumerated().map { i, v in
            i % 2 == 0 ? ["clouds": ["openstack": ["auth": ["application_credential_secret": .string(v)]]]] : .object(["key \(i)": .string(v)])
        }
        let request: JSONValue = ["dump": .array(docs)]
        let out = try await TestEnvironment.runPythonPeer("yaml_peer.py", input: Data(request.jsonString(.python).utf8))
        let expected = try #require(try JSONValue(parsing: out).arrayValue)
        for (doc, python) in zip(docs, expected) {
            let swift = PythonYAML.safeDump(doc)
            #expect(.string(swift) == python, "seed \(seed): \(doc.jsonString(.python))")
        }
    }

    @Test("random credential ids read back as yaml.safe_load reads them", .enabled(if: TestEnvironment.pythonEnabled))
    func readBackAgainstPyYAML() async throws {
        let seed = UInt64.random(in: 1...UInt64(UInt32.max))
        let ids = Self.strings(seed: seed, count: 300).filter { !PythonYAML.resolvesToNonString($0) }
        let texts = ids.map {
            CloudsYAML.render(credential: ApplicationCredential(id: $0, secret: "secret"),
                              endpoint: CloudEndpoint(regionName: "r", authURL: "u"), interface: "public", verify: true)
        }
        let request: JSONValue = ["credential_id": .array(texts.map { .string($0) })]
        let out = try await TestEnvironment.runPythonPeer("yaml_peer.py", input: Data(request.jsonString(.python).utf8))
        let expected = try #require(try JSONValue(parsing: out).arrayValue)
        for (text, python) in zip(texts, expected) {
            let swift: JSONValue
            switch CloudsYAML.applicationCredentialID(in: text) {
            case .success(let id): swift = JSONValue(id)
            case .failure: swift = .null
            }
            #expect(swift == python, "seed \(seed): \(text)")
        }
    }
}
