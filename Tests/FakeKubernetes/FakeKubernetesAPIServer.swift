public import FakeHTTP
import Foundation
import JSON
import Synchronization
import Yams

/// An in-process stand-in for kube-apiserver: the real REST paths over HTTPS with client
/// certificate (or bearer token) authentication, answering with the same status codes and
/// `Status` bodies. State and semantics live in `FakeKubernetesStore`.
///
/// Users: the test PKI's `client.crt` is `kubernetes-admin` (may do anything); `client2.crt` is
/// `magnum-reader` (read-only: writes get 403). Bearer tokens are added with `tokens`.
public final class FakeKubernetesAPIServer: Sendable {
    public struct Options: Sendable {
        /// Bearer tokens and the user each stands for.
        public var tokens: [String: String] = [:]
        /// Users who may only read.
        public var readOnlyUsers: Set<String> = ["magnum-reader"]
        /// Namespaces that exist from the start.
        public var namespaces: [String] = ["default", "kube-system"]
        public init() {}
    }

    /// A failure to inject: the next matching requests get `status` (for 429/5xx handling tests).
    public struct InjectedFailure: Sendable {
        public var method: String?
        public var pathContains: String?
        public var status: Int
        public var retryAfter: Int?
        public var times: Int
        public init(method: String? = nil, pathContains: String? = nil, status: Int, retryAfter: Int? = nil, times: Int = 1) {
            self.method = method
            self.pathContains = pathContains
            self.status = status
            self.retryAfter = retryAfter
            self.times = times
        }
    }

    public let store: FakeKubernetesStore
    public let http: FakeHTTPServer
    public let pki: TestPKI
    private let state: State

    final class State: Sendable {
        let certificateUsers: [[UInt8]: String]
        let options: Options
        let failures = Mutex<[InjectedFailure]>([])
        let requestLog = Mutex<[String]>([])
        init(certificateUsers: [[UInt8]: String], options: Options) {
            self.certificateUsers = certificateUsers
            self.options = options
        }
    }

    public var baseURL: String { http.baseURL }

    private init(store: FakeKubernetesStore, http: FakeHTTPServer, pki: TestPKI, state: State) {
        self.store = store
        self.http = http
        self.pki = pki
        self.state = state
    }

