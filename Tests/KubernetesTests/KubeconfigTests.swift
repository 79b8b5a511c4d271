import Curl
import FakeHTTP
import Foundation
import Kubernetes
import Testing

@Suite struct KubeconfigTests {
    static let base = """
    apiVersion: v1
    kind: Config
    clusters:
    - name: mgmt
      cluster:
        server: https://10.0.0.5:6443/
        certificate-authority: ca.crt
    - name: inline
      cluster:
        server: https://api.example:6443
        certificate-authority-data: LS0tLS1CRUdJTg==
    - name: insecure
      cluster:
        server: https://api.example:6443
        insecure-skip-tls-verify: true
    users:
    - name: cert-files
      user:
        client-certificate: /etc/capi/admin.crt
        client-key: admin.key
    - name: cert-data
      user:
        client-certificate-data: Y2VydA==
        client-key-data: a2V5
    - name: token
      user:
        token: sekrit-token-value
    - name: exec
      user:
        exec:
          command: kubelogin
    contexts:
    - name: files
      context: {cluster: mgmt, user: cert-files, namespace: magnum}
    - name: data
      context: {cluster: inline, user: cert-data}
    - name: token
      context: {cluster: insecure, user: token}
    - name: exec
      context: {cluster: mgmt, user: exec}
    current-context: files
    """

    @Test func currentContextWithFilesResolvesRelativePathsAgainstTheKubeconfig() throws {
        let config = try Kubeconfig(yaml: Self.base, path: "/etc/magnum/kubeconfig")
        let connection = try config.connection()
        #expect(connection.server == "https://10.0.0.5:6443")
        #expect(connection.tls.trustRoots == .file("/etc/magnum/ca.crt"))
        #expect(connection.tls.clientCertificate == .file("/etc/capi/admin.crt"))
        #expect(connection.tls.clientKey == .file("/etc/magnum/admin.key"))
        #expect(connection.tls.verifyPeer)
        #expect(connection.bearerToken == nil)
        #expect(connection.namespace == "magnum")
        #expect(connection.contextName == "files")
    }

    @Test func inlineDataIsDecodedFromBase64() throws {
        let connection = try Kubeconfig(yaml: Self.base).connection(context: "data")
        #expect(connection.tls.trustRoots == .data(Array("-----BEGIN".utf8)))
        #expect(connection.tls.clientCertificate == .data(Array("cert".utf8)))
        #expect(connection.tls.clientKey == .data(Array("key".utf8)))
    }

    @Test func tokenAndInsecureSkipVerify() throws {
        let connection = try Kubeconfig(yaml: Self.base).connection(context: "token")
        #expect(connection.bearerToken == "sekrit-token-value")
        #expect(!connection.tls.verifyPeer)
        #expect(!connection.tls.verifyHost)
        #expect(connection.tls.trustRoots == nil)
        #expect(!connection.description.contains("sekrit"))
    }

    @Test func tokenFileIsRead() throws {
        let tokenPath = try writeTemporary("file-token\n", name: "token")
        let yaml = Self.base.replacingOccurrences(of: "token: sekrit-token-value", with: "tokenFile: \(tokenPath)")
        #expect(try Kubeconfig(yaml: yaml).connection(context: "token").bearerToken == "file-token")
    }

    @Test func unsupportedAuthAndMissingPiecesAreClearErrors() throws {
        let config = try Kubeconfig(yaml: Self.base, path: "/etc/magnum/kubeconfig")
        let exec = #expect(throws: KubeconfigError.self) { try config.connection(context: "exec") }
        #expect(exec?.description.contains("exec credential plugins") == true)
        let missing = #expect(throws: KubeconfigError.self) { try config.connection(context: "nope") }
        #expect(missing?.description == "kubeconfig /etc/magnum/kubeconfig: context 'nope' is not defined (contexts: data, exec, files, token)")
        let noCurrent = #expect(throws: KubeconfigError.self) {
            try Kubeconfig(yaml: Self.base.replacingOccurrences(of: "current-context: files", with: "")).connection()
        }
        #expect(noCurrent?.problem.contains("no current-context") == true)
    }

    @Test func malformedFilesNeverEchoTheirContent() throws {
        let broken = "users:\n- name: u\n  user:\n    token: sekrit-token-value\n  bad: [unclosed\n"
        let error = #expect(throws: KubeconfigError.self) { try Kubeconfig(yaml: broken, path: "/k") }
        #expect(error?.problem.contains("not valid YAML") == true)
        #expect(error?.description.contains("sekrit") == false)
        let notMapping = #expect(throws: KubeconfigError.self) { try Kubeconfig(yaml: "- a\n- b\n") }
        #expect(notMapping?.problem.contains("not a kubeconfig") == true)
        let badBase64 = #expect(throws: KubeconfigError.self) {
            try Kubeconfig(yaml: Self.base.replacingOccurrences(of: "Y2VydA==", with: "not*base64"))
        }
        #expect(badBase64?.problem == "client-certificate-data of user 'cert-data' is not valid base64")
    }

    @Test func loadReportsMissingAndUnreadableFiles() throws {
        let missing = #expect(throws: KubeconfigError.self) { try Kubeconfig.load(path: "/nonexistent/kubeconfig") }
        #expect(missing?.description == "kubeconfig /nonexistent/kubeconfig: the file does not exist")
    }

    @Test func defaultPathFollowsThePythonDriver() {
        #expect(Kubeconfig.defaultPath(configured: "/etc/magnum/kubeconfig", environment: ["KUBECONFIG": "/x"]) == "/etc/magnum/kubeconfig")
        #expect(Kubeconfig.defaultPath(configured: "", environment: ["KUBECONFIG": "/x", "HOME": "/home/m"]) == "/x")
        #expect(Kubeconfig.defaultPath(configured: nil, environment: ["HOME": "/home/m"]) == "/home/m/.kube/config")
    }
}
