import CapiHelmDriver
import JSON
import Testing
import TestSupport

/// `rotate_credential`: a new application credential for the caller, the CA Secrets re-labelled
/// on a change of owner, the old credential deleted; failures as 1.4.0 reports them.
@Suite("Credential rotation")
struct RotateCredentialTests {
    static let secretName = "prod-east-a1b2c3d4e5f6-cloud-credentials"
    static let newUser = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"

    static func rotation(_ change: (inout JSONValue) -> Void = { _ in }) throws -> JSONValue {
        var c = try Cases.base("status_delete_complete.json")
        c["operation"] = "rotate_credential"
        c[path: "input", "cluster", "status"] = "UPDATE_IN_PROGRESS"
        c[path: "input", "context", "user_id"] = .string(newUser)
        c[path: "input", "app_credential"] = ["id": "new-cred-id", "secret": "new-secret"]
        c[path: "input", "k8s", "secrets", secretName, "clouds.yaml"] =
            "clouds:\n  openstack:\n    auth:\n      application_credential_id: old-cred-id\n"
        change(&c)
        return c
    }

    @Test("new credential, Secrets re-labelled for the new owner, old credential deleted")
    func success() async throws {
        let out = try await Cases.run(try Self.rotation())
        #expect(out["error"] == nil)
        #expect(out[path: "cluster", "status"] == "UPDATE_COMPLETE")
        #expect(out["openstack"] == [["call": "keystone.create_application_credential", "cluster": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"],
                                     ["call": "keystone.delete_application_credential", "id": "old-cred-id"]])
        let applied = (out["kubernetes"]?.arrayValue ?? []).filter { $0["call"] == "apply_secret" }
        #expect(applied.count == 5)
        for secret in applied {
            #expect(secret["args"]?[1]?[path: "metadata", "labels", "magnum.openstack.org/user-id"] == .string(Self.newUser))
        }
    }

    @Test("the same credential id back: UPDATE_FAILED, owner kept")
    func sameID() async throws {
        let out = try await Cases.run(try Self.rotation { $0[path: "input", "app_credential", "id"] = "old-cred-id" })
        #expect(out["error"] == ["class": "MagnumException", "message": "Application credential secret failed to apply."])
        #expect(out[path: "cluster", "status"] == "UPDATE_FAILED")
        #expect(out[path: "cluster", "status_reason"] == "Application credential secret failed to apply.")
    }

    @Test("Keystone refuses the new credential")
    func createFails() async throws {
        let out = try await Cases.run(try Self.rotation { $0[path: "input", "app_credential_create_fails"] = "Keystone said no" })
        #expect(out["error"] == ["class": "MagnumException", "message": "Keystone said no"])
        #expect(out[path: "cluster", "status_reason"] == "Keystone said no")
    }

    @Test("the old credential cannot be deleted: complete, with the reason noted")
    func deleteFails() async throws {
        let out = try await Cases.run(try Self.rotation { $0[path: "input", "app_credential_delete_fails"] = true })
        #expect(out[path: "cluster", "status"] == "UPDATE_COMPLETE")
        #expect(out[path: "cluster", "status_reason"]
            == "A new application credential was applied successfully but the previous application credential could not be deleted: 403 Forbidden from Keystone")
    }

    @Test("identical to the real driver", .enabled(if: TestEnvironment.pythonEnabled))
    func sameAsPython() async throws {
        let documents = [
            try Self.rotation(), try Self.rotation { $0[path: "input", "app_credential", "id"] = "old-cred-id" },
            try Self.rotation { $0[path: "input", "app_credential_create_fails"] = "Keystone said no" },
            try Self.rotation { $0[path: "input", "app_credential_delete_fails"] = true },
            try Self.rotation { $0[path: "input", "k8s", "secrets"] = [:] },
            try Self.rotation { $0[path: "input", "context", "user_id"] = "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b" },
        ]
        for (document, expected) in zip(documents, try await Cases.python(documents)) {
            let actual = try await Cases.run(document)
            #expect(actual == expected, "\(JSONDiff.report(expected: expected, actual: actual))")
        }
    }
}
