import Foundation
import JSON

/// Just enough of a Kubernetes API server (plain HTTP on loopback, real REST paths) for the real
/// helm binary to reach the states whose messages we classify: helm's release storage (Secrets
/// labelled `owner=helm`), discovery, and a chart repository index with no charts.
///
/// Every request is answered on its own connection (`Connection: close`) by a background thread.
final class FakeKubernetesAPI: @unchecked Sendable {
    enum Mode: Sendable {
        /// No release stored; creating and updating release Secrets succeeds.
        case noReleases
        /// Release `name` stored with status `status` (`pending-install`, `deployed`).
        case storedRelease(name: String, status: String)
        /// Listing Secrets is forbidden for the caller.
        case forbidden
        /// The namespace does not exist: creating the release Secret fails with 404.
        case namespaceMissing
    }

    let port: Int
    let token = "fake-api-token-Zq8xV3mK9pL2nR7tW4yB6cD1"
    private let listener: Int32
    private let mode: Mode
    private let lock = NSLock()
    private var seen: [String] = []

    init(mode: Mode) throws {
        self.mode = mode
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FakeHelmError(message: "socket: \(String(cString: strerror(errno)))") }
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw FakeHelmError(message: "bind/listen: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        stop()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// `METHOD path` of every request so far.
    var requests: [String] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    /// A kubeconfig for this server, with a bearer token.
    var kubeconfig: String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: http://127.0.0.1:\(port)
        contexts:
        - name: fake
          context:
            cluster: fake
            user: fake
        current-context: fake
        users:
        - name: fake
          user:
            token: \(token)

        """
    }

    var chartRepository: String { "http://127.0.0.1:\(port)/charts" }

    // MARK: - Serving

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var headerEnd: Int?
        while headerEnd == nil {
            let count = read(connection, &chunk, chunk.count)
            if count <= 0 { return }
            buffer += chunk[0..<count]
            headerEnd = buffer.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound
        }
        guard let headerEnd else { return }
        let head = String(decoding: buffer[..<headerEnd], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return }
        let method = String(requestLine[0]), target = String(requestLine[1])
        var contentLength = 0
        for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        while buffer.count - headerEnd < contentLength {
            let count = read(connection, &chunk, chunk.count)
            if count <= 0 { break }
            buffer += chunk[0..<count]
        }
        lock.lock()
        seen.append("\(method) \(target)")
        lock.unlock()
        let (status, contentType, body) = respond(method: method, target: target)
        let response = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        var bytes = Array(response.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }

    private func respond(method: String, target: String) -> (String, String, String) {
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        let json = "application/json"
        switch (method, path) {
        case ("GET", "/version"):
            return ("200 OK", json, #"{"major":"1","minor":"31","gitVersion":"v1.31.0","platform":"linux/amd64"}"#)
        case ("GET", "/api"):
            return ("200 OK", json, #"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}"#)
        case ("GET", "/apis"):
            return ("200 OK", json, #"{"kind":"APIGroupList","apiVersion":"v1","groups":[]}"#)
        case ("GET", "/api/v1"):
            return ("200 OK", json, #"{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret","verbs":["create","delete","get","list","patch","update","watch"]},{"name":"configmaps","singularName":"configmap","namespaced":true,"kind":"ConfigMap","verbs":["create","delete","get","list","patch","update","watch"]}]}"#)
        case ("GET", "/charts/index.yaml"):
            return ("200 OK", "application/x-yaml", "apiVersion: v1\nentries: {}\n")
        default:
            break
        }
        let parts = path.split(separator: "/").map(String.init)
        // /api/v1/namespaces/<ns>/secrets[/<name>]
        guard parts.count >= 5, parts[0] == "api", parts[1] == "v1", parts[2] == "namespaces", parts[4] == "secrets" else {
            return notFound("the server could not find the requested resource")
        }
        let namespace = parts[3]
        switch method {
        case "GET" where parts.count == 5:
            switch mode {
            case .forbidden:
                return ("403 Forbidden", json, status(
                    code: 403, reason: "Forbidden",
                    message: #"secrets is forbidden: User \"system:serviceaccount:magnum:worker\" cannot list resource \"secrets\" in API group \"\" in the namespace \"\#(namespace)\""#))
            case .storedRelease(let name, let releaseStatus):
                return ("200 OK", json, secretList([releaseSecret(name: name, namespace: namespace, status: releaseStatus)]))
            case .noReleases, .namespaceMissing:
                return ("200 OK", json, secretList([]))
            }
        case "POST":
            if case .namespaceMissing = mode {
                return ("404 Not Found", json, status(
                    code: 404, reason: "NotFound", message: #"namespaces \"\#(namespace)\" not found"#))
            }
            return ("201 Created", json, #"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"created","namespace":"\#(namespace)"}}"#)
        case "PUT":
            return ("200 OK", json, #"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"\#(parts.last ?? "")","namespace":"\#(namespace)"}}"#)
        case "DELETE":
            return ("200 OK", json, status(code: 200, reason: "", message: "", success: true))
        default:
            return notFound("no handler for \(method) \(path)")
        }
    }

    private func notFound(_ message: String) -> (String, String, String) {
        ("404 Not Found", "application/json", status(code: 404, reason: "NotFound", message: message))
    }

    private func status(code: Int, reason: String, message: String, success: Bool = false) -> String {
        #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"\#(success ? "Success" : "Failure")","message":"\#(message)","reason":"\#(reason)","code":\#(code)}"#
    }

    private func secretList(_ items: [String]) -> String {
        #"{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[\#(items.joined(separator: ","))]}"#
    }

    /// A helm release Secret: data.release is base64 of helm's encoding, which is base64 of the
    /// release JSON (helm gunzips only when the gzip magic is present).
    private func releaseSecret(name: String, namespace: String, status: String) -> String {
        let release: JSONValue = [
            "name": .string(name), "namespace": .string(namespace), "version": 1,
            "info": [
                "status": .string(status), "description": "Install complete",
                "first_deployed": "2026-01-01T00:00:00Z", "last_deployed": "2026-01-01T00:00:00Z", "deleted": "",
            ],
            "chart": ["metadata": ["name": "openstack-cluster", "version": "0.10.1", "apiVersion": "v2"]],
            "manifest": "",
        ]
        let encoded = Data(release.serialized(.compact)).base64EncodedString()
        let data = Data(encoded.utf8).base64EncodedString()
        return #"{"metadata":{"name":"sh.helm.release.v1.\#(name).v1","namespace":"\#(namespace)","labels":{"name":"\#(name)","owner":"helm","status":"\#(status)","version":"1"}},"type":"helm.sh/release.v1","data":{"release":"\#(data)"}}"#
    }
}
