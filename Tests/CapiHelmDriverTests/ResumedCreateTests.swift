import CapiHelmDriver
import JSON
import Testing

/// `create_cluster` made again after a worker died inside it (the journal saw the driver call
/// start, not end): no application credential is left behind. The one the interrupted attempt
/// stored in the `-cloud-credentials` Secret is reused; ones it made but never stored (recorded
/// by the journal, or only listed by Keystone under the cluster's names) are deleted; a new one
/// is made only when no Secret holds one.
@Suite("create_cluster resumed after an interruption inside the driver")
struct ResumedCreateTests {
    static let release = "prod-east-r3sum3d0a1b2"
    static let secretName = "\(release)-cloud-credentials"

    /// The create case, resumed: the release name saved by the earlier attempt, its credentials.
    static func resumed(earlier: [String], stored: String?, listed: [String] = []) throws -> JSONValue {
        var c = try Cases.base("create_defaults.json")
        c[path: "input", "listed_app_credentials"] = .array(listed.map { .string($0) })
        c[path: "input", "cluster", "stack_id"] = .string(release)
        c[path: "input", "resume"] = ["earlier_credential_ids": .array(earlier.map { .string($0) })]
        c[path: "input", "app_credential"] = ["id": "appcred-new", "secret": "appcred-new-secret"]
        if let stored {
            c[path: "input", "k8s"] = ["secrets": [Self.secretName: [
                "clouds.yaml": .string("clouds:\n  openstack:\n    auth:\n      application_credential_id: \(stored)\n      application_credential_secret: s\n"),
            ]]]
        }
        return c
    }

    static func appliedSecrets(_ out: JSONValue) -> [String] {
        (out["kubernetes"]?.arrayValue ?? []).filter { $0["call"] == "apply_secret" }.compactMap { $0["args"]?[0]?.stringValue }
    }

    @Test("the credential the interrupted attempt stored is reused: none made, none deleted")
    func storedCredentialReused() async throws {
        let out = try await Cases.run(try Self.resumed(earlier: ["appcred-old"], stored: "appcred-old"))
        #expect(out["error"] == nil)
        #expect(out["openstack"] == [Self.listed])
        #expect(!Self.appliedSecrets(out).contains(Self.secretName), "the Secret was written again")
        #expect(Self.appliedSecrets(out).count == 4, "the CA Secrets are applied (idempotent)")
        #expect((out["helm"]?.arrayValue ?? []).filter { $0["call"] == "install_or_upgrade" && $0["release"] == .string(Self.release) }.count == 1)
    }

    @Test("a credential made but never stored is deleted, and one new credential is made and stored")
    func unstoredCredentialDeleted() async throws {
        let out = try await Cases.run(try Self.resumed(earlier: ["appcred-lost"], stored: nil))
        #expect(out["error"] == nil)
        #expect(out["openstack"] == [Self.listed, ["call": "keystone.delete_application_credential", "id": "appcred-lost"],
                                     ["call": "keystone.create_application_credential", "cluster": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"]])
        #expect(Self.appliedSecrets(out).filter { $0 == Self.secretName }.count == 1)
        #expect((out["helm"]?.arrayValue ?? []).count == 1)
    }

    @Test("with one stored and one lost credential, only the lost one is deleted; nothing new is made")
    func onlyTheLostOneDeleted() async throws {
        let out = try await Cases.run(try Self.resumed(earlier: ["appcred-kept", "appcred-lost"], stored: "appcred-kept"))
        #expect(out["error"] == nil)
        #expect(out["openstack"] == [Self.listed, ["call": "keystone.delete_application_credential", "id": "appcred-lost"]])
        #expect(!Self.appliedSecrets(out).contains(Self.secretName))
    }

    @Test("a credential the journal never heard of (the attempt died right after Keystone answered) is found by listing and deleted")
    func unrecordedCredentialFoundByListing() async throws {
        // Keystone lists the stored one, the one the journal recorded, and one it never heard of.
        let out = try await Cases.run(try Self.resumed(earlier: ["appcred-lost"], stored: "appcred-kept",
                                                       listed: ["appcred-kept", "appcred-lost", "appcred-unrecorded"]))
        #expect(out["error"] == nil)
        #expect(out["openstack"] == [Self.listed, ["call": "keystone.delete_application_credential", "id": "appcred-lost"],
                                     ["call": "keystone.delete_application_credential", "id": "appcred-unrecorded"]])
        #expect(!Self.appliedSecrets(out).contains(Self.secretName))
    }

    @Test("Keystone failing to list: the journal's credentials are still cleaned up and the create goes on")
    func listingFails() async throws {
        var c = try Self.resumed(earlier: ["appcred-lost"], stored: nil)
        c[path: "input", "listed_app_credentials"] = ["appcred-elsewhere"]
        c[path: "input", "app_credential_list_fails"] = true
        let out = try await Cases.run(c)
        #expect(out["error"] == nil)
        #expect(out["openstack"] == [Self.listed, ["call": "keystone.delete_application_credential", "id": "appcred-lost"],
                                     ["call": "keystone.create_application_credential", "cluster": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"]])
    }

    @Test("the interrupted attempt got no credential at all: one is made, as on a first attempt")
    func nothingEarlier() async throws {
        let out = try await Cases.run(try Self.resumed(earlier: [], stored: nil))
        #expect(out["error"] == nil)
        #expect(out["openstack"] == [Self.listed, ["call": "keystone.create_application_credential", "cluster": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"]])
        #expect(Self.appliedSecrets(out).filter { $0 == Self.secretName }.count == 1)
    }

    static let listed: JSONValue = ["call": "keystone.list_application_credentials", "cluster": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"]
}
