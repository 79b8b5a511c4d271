import Helm
import JSON
import Testing

/// Nothing secret survives into an error's text.
@Suite struct SecretMaskerTests {
    /// A secret-bearing input, shown in the test report by its kind only (the report is scanned
    /// for secrets like every other output).
    struct MaskCase: Sendable, CustomTestStringConvertible {
        let kind: String
        let input: String
        let expected: String
        var testDescription: String { kind }
    }

    @Test(arguments: [
        MaskCase(kind: "yaml password", input: "password: hunter2hunter2", expected: "password: ***"),
        MaskCase(kind: "json secret", input: #"{"application_credential_secret": "abc-def-ghi"}"#, expected: #"{"application_credential_secret": "***"}"#),
        MaskCase(kind: "token=", input: "token=s3cr3t-value now", expected: "token=*** now"),
        MaskCase(kind: "client-key-data", input: "client-key-data: LS0tLS1CRUdJTg==", expected: "client-key-data: ***"),
        MaskCase(kind: "Authorization header", input: "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig", expected: "Authorization: *** ***"),
        MaskCase(kind: "bearer token", input: "curl -H \"Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig\"", expected: "curl -H \"Bearer ***\""),
        MaskCase(kind: "rabbit URL password", input: "rabbit://magnum:rabbit-pass@mq.example:5672/", expected: "rabbit://magnum:***@mq.example:5672/"),
        MaskCase(kind: "https URL password", input: "dial https://user:pa55@registry.example/v2/", expected: "dial https://user:***@registry.example/v2/"),
        MaskCase(kind: "opaque secret", input: "secret id Xk9mP2qR7sT4vW1yZ3bC5dF8gH0jL6nQ in output", expected: "secret id *** in output"),
        MaskCase(kind: "PEM private key", input: "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", expected: "***"),
    ])
    func masksSecretLookingText(_ c: MaskCase) {
        #expect(SecretMasker().mask(c.input) == c.expected, "\(c.kind)")
    }

    @Test(arguments: [
        #"Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": dial tcp 127.0.0.1:6443: connect: connection refused"#,
        "release: not found",
        #"chart "openstack-cluster" version "0.10.1" not found in https://azimuth-cloud.github.io/capi-helm-charts repository"#,
        "namespaces \"magnum-9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b\" not found",
        "- nodeGroups.0: Additional property machineFlavour is not allowed",
        "image 0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70 for prod-east-x9k2m4p7q1w3",
        "maximum machine count < minimum machine count for node group 'batch'",
    ])
    func leavesOrdinaryMessagesAlone(message: String) {
        #expect(SecretMasker().mask(message) == message)
    }

    @Test func masksValuesUnderSecretKeysAndTheValuesDocument() {
        let values: JSONValue = [
            "kubernetesVersion": "1.31.4",
            "clouds": ["openstack": ["auth": ["application_credential_secret": "short-ish-secret"]]],
            "registryAuth": ["password": "hunter22"],
        ]
        let masker = SecretMasker().adding(values: values)
        #expect(masker.literals.contains("short-ish-secret"))
        #expect(masker.literals.contains("hunter22"))
        #expect(!masker.literals.contains("1.31.4"))
        let echoed = "invalid values: \(values.jsonString(.python)) and short-ish-secret again"
        let masked = masker.mask(echoed)
        #expect(!masked.contains("short-ish-secret"))
        #expect(!masked.contains("hunter22"))
        #expect(!masked.contains("kubernetesVersion"))
    }

    @Test func masksKubeconfigSecrets() {
        let kubeconfig = """
            users:
            - name: admin
              user:
                client-certificate-data: Y2VydA==
                client-key-data: a2V5LWRhdGEtdGhhdC1pcy1zZWNyZXQ=
                token: abcd1234
                password: "p@ss word"
            """
        let masker = SecretMasker().adding(kubeconfig: .content(kubeconfig))
        for secret in ["a2V5LWRhdGEtdGhhdC1pcy1zZWNyZXQ=", "abcd1234", "p@ss word"] {
            #expect(!masker.mask("echo \(secret) here").contains(secret))
        }
        #expect(masker.mask("kubeconfig content:\n\(kubeconfig)") == "kubeconfig content:\n***")
    }

    @Test func aKubeconfigFileAddsNothing() {
        #expect(SecretMasker().adding(kubeconfig: .file(path: "/etc/magnum/kubeconfig")).literals.isEmpty)
    }

    @Test func kubeconfigContentNeverPrints() {
        let kubeconfig = HelmKubeconfig.content("token: very-secret-token")
        #expect(!"\(kubeconfig)".contains("very-secret"))
        #expect(!String(reflecting: kubeconfig).contains("very-secret"))
        var dumped = ""
        dump(kubeconfig, to: &dumped)
        #expect(!dumped.contains("very-secret"))
    }
}
