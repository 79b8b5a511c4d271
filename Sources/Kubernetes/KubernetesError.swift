public import Curl
import JSON

/// A failed Kubernetes API call: what was asked (verb, resource, namespace, name), the HTTP
/// status and the API server's own `Status` reason and message. Bodies sent are never included.
public struct KubernetesError: Error, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        public static let badRequest = Kind(name: "bad request")
        /// 401: the credentials in the kubeconfig were not accepted.
        public static let unauthorized = Kind(name: "unauthorized")
        /// 403: authenticated, but RBAC does not allow it.
        public static let forbidden = Kind(name: "forbidden")
        public static let notFound = Kind(name: "not found")
        /// 409: already exists, stale resourceVersion, or a server-side apply conflict.
        public static let conflict = Kind(name: "conflict")
        /// 410: the resourceVersion (watch) or continue token (list) is too old; list again.
        public static let gone = Kind(name: "gone")
        /// 422: the object failed validation.
        public static let invalid = Kind(name: "invalid")
        /// 429: throttled (retried automatically where safe).
        public static let tooManyRequests = Kind(name: "too many requests")
        public static let serverError = Kind(name: "server error")
        public static let unexpectedStatus = Kind(name: "unexpected status")
        /// The request did not get an HTTP answer (see `transport`).
        public static let transport = Kind(name: "transport failure")
        /// The answer was not the JSON expected.
        public static let malformedResponse = Kind(name: "malformed response")
    }

    public let kind: Kind
    public let verb: String
    public let resource: String
    public let namespace: String?
    public let name: String?
    /// HTTP status, 0 for transport failures.
    public let status: Int
    /// The Status object's `reason` (`NotFound`, `AlreadyExists`, `Conflict`, `Expired`...).
    public let reason: String?
    /// The Status object's `message`, or the transport error's text.
    public let message: String
    public let transport: HTTPClientError?
    /// Seconds the server asked to wait (Retry-After), when given.
    public let retryAfter: Int?

    public init(kind: Kind, verb: String, resource: String, namespace: String? = nil, name: String? = nil,
                status: Int = 0, reason: String? = nil, message: String = "", transport: HTTPClientError? = nil,
                retryAfter: Int? = nil) {
        self.kind = kind
        self.verb = verb
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.status = status
        self.reason = reason
        self.message = message
        self.transport = transport
        self.retryAfter = retryAfter
    }

    /// Maps an HTTP status to a kind.
    public static func kind(forStatus status: Int) -> Kind {
        switch status {
        case 400: return .badRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 410: return .gone
        case 422: return .invalid
        case 429: return .tooManyRequests
        case 500...599: return .serverError
        default: return .unexpectedStatus
        }
    }

    /// Builds the error from an API server answer, reading its Status body when there is one.
    static func from(status: Int, body: [UInt8], retryAfter: Int?, verb: String, resource: KubernetesResource,
                     namespace: String?, name: String?) -> KubernetesError {
        var reason: String?
        var message = ""
        if let json = try? JSONValue(parsing: body), json["kind"]?.stringValue == "Status" {
            reason = json["reason"]?.stringValue
            message = json["message"]?.stringValue ?? ""
        } else if status == 401 {
            message = "Unauthorized"
        }
        return KubernetesError(
            kind: kind(forStatus: status), verb: verb, resource: resource.qualifiedName, namespace: namespace,
            name: name, status: status, reason: reason, message: message, retryAfter: retryAfter)
    }

    public var description: String {
        var target = resource
        if let name { target += " \"\(name)\"" }
        if let namespace { target += " in namespace \(namespace)" }
        var text = "Kubernetes \(verb) \(target) failed: \(kind)"
        if status != 0 { text += " (HTTP \(status)\(reason.map { " \($0)" } ?? ""))" }
        if !message.isEmpty { text += ": \(message)" }
        if kind == .unauthorized {
            text += ". The credentials of the kubeconfig ([capi_helm] kubeconfig_file) were rejected: check the client certificate or token has not expired"
        }
        return text
    }
}
