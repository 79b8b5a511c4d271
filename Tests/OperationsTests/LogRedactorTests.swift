import Logging
import Operations
import Testing

/// Nothing secret reaches a log line, whatever shape it is in; ordinary text is left alone.
@Suite struct LogRedactorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String
        /// Substrings that must not survive.
        let secrets: [String]
        /// Substrings that must survive (context an operator needs).
        let kept: [String]
        var testDescription: String { name }
    }

    static let fernet = "gAAAAABnR3x8Jq2k1m4Z9yQfV0s7Tt2LwP5aHc8dEeFf1g2H3i4J5k6L7m8N9o0PqRsTuVwXyZ_-abcdEFGH1234ijklMNOP5678qrstUVWX"
    static let jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06ZGVmYXVsdCJ9.c2lnbmF0dXJlLXBhcnQtMTIzNDU2"
    static let appCredSecret = "Hk3v9QxT7mWbR2nLp8sYfD4gJ6cZ1aE5uV0iO3kN7wB9tX2yM4qS6rF8hG1jK5lP0zA3xC7vB2nM9qW4eR6tY8uI1oP3aS5dF7gH9jKlZ"
    static let pemKey = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIEowIBAAKCAQEAw0nVYgBq8mG3y7xJcXb5hQk2QmS7tL9eVr4aZ1sW8oP3nK6d
        f2JhR8kL1mN4pQ7sT0vW3yZ6bC9eF2hI5kL8nO1qR4tU7wX0zA3cD6fG9iJ2lM5o
        -----END RSA PRIVATE KEY-----
        """
    static let clientKeyData = "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUlyWVNTNVZGN0JNOTh2dU1hRjdGOGRPSXg3RGZ4K1VSdnlDUWlXbWNLTFRvQW9HQ0NxR1NNNDkKLS0tLS1FTkQgRUMgUFJJVkFURSBLRVktLS0tLQo="
    static let caData = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="

    static let cases: [Case] = [
        Case(name: "transport URL, one host",
             input: "connecting to rabbit://magnum:Rabb1tPa55@mq.example.org:5672/magnum",
             secrets: ["Rabb1tPa55"], kept: ["rabbit://magnum:***@mq.example.org:5672/magnum"]),
        Case(name: "transport URL, several hosts",
             input: "transport_url = rabbit://openstack:s3cr3t-one@10.0.0.11:5672,openstack:s3cr3t-two@10.0.0.12:5672,admin:s3cr3t-three@10.0.0.13:5672/",
             secrets: ["s3cr3t-one", "s3cr3t-two", "s3cr3t-three"],
             kept: ["openstack:***@10.0.0.11:5672", "openstack:***@10.0.0.12:5672", "admin:***@10.0.0.13:5672/"]),
        Case(name: "database URL with @ and : in the password",
             input: "connection=mysql+pymysql://magnum:p@ss:w0rd!@db.example.org/magnum?charset=utf8",
             secrets: ["p@ss", "w0rd!"], kept: ["mysql+pymysql://magnum:***@db.example.org/magnum?charset=utf8"]),
        Case(name: "URL with empty user",
             input: "redis://:r3dis-pass@cache:6379/0", secrets: ["r3dis-pass"], kept: ["redis://:***@cache:6379/0"]),
        Case(name: "JSON password, secret, token fields",
             input: #"{"auth": {"password": "hunter2hunter2", "application_credential_secret": "ac-secret-value", "application_credential_id": "4f0e9c1d2b3a", "token": "tok-value-123"}, "user": "admin"}"#,
             secrets: ["hunter2hunter2", "ac-secret-value", "tok-value-123"],
             kept: [#""application_credential_id": "4f0e9c1d2b3a""#, #""user": "admin""#, #""password": "***""#]),
        Case(name: "Python dict repr",
             input: "auth={'username': 'magnum', 'password': u'py-pass-1', 'project_name': 'service'}",
             secrets: ["py-pass-1"], kept: ["'username': 'magnum'", "'project_name': 'service'"]),
        Case(name: "JSON with an escaped quote in the password",
             input: #"{"password": "abc\"def-tail"}"#, secrets: ["abc", "def-tail"], kept: []),
        Case(name: "JSON escaped inside a JSON string",
             input: #"{"body": "{\"auth\": {\"passwordCredentials\": {\"password\": \"inner-secret\"}}}"}"#,
             secrets: ["inner-secret"], kept: [#"\"auth\""#]),
        Case(name: "key=value pairs, oslo style",
             input: "authenticating with admin_password=AdminPa55 os_password = Other9 user=admin",
             secrets: ["AdminPa55", "Other9"], kept: ["user=admin"]),
        Case(name: "command-line options",
             input: "running openstack --os-password cli-secret --os-username admin --os-token 'quoted token'",
             secrets: ["cli-secret", "quoted token"], kept: ["--os-username admin"]),
        Case(name: "XML",
             input: "<auth><password>xml-secret</password><user>admin</user></auth>",
             secrets: ["xml-secret"], kept: ["<user>admin</user>"]),
        Case(name: "X-Auth-Token header",
             input: "REQ: curl -g -i -X GET https://keystone:5000/v3 -H \"X-Auth-Token: \(fernet)\" -H \"Accept: application/json\"",
             secrets: [String(fernet.dropFirst(10))], kept: ["Accept: application/json", "https://keystone:5000/v3"]),
        Case(name: "header dict with X-Subject-Token",
             input: "resp headers: {'X-Subject-Token': 'a3f9c0e1b2d34c5e8f7a6b5c4d3e2f10', 'Vary': 'X-Auth-Token'}",
             secrets: ["a3f9c0e1b2d34c5e8f7a6b5c4d3e2f10"], kept: ["'Vary': 'X-Auth-Token'"]),
        Case(name: "Authorization header",
             input: "Authorization: Basic bWFnbnVtOnNlY3JldA==", secrets: ["bWFnbnVtOnNlY3JldA=="], kept: ["Authorization: "]),
        Case(name: "Bearer token in text",
             input: "calling kube-apiserver with Bearer \(jwt) now", secrets: ["c2lnbmF0dXJl", "eyJzdWIi"], kept: ["now"]),
        Case(name: "Fernet token in free text",
             input: "token \(fernet) expired", secrets: [String(fernet.dropFirst(8))], kept: ["expired"]),
        Case(name: "JWT in free text",
             input: "sa token is \(jwt).", secrets: ["eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ"], kept: ["sa token is "]),
        Case(name: "application credential secret, clouds.yaml",
             input: """
                clouds:
                  openstack:
                    auth:
                      auth_url: https://keystone.example.org:5000/v3
                      application_credential_id: "7f1c2a3b4d5e6f708192a3b4c5d6e7f8"
                      application_credential_secret: \(appCredSecret)
                    region_name: RegionOne
                """,
             secrets: [appCredSecret], kept: ["auth_url: https://keystone.example.org:5000/v3", "7f1c2a3b4d5e6f708192a3b4c5d6e7f8", "region_name: RegionOne"]),
        Case(name: "application credential secret alone in a message",
             input: "created credential \(appCredSecret) for cluster",
             secrets: [String(appCredSecret.prefix(20))], kept: ["created credential", "for cluster"]),
        Case(name: "openrc export",
             input: "export OS_APPLICATION_CREDENTIAL_SECRET=openrc-secret-9", secrets: ["openrc-secret-9"], kept: ["export "]),
        Case(name: "openstack CLI table",
             input: "| id     | 3b1e9f2a |\n| secret | table-secret-value |\n| name   | magnum-cluster |",
             secrets: ["table-secret-value"], kept: ["| id     | 3b1e9f2a |", "| name   | magnum-cluster |"]),
        Case(name: "PEM private key",
             input: "key material:\n\(pemKey)\nend", secrets: ["MIIEowIBAAKCAQEAw0nVYgBq8mG3y7xJcXb5hQk2QmS7tL9eVr4aZ1sW8oP3nK6d", "f2JhR8kL1mN4pQ7sT0vW3yZ6"], kept: ["key material:", "end"]),
        Case(name: "PEM private key escaped in JSON",
             input: #"{"private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n", "name": "ca"}"#,
             secrets: ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"], kept: [#""name": "ca""#]),
        Case(name: "truncated PEM private key",
             input: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", secrets: ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"], kept: []),
        Case(name: "kubeconfig",
             input: """
                apiVersion: v1
                clusters:
                - cluster:
                    certificate-authority-data: \(caData)
                    server: https://10.0.0.5:6443
                  name: prod
                users:
                - name: prod-admin
                  user:
                    client-certificate-data: \(caData)
                    client-key-data: \(clientKeyData)
                    token: 0a1b2c.0123456789abcdef
                - name: oidc
                  user:
                    auth-provider:
                      config:
                        id-token: \(jwt)
                        refresh-token: refresh-secret-value
                        client-secret: oidc-client-secret
                """,
             secrets: [clientKeyData, String(clientKeyData.dropFirst(20).prefix(40)), "0123456789abcdef", "c2lnbmF0dXJl",
                       "refresh-secret-value", "oidc-client-secret"],
             kept: ["server: https://10.0.0.5:6443", "name: prod-admin", "certificate-authority-data: \(caData)"]),
        Case(name: "base64 private key without a key name",
             input: "data \(clientKeyData) end", secrets: [String(clientKeyData.prefix(40))], kept: ["data ", " end"]),
        Case(name: "YAML block scalar",
             input: "privateKey: |\n  line-one-secret\n  line-two-secret\nname: ok",
             secrets: ["line-one-secret", "line-two-secret"], kept: ["name: ok"]),
        Case(name: "flow mapping",
             input: "{user: admin, password: flow-secret, port: 5672}", secrets: ["flow-secret"], kept: ["user: admin", "port: 5672"]),
        Case(name: "cookie header",
             input: "Cookie: session=cookie-secret-1; theme=dark", secrets: ["cookie-secret-1"], kept: ["Cookie: "]),
    ]

    @Test(arguments: cases)
    func secretsAreMasked(_ c: Case) {
        let out = LogRedactor().redact(c.input)
        for secret in c.secrets {
            #expect(!out.contains(secret), "\(c.name): \(secret) survived in \(out)")
        }
        for kept in c.kept {
            #expect(out.contains(kept), "\(c.name): lost \(kept) in \(out)")
        }
        #expect(out.contains("***"), "\(c.name): nothing masked in \(out)")
    }

    @Test(arguments: [
        "consuming from magnum-conductor on rabbit://mq.example.org:5672/ (no credentials)",
        "cluster 0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70 moved to CREATE_COMPLETE",
        "helm upgrade prod-east-x9k2m4p7q1w3 openstack-cluster --namespace magnum-9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b",
        "image fedora-coreos-38.20230806.3.0-Kube-v1.27.4 for flavor m1.large",
        "https://keystone.example.org:5000/v3/auth/tokens returned 201",
        "token refresh failed: connection refused",
        "password authentication is disabled for this cloud",
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "/var/lib/magnum/helm/cache/repository/openstack-cluster-0.10.1.tgz",
        "application_credential_id=7f1c2a3b4d5e6f708192a3b4c5d6e7f8 token_file=/etc/magnum/token",
        "nodes a,b and c are Ready; Bearer authentication is configured",
        "Kubernetes-Cluster-Template-Production-Default-Large-2024",
        "email root@example.org about cluster prod",
        "",
    ])
    func ordinaryTextIsUnchanged(_ text: String) {
        #expect(LogRedactor().redact(text) == text)
    }

    @Test func everyRuleCompiled() {
        #expect(LogRedactor.allRulesCompiled)
    }

    @Test func registeredSecretsAreMaskedInAnyForm() {
        let secrets = KnownSecrets()
        secrets.register("Sup3r S€cret/+")
        let redactor = LogRedactor(knownSecrets: secrets)
        let forms = [
            "said Sup3r S€cret/+ aloud",
            "in a url Sup3r%20S%E2%82%ACcret%2F%2B here",
            #"json "Sup3r S\u20accret/+" here"#,
            "base64 U3VwM3IgU+KCrGNyZXQvKw here",
        ]
        for text in forms {
            let out = redactor.redact(text)
            #expect(!out.contains("Sup3r"), "\(out)")
            #expect(!out.contains("U3VwM3IgU"), "\(out)")
            #expect(out.hasSuffix("here") || out.hasSuffix("aloud"))
        }
    }

    @Test func secretLookingMetadataKeysHideTheWholeValue() {
        let redactor = LogRedactor()
        let metadata: Logger.Metadata = [
            "password": "x",
            "auth_token": .stringConvertible(1234),
            "kubeconfig": "users:\n- user:\n    token: kube-token-value",
            "url": "amqp://guest:guest-pass@localhost/",
            "nested": ["client_secret": "deep-secret", "list": ["Bearer abcdEFGH1234xyz"]],
            "cluster_uuid": "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70",
            "application_credential_id": "7f1c2a3b",
        ]
        let out = redactor.redact(metadata)
        #expect(out["password"] == "***")
        #expect(out["auth_token"] == "***")
        #expect(out["kubeconfig"] == "users:\n- user:\n    token: ***")
        #expect(out["url"] == "amqp://guest:***@localhost/")
        #expect(out["nested"] == ["client_secret": "***", "list": ["Bearer ***"]])
        #expect(out["cluster_uuid"] == "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70")
        #expect(out["application_credential_id"] == "7f1c2a3b")
    }

    @Test(arguments: [
        ("password", true), ("admin_password", true), ("OS_PASSWORD", true), ("application_credential_secret", true),
        ("client-key-data", true), ("X-Auth-Token", true), ("privateKey", true), ("id-token", true), ("api_key", true),
        ("secretName", false), ("application_credential_id", false), ("token_file", false), ("cluster_uuid", false),
        ("msg_id", false), ("user", false), ("password_expires_at", false), ("keystone_url", false),
    ])
    func secretKeys(key: String, secret: Bool) {
        #expect(LogRedactor.isSecretKey(key) == secret)
    }
}
