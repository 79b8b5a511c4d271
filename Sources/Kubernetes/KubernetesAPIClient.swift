import Curl
import Foundation
public import JSON
public import Logging

/// The real `KubernetesClient`: the API server's REST paths over libcurl, with the kubeconfig's
/// TLS and credentials. One instance keeps its connections open (HTTP/2 when the server offers
/// it), so share it.
///
/// Throttling (429, or 503 with Retry-After) is retried after the server's Retry-After for reads
/// and idempotent writes (get, list, update, apply, merge patch, delete), never for create.
public final class KubernetesAPIClient: KubernetesClient {
    public struct Configuration: Sendable {
        /// Total time for one non-watch request.
        public var requestTimeout: Duration
        public var connectTimeout: Duration
        /// Retries after 429/503 for safe requests.
        public var maximumRetries: Int
        /// Longest Retry-After honoured (longer ones are cut to this).
        public var maximumRetryDelay: Duration
        /// Used when the server gives no Retry-After.
        public var defaultRetryDelay: Duration

        public init(requestTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10), maximumRetries: Int = 3,
                    maximumRetryDelay: Duration = .seconds(10), defaultRetryDelay: Duration = .seconds(1)) {
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.maximumRetries = maximumRetries
            self.maximumRetryDelay = maximumRetryDelay
            self.defaultRetryDelay = defaultRetryDelay
        }
    }

    public let connection: KubernetesConnection
    public let configuration: Configuration
    private let http: HTTPClient
    private let logger: Logger

    public init(connection: KubernetesConnection, configuration: Configuration = Configuration(), logger: Logger) throws {
        self.connection = connection
        self.configuration = configuration
        self.logger = logger
        self.http = try HTTPClient(
            configuration: HTTPClientConfiguration(tls: connection.tls, connectTimeout: configuration.connectTimeout,
                                                   timeout: configuration.requestTimeout),
            logger: logger)
    }

    /// Loads the kubeconfig at `path` and connects with its context (default: current context).
    public convenience init(kubeconfigPath path: String, context: String? = nil, configuration: Configuration = Configuration(), logger: Logger) throws {
        let kubeconfig = try Kubeconfig.load(path: path)
        try self.init(connection: try kubeconfig.connection(context: context), configuration: configuration, logger: logger)
    }

    /// Ends the HTTP client now (in-flight calls fail with a transport error) instead of when the
    /// last reference goes.
    public func shutdown() { http.shutdown() }

    // MARK: KubernetesClient

    public func get(_ resource: KubernetesResource, namespace: String?, name: String) async throws -> KubernetesObject {
        let response = try await send("get", .get, resource, namespace, name, retrySafe: true)
        return try object(from: response, verb: "get", resource, namespace, name)
    }

    public func list(_ resource: KubernetesResource, namespace: String?, options: ListOptions) async throws -> KubernetesList {
        let response = try await send("list", .get, resource, namespace, nil, query: options.query(watch: false), retrySafe: true)
        let json = try parse(response.body, verb: "list", resource, namespace, nil)
        guard let items = json["items"]?.arrayValue ?? (json["items"]?.isNull == true ? [] : nil) else {
            throw KubernetesError(kind: .malformedResponse, verb: "list", resource: resource.qualifiedName, namespace: namespace,
                                  message: "the answer has no items")
        }
        let continueToken = json["metadata"]?["continue"]?.stringValue
        return KubernetesList(
            items: items.map(KubernetesObject.init),
            resourceVersion: json["metadata"]?["resourceVersion"]?.stringValue,
            continueToken: (continueToken?.isEmpty ?? true) ? nil : continueToken)
    }

    public func watch(_ resource: KubernetesResource, namespace: String?, options: ListOptions) async throws -> KubernetesWatch {
        let timeout = options.timeoutSeconds.map { Duration.seconds($0 + 30) }
        let request = makeRequest(.get, resource, namespace, nil, query: options.query(watch: true), timeout: timeout)
        let response: HTTPStreamingResponse
        do {
            response = try await http.stream(request)
        } catch let error as HTTPClientError {
            throw transportError(error, verb: "watch", resource, namespace, nil)
        }
        guard (200..<300).contains(response.status) else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? []
            throw KubernetesError.from(status: response.status, body: body, retryAfter: nil, verb: "watch",
                                       resource: resource, namespace: namespace, name: nil)
        }
        return KubernetesWatch(lines: response.body.lines, resource: resource, namespace: namespace)
    }

    public func create(_ resource: KubernetesResource, namespace: String?, object: KubernetesObject) async throws -> KubernetesObject {
        let body = prepared(object, resource, namespace, name: nil)
        let response = try await send("create", .post, resource, namespace, nil, body: body.json.serialized(.compact),
                                      contentType: "application/json", retrySafe: false, errorName: object.name)
        return try self.object(from: response, verb: "create", resource, namespace, object.name)
    }

    public func update(_ resource: KubernetesResource, namespace: String?, object: KubernetesObject) async throws -> KubernetesObject {
        guard let name = object.name else {
            throw KubernetesError(kind: .badRequest, verb: "update", resource: resource.qualifiedName, namespace: namespace,
                                  message: "the object has no metadata.name")
        }
        let body = prepared(object, resource, namespace, name: name)
        let response = try await send("update", .put, resource, namespace, name, body: body.json.serialized(.compact),
                                      contentType: "application/json", retrySafe: true)
        return try self.object(from: response, verb: "update", resource, namespace, name)
    }

    public func apply(_ resource: KubernetesResource, namespace: String?, name: String, object: KubernetesObject,
                      fieldManager: String, force: Bool) async throws -> KubernetesObject {
        let body = prepared(object, resource, namespace, name: name)
        var query = [("fieldManager", fieldManager)]
        if force { query.append(("force", "true")) }
        let response = try await send("apply", .patch, resource, namespace, name, query: query, body: body.json.serialized(.compact),
                                      contentType: "application/apply-patch+yaml", retrySafe: true)
        return try self.object(from: response, verb: "apply", resource, namespace, name)
    }

    public func mergePatch(_ resource: KubernetesResource, namespace: String?, name: String, patch: JSONValue) async throws -> KubernetesObject {
        let response = try await send("patch", .patch, resource, namespace, name, body: patch.serialized(.compact),
                                      contentType: "application/merge-patch+json", retrySafe: true)
        return try object(from: response, verb: "patch", resource, namespace, name)
    }

    public func delete(_ resource: KubernetesResource, namespace: String?, name: String, propagationPolicy: PropagationPolicy?) async throws {
        var query: [(String, String)] = []
        if let propagationPolicy { query.append(("propagationPolicy", propagationPolicy.rawValue)) }
        _ = try await send("delete", .delete, resource, namespace, name, query: query, retrySafe: true)
    }

    public func deleteCollection(_ resource: KubernetesResource, namespace: String?, labelSelector: String,
                                 propagationPolicy: PropagationPolicy?) async throws {
        var query = [("labelSelector", labelSelector)]
        if let propagationPolicy { query.append(("propagationPolicy", propagationPolicy.rawValue)) }
        _ = try await send("deletecollection", .delete, resource, namespace, nil, query: query, retrySafe: true)
    }

    /// `GET /version`: proves the server is reachable and the credentials work.
    public func serverVersion() async throws -> JSONValue {
        let request = makeRequest(.get, nil, path: "/version", query: [], body: nil, contentType: nil, timeout: nil)
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPClientError {
            throw KubernetesError(kind: .transport, verb: "get", resource: "version", message: error.description, transport: error)
        }
        guard response.isSuccess else {
            throw KubernetesError.from(status: response.status, body: response.body, retryAfter: nil, verb: "get",
                                       resource: KubernetesResource(group: "", version: "", plural: "version", kind: ""), namespace: nil, name: nil)
        }
        return (try? JSONValue(parsing: response.body)) ?? .null
    }

    // MARK: Plumbing

    /// Sets apiVersion, kind, name and namespace as the Python driver does before sending.
    private func prepared(_ object: KubernetesObject, _ resource: KubernetesResource, _ namespace: String?, name: String?) -> KubernetesObject {
        var root = object.json.objectValue ?? [:]
        var metadata = root["metadata"]?.objectValue ?? [:]
        if let name { metadata["name"] = .string(name) }
        if resource.namespaced, let namespace { metadata["namespace"] = .string(namespace) }
        var result: JSONObject = ["apiVersion": .string(resource.apiVersion), "kind": .string(resource.kind)]
        root["metadata"] = .object(metadata)
        for (key, value) in root where key != "apiVersion" && key != "kind" { result[key] = value }
        return KubernetesObject(.object(result))
    }

    private func makeRequest(_ method: HTTPMethod, _ resource: KubernetesResource, _ namespace: String?, _ name: String?,
                             query: [(String, String)], body: [UInt8]? = nil, contentType: String? = nil, timeout: Duration?) -> HTTPRequest {
        makeRequest(method, resource, path: resource.path(namespace: namespace, name: name), query: query, body: body,
                    contentType: contentType, timeout: timeout)
    }

    private func makeRequest(_ method: HTTPMethod, _ resource: KubernetesResource?, path: String, query: [(String, String)],
                             body: [UInt8]?, contentType: String?, timeout: Duration?) -> HTTPRequest {
        var url = connection.server + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.queryEscape($0.0))=\(Self.queryEscape($0.1))" }.joined(separator: "&")
        }
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let token = connection.bearerToken { headers["Authorization"] = "Bearer \(token)" }
        if let contentType { headers["Content-Type"] = contentType }
        return HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout)
    }

    private func send(_ verb: String, _ method: HTTPMethod, _ resource: KubernetesResource, _ namespace: String?, _ name: String?,
                      query: [(String, String)] = [], body: [UInt8]? = nil, contentType: String? = nil, retrySafe: Bool,
                      errorName: String? = nil) async throws -> HTTPResponse {
        let request = makeRequest(method, resource, namespace, name, query: query, body: body, contentType: contentType, timeout: nil)
        var attempt = 0
        while true {
            let response: HTTPResponse
            do {
                response = try await http.execute(request)
            } catch let error as HTTPClientError {
                throw transportError(error, verb: verb, resource, namespace, name ?? errorName)
            }
            if response.isSuccess { return response }
            let retryAfter = response.headers["Retry-After"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            let throttled = response.status == 429 || (response.status == 503 && retryAfter != nil)
            if throttled && retrySafe && attempt < configuration.maximumRetries {
                attempt += 1
                let delay = min(retryAfter.map { Duration.seconds($0) } ?? configuration.defaultRetryDelay, configuration.maximumRetryDelay)
                logger.info("Kubernetes API throttled the request; retrying", metadata: [
                    "verb": "\(verb)", "resource": "\(resource.qualifiedName)", "attempt": "\(attempt)", "delay": "\(delay)",
                ])
                try await Task.sleep(for: delay)
                continue
            }
            throw KubernetesError.from(status: response.status, body: response.body, retryAfter: retryAfter, verb: verb,
                                       resource: resource, namespace: namespace, name: name ?? errorName)
        }
    }

    private func transportError(_ error: HTTPClientError, verb: String, _ resource: KubernetesResource, _ namespace: String?, _ name: String?) -> KubernetesError {
        var message = error.description
        switch error.kind {
        case .couldNotConnect, .couldNotResolveHost, .timeout:
            message += ". Check the server of the kubeconfig ([capi_helm] kubeconfig_file) is reachable from this host"
        case .tls:
            message += ". Check the certificate-authority and client certificate of the kubeconfig ([capi_helm] kubeconfig_file)"
        default: break
        }
        return KubernetesError(kind: .transport, verb: verb, resource: resource.qualifiedName, namespace: namespace, name: name,
                               message: message, transport: error)
    }

    private func parse(_ body: [UInt8], verb: String, _ resource: KubernetesResource, _ namespace: String?, _ name: String?) throws -> JSONValue {
        do {
            return try JSONValue(parsing: body)
        } catch {
            throw KubernetesError(kind: .malformedResponse, verb: verb, resource: resource.qualifiedName, namespace: namespace,
                                  name: name, message: "the answer is not JSON: \(error)")
        }
    }

    private func object(from response: HTTPResponse, verb: String, _ resource: KubernetesResource, _ namespace: String?, _ name: String?) throws -> KubernetesObject {
        KubernetesObject(try parse(response.body, verb: verb, resource, namespace, name))
    }

    static func queryEscape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension ListOptions {
    func query(watch: Bool) -> [(String, String)] {
        var query: [(String, String)] = []
        if watch { query.append(("watch", "1")) }
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        if !watch, let limit { query.append(("limit", String(limit))) }
        if !watch, let continueToken { query.append(("continue", continueToken)) }
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if watch && allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        return query
    }
}