    /// `resources` chooses what is served (for example Cluster API at v1beta2 only, as a
    /// management cluster that stopped serving v1beta1).
    public static func start(options: Options = Options(), pki: TestPKI? = nil,
                             resources: [FakeResource] = FakeResource.standard) async throws -> FakeKubernetesAPIServer {
        let pki = try pki ?? TestPKI.shared()
        let store = FakeKubernetesStore(resources: resources)
        for namespace in options.namespaces {
            try await store.seed("namespaces", group: "", object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
        }
        let admin = try derOfPEMFile(pki.clientCertificate)
        let reader = try derOfPEMFile(pki.otherClientCertificate)
        let state = State(certificateUsers: [admin: "kubernetes-admin", reader: "magnum-reader"], options: options)
        let http = try await FakeHTTPServer.start(
            tls: FakeTLS(certificateChainPath: pki.serverCertificate, privateKeyPath: pki.serverKey, clientCAPath: pki.caCertificate)
        ) { request in
            await FakeKubernetesAPIServer.handle(request, store: store, state: state)
        }
        return FakeKubernetesAPIServer(store: store, http: http, pki: pki, state: state)
    }

    public func shutdown() async { await http.shutdown() }

    /// Makes the next matching requests fail with `failure.status` (a Status body, Retry-After).
    public func inject(_ failure: InjectedFailure) {
        state.failures.withLock { $0.append(failure) }
    }

    /// "METHOD path?query" of every request received, in order.
    public var requests: [String] { state.requestLog.withLock { $0 } }

    public enum Credentials: Sendable {
        case clientCertificateFiles
        case clientCertificateData
        case otherClientCertificateFiles
        case rogueClientCertificateFiles
        case token(String)
        case tokenFile(String)
    }

    /// A kubeconfig for this server (YAML text), with the credentials asked for.
    public func kubeconfig(_ credentials: Credentials = .clientCertificateFiles, inlineCA: Bool = false, insecure: Bool = false,
                           context: String = "fake-admin@fake") throws -> String {
        var cluster = "    server: \(baseURL)\n"
        if insecure {
            cluster += "    insecure-skip-tls-verify: true\n"
        } else if inlineCA {
            cluster += "    certificate-authority-data: \(try base64(pki.caCertificate))\n"
        } else {
            cluster += "    certificate-authority: \(pki.caCertificate)\n"
        }
        var user = ""
        switch credentials {
        case .clientCertificateFiles:
            user = "    client-certificate: \(pki.clientCertificate)\n    client-key: \(pki.clientKey)\n"
        case .clientCertificateData:
            user = "    client-certificate-data: \(try base64(pki.clientCertificate))\n    client-key-data: \(try base64(pki.clientKey))\n"
        case .otherClientCertificateFiles:
            user = "    client-certificate: \(pki.otherClientCertificate)\n    client-key: \(pki.otherClientKey)\n"
        case .rogueClientCertificateFiles:
            user = "    client-certificate: \(pki.rogueClientCertificate)\n    client-key: \(pki.rogueClientKey)\n"
        case .token(let token):
            user = "    token: \(token)\n"
        case .tokenFile(let path):
            user = "    tokenFile: \(path)\n"
        }
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
        \(cluster.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        users:
        - name: fake-user
          user:
        \(user.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        contexts:
        - name: \(context)
          context:
            cluster: fake
            user: fake-user
        current-context: \(context)

        """
    }

    private func base64(_ path: String) throws -> String {
        Data(try pki.contents(path)).base64EncodedString()
    }

    static func derOfPEMFile(_ path: String) throws -> [UInt8] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { throw FakeServerError(message: "\(path) is not PEM") }
        return Array(data)
    }

    // MARK: Routing

    static func respond(_ status: APIStatus, retryAfter: Int? = nil) -> FakeHTTPResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        return FakeHTTPResponse(status: status.code, headers: headers, body: .bytes(status.json.serialized(.compact)))
    }

    static func respond(_ code: Int, _ json: JSONValue) -> FakeHTTPResponse {
        FakeHTTPResponse(status: code, contentType: "application/json", body: json.serialized(.compact))
    }

    struct Route {
        var resource: FakeResource
        var version: String
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    static func route(_ path: String, resources: [FakeResource]) -> Route? {
        let segments = path.split(separator: "/").map(String.init)
        var index: Int
        let group: String
        let version: String
        if segments.count >= 2, segments[0] == "api" {
            group = ""
            version = segments[1]
            index = 2
        } else if segments.count >= 3, segments[0] == "apis" {
            group = segments[1]
            version = segments[2]
            index = 3
        } else {
            return nil
        }
        var rest = Array(segments[index...])
        var namespace: String?
        if rest.count >= 3, rest[0] == "namespaces" {
            namespace = rest[1]
            rest = Array(rest[2...])
        }
        guard let plural = rest.first,
              let resource = resources.first(where: { $0.group == group && $0.plural == plural && $0.versions.contains(version) }) else {
            return nil
        }
        index = 1
        if resource.namespaced != (namespace != nil) && rest.count > 1 && namespace == nil && resource.namespaced { return nil }
        if !resource.namespaced && namespace != nil { return nil }
        let name = rest.count > 1 ? rest[1] : nil
        let subresource = rest.count > 2 ? rest[2] : nil
        if rest.count > 3 { return nil }
        return Route(resource: resource, version: version, namespace: namespace, name: name, subresource: subresource)
    }

    static func handle(_ request: FakeHTTPRequest, store: FakeKubernetesStore, state: State) async -> FakeHTTPResponse {
        state.requestLog.withLock { $0.append("\(request.method) \(request.uri)") }
        // Authentication.
        var user: String?
        if let der = request.clientCertificateDER { user = state.certificateUsers[der] }
        if user == nil, let auth = request.header("Authorization"), auth.hasPrefix("Bearer ") {
            user = state.options.tokens[String(auth.dropFirst(7))]
        }
        guard let user else { return respond(APIStatus.unauthorized) }

        if let failure = state.failures.withLock({ failures -> InjectedFailure? in
            guard let index = failures.firstIndex(where: {
                ($0.method == nil || $0.method == request.method) && ($0.pathContains.map { request.uri.contains($0) } ?? true)
            }) else { return nil }
            var failure = failures[index]
            failure.times -= 1
            if failure.times <= 0 { failures.remove(at: index) } else { failures[index] = failure }
            return failure
        }) {
            let reason = failure.status == 429 ? "TooManyRequests" : (failure.status >= 500 ? "InternalError" : "BadRequest")
            let message = failure.status == 429 ? "Too many requests, please try again later." : "injected failure"
            return respond(APIStatus(code: failure.status, reason: reason, message: message, details: failure.retryAfter.map { ["retryAfterSeconds": .int(Int64($0))] }),
                           retryAfter: failure.retryAfter)
        }

        let path = request.path
        if path == "/version" && request.method == "GET" {
            return respond(200, ["major": "1", "minor": "31", "gitVersion": "v1.31.4", "platform": "linux/amd64"])
        }
        guard let route = route(path, resources: store.resources) else { return respond(APIStatus.noSuchResource) }
        let resource = route.resource
        let isWrite = !["GET", "HEAD"].contains(request.method)
        if isWrite && state.options.readOnlyUsers.contains(user) {
            let verb: String
            switch (request.method, route.name) {
            case ("POST", _): verb = "create"
            case ("PUT", _): verb = "update"
            case ("PATCH", _): verb = "patch"
            case ("DELETE", nil): verb = "deletecollection"
            default: verb = "delete"
            }
            return respond(APIStatus.forbidden(resource, name: route.name, user: user, verb: verb, namespace: route.namespace))
        }
        if let subresource = route.subresource, subresource != "status" || !resource.hasStatusSubresource {
            return respond(APIStatus.noSuchResource)
        }
        var selector: LabelSelector?
        if let text = request.queryValue("labelSelector"), !text.isEmpty {
            do { selector = try LabelSelector(text) } catch let error as LabelSelector.ParseError {
                return respond(APIStatus.badRequest("unable to parse requirement: \(error.message)"))
            } catch { return respond(APIStatus.badRequest("invalid label selector")) }
        }
        var nameField: String?
        if let field = request.queryValue("fieldSelector"), !field.isEmpty {
            guard field.hasPrefix("metadata.name=") else {
                return respond(APIStatus.badRequest("field label not supported: \(field.split(separator: "=").first ?? "")"))
            }
            nameField = String(field.dropFirst("metadata.name=".count))
        }
        let manager = request.queryValue("fieldManager")

        do {
            switch (request.method, route.name) {
            case ("GET", let name?):
                return respond(200, try await store.get(resource, version: route.version, namespace: route.namespace, name: name))
            case ("GET", nil):
                let watch = request.queryValue("watch").map { $0 == "1" || $0 == "true" } ?? false
                if watch {
                    let timeout = request.queryValue("timeoutSeconds").flatMap(Int.init).map { Duration.seconds($0) }
                    let stream = await store.watch(
                        resource, version: route.version, namespace: route.namespace, selector: selector, nameField: nameField,
                        resourceVersion: request.queryValue("resourceVersion"),
                        bookmarks: request.queryValue("allowWatchBookmarks") == "true", timeout: timeout)
                    return FakeHTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(stream))
                }
                let limit = request.queryValue("limit").flatMap(Int.init)
                return respond(200, try await store.list(
                    resource, version: route.version, namespace: route.namespace, selector: selector, nameField: nameField,
                    limit: limit, continueToken: request.queryValue("continue")))
            case ("POST", nil):
                let body = try parseBody(request, yaml: false)
                return respond(201, try await store.create(resource, version: route.version, namespace: route.namespace, body: body, manager: manager))
            case ("PUT", let name?):
                let body = try parseBody(request, yaml: false)
                return respond(200, try await store.update(resource, version: route.version, namespace: route.namespace, name: name, body: body,
                                                           subresource: route.subresource, manager: manager))
            case ("PATCH", let name?):
                let contentType = (request.header("Content-Type") ?? "").split(separator: ";").first.map { String($0).trimmingCharacters(in: " ") } ?? ""
                switch contentType {
                case "application/merge-patch+json":
                    let body = try parseBody(request, yaml: false)
                    return respond(200, try await store.mergePatch(resource, version: route.version, namespace: route.namespace, name: name,
                                                                   patch: body, subresource: route.subresource, manager: manager))
                case "application/apply-patch+yaml":
                    guard let manager, !manager.isEmpty else {
                        throw APIStatus.badRequest("PATCH, application/apply-patch+yaml requests must set fieldManager")
                    }
                    let force = request.queryValue("force") == "true"
                    let body = try parseBody(request, yaml: true)
                    let (created, object) = try await store.apply(resource, version: route.version, namespace: route.namespace, name: name,
                                                                  body: body, manager: manager, force: force, subresource: route.subresource)
                    return respond(created ? 201 : 200, object)
                default:
                    return respond(APIStatus(code: 415, reason: "UnsupportedMediaType",
                                             message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"))
                }
            case ("DELETE", let name?):
                let answer = try await store.delete(resource, version: route.version, namespace: route.namespace, name: name)
                return respond(answer["kind"]?.stringValue == "Status" ? 200 : 202, answer)
            case ("DELETE", nil):
                return respond(200, try await store.deleteCollection(resource, version: route.version, namespace: route.namespace, selector: selector))
            default:
                return respond(APIStatus(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource"))
            }
        } catch let status as APIStatus {
            return respond(status)
        } catch {
            return respond(APIStatus(code: 500, reason: "InternalError", message: "\(error)"))
        }
    }

    static func parseBody(_ request: FakeHTTPRequest, yaml: Bool) throws -> JSONValue {
        if let json = try? JSONValue(parsing: request.body) { return json }
        if yaml, let text = String(bytes: request.body, encoding: .utf8), let node = try? Yams.compose(yaml: text) {
            return yamlToJSON(node)
        }
        throw APIStatus.badRequest("the body of the request was in an unknown format")
    }

    static func yamlToJSON(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if node.null != nil { return .null }
            if let bool = node.bool { return .bool(bool) }
            if let int = node.int { return .int(Int64(int)) }
            if let double = node.float { return .double(double) }
            return .string(scalar.string)
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping { object[key.string ?? ""] = yamlToJSON(value) }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.map(yamlToJSON))
        case .alias:
            return .null
        }
    }
}
