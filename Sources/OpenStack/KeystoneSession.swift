public import Curl
public import Foundation
public import JSON
public import Logging

/// A Keystone domain, by name (`user_domain_name = Default`) or by id (`user_domain_id =
/// default`), as keystoneauth's password options allow either. A string literal is a name.
public enum KeystoneDomain: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringLiteral {
    case name(String)
    case id(String)

    public init(stringLiteral value: String) { self = .name(value) }

    var json: JSONValue {
        switch self {
        case .name(let name): return ["name": .string(name)]
        case .id(let id): return ["id": .string(id)]
        }
    }

    public var description: String {
        switch self {
        case .name(let name): return name
        case .id(let id): return "id \(id)"
        }
    }
}

/// How the worker authenticates to Keystone v3.
public enum KeystoneCredentials: Sendable, CustomStringConvertible {
    /// `[keystone_auth]`-style service user: password auth scoped to a project.
    case password(username: String, password: SecretString, userDomain: KeystoneDomain = "Default", project: ProjectScope)
    /// An application credential (carries its own scope).
    case applicationCredential(id: String, secret: SecretString)
    /// An existing token (the caller's, from the RPC context), re-scoped to a project.
    case token(SecretString, project: ProjectScope)

    public var description: String {
        switch self {
        case .password(let username, _, let domain, let project): return "password for \(username) (domain \(domain)) scoped to \(project)"
        case .applicationCredential(let id, _): return "application credential \(id)"
        case .token(_, let project): return "token scoped to \(project)"
        }
    }
}

/// The project a token is scoped to: by id, or by name within a domain.
public enum ProjectScope: Sendable, CustomStringConvertible {
    case id(String)
    case name(String, domain: KeystoneDomain = "Default")

    var json: JSONValue {
        switch self {
        case .id(let id): return ["project": ["id": .string(id)]]
        case .name(let name, let domain): return ["project": ["name": .string(name), "domain": domain.json]]
        }
    }

    public var description: String {
        switch self {
        case .id(let id): return "project \(id)"
        case .name(let name, let domain): return "project \(name) (domain \(domain))"
        }
    }
}

/// Where to find Keystone and which endpoints to use.
public struct OpenStackConfiguration: Sendable {
    /// `[keystone_authtoken] auth_url`, e.g. `https://keystone.example:5000/v3`.
    public var authURL: String
    public var credentials: KeystoneCredentials
    /// Region for every service unless overridden (`[<service>_client] region_name`).
    public var region: String?
    /// Interface for every service unless overridden (`[<service>_client] endpoint_type`).
    public var interface: EndpointInterface
    /// Per service type (compute, image, network, block-storage, identity).
    public var interfaceOverrides: [String: EndpointInterface]
    public var regionOverrides: [String: String]
    /// CA bundle for the OpenStack APIs (`[drivers] openstack_ca_file`); nil: the system's.
    public var caFile: String?
    /// `[drivers] verify_ca`.
    public var verifyTLS: Bool
    public var requestTimeout: Duration
    /// Re-authenticate this long before the token expires.
    public var renewBefore: Duration

    public init(authURL: String, credentials: KeystoneCredentials, region: String? = nil, interface: EndpointInterface = .public,
                interfaceOverrides: [String: EndpointInterface] = [:], regionOverrides: [String: String] = [:], caFile: String? = nil,
                verifyTLS: Bool = true, requestTimeout: Duration = .seconds(60), renewBefore: Duration = .seconds(120)) {
        self.authURL = authURL.hasSuffix("/") ? String(authURL.dropLast()) : authURL
        self.credentials = credentials
        self.region = region
        self.interface = interface
        self.interfaceOverrides = interfaceOverrides
        self.regionOverrides = regionOverrides
        self.caFile = caFile
        self.verifyTLS = verifyTLS
        self.requestTimeout = requestTimeout
        self.renewBefore = renewBefore
    }
}

/// A scoped Keystone token with its catalog, as the session caches it.
public struct KeystoneToken: Sendable {
    public let value: SecretString
    public let expiresAt: Date?
    public let userID: String?
    public let projectID: String?
    public let catalog: ServiceCatalog
}

/// Authenticates to Keystone v3, caches the scoped token and its catalog until shortly before it
/// expires, re-authenticates once on a 401 and sends requests to catalog endpoints with
/// `X-Auth-Token`. Secrets never reach logs or errors.
public actor KeystoneSession {
    public nonisolated let configuration: OpenStackConfiguration
    nonisolated let http: HTTPClient
    private let logger: Logger
    private var token: KeystoneToken?
    private var pending: Task<KeystoneToken, any Error>?
    public private(set) var authenticationCount = 0

    public init(configuration: OpenStackConfiguration, logger: Logger) throws {
        self.init(configuration: configuration, http: try Self.makeHTTPClient(configuration, logger: logger), logger: logger)
    }

    /// A session over an existing client: sessions for many credential sets (one per calling
    /// user's token) share one client, its thread and its connections. The client's TLS settings
    /// are the caller's business (see `makeHTTPClient`).
    public init(configuration: OpenStackConfiguration, http: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.http = http
    }

    /// The HTTP client a session with this configuration would make for itself (CA bundle,
    /// verification, request timeout).
    public static func makeHTTPClient(_ configuration: OpenStackConfiguration, logger: Logger) throws -> HTTPClient {
        try HTTPClient(
            configuration: HTTPClientConfiguration(
                tls: TLSConfiguration(trustRoots: configuration.caFile.map { .file($0) }, verifyPeer: configuration.verifyTLS,
                                      verifyHost: configuration.verifyTLS),
                timeout: configuration.requestTimeout),
            logger: logger)
    }

    /// The current token, authenticating first when there is none or it is about to expire.
    public func currentToken() async throws -> KeystoneToken {
        if let token, !isExpiring(token) { return token }
        return try await authenticate()
    }

    private func isExpiring(_ token: KeystoneToken) -> Bool {
        guard let expiresAt = token.expiresAt else { return false }
        let seconds = Double(configuration.renewBefore.components.seconds)
        return expiresAt.timeIntervalSinceNow < seconds
    }

    /// Drops the cached token if it is still `value` (after a 401), so the next call renews it.
    func invalidate(_ value: SecretString) {
        if token?.value == value { token = nil }
    }

    private func authenticate() async throws -> KeystoneToken {
        if let pending { return try await pending.value }
        let task = Task { try await self.requestToken() }
        pending = task
        defer { pending = nil }
        let fresh = try await task.value
        token = fresh
        authenticationCount += 1
        return fresh
    }

    private func requestToken() async throws -> KeystoneToken {
        var identity: JSONObject
        var scope: JSONValue?
        switch configuration.credentials {
        case .password(let username, let password, let userDomain, let project):
            identity = ["methods": ["password"], "password": ["user": [
                "name": .string(username), "domain": userDomain.json, "password": .string(password.value),
            ]]]
            scope = project.json
        case .applicationCredential(let id, let secret):
            identity = ["methods": ["application_credential"], "application_credential": ["id": .string(id), "secret": .string(secret.value)]]
        case .token(let value, let project):
            identity = ["methods": ["token"], "token": ["id": .string(value.value)]]
            scope = project.json
        }
        var auth: JSONObject = ["identity": .object(identity)]
        if let scope { auth["scope"] = scope }
        let body = JSONValue.object(["auth": .object(auth)]).serialized(.compact)
        let request = HTTPRequest(method: .post, url: configuration.authURL + "/auth/tokens",
                                  headers: ["Content-Type": "application/json", "Accept": "application/json"], body: body)
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPClientError {
            throw OpenStackError(kind: .transport, service: "identity", operation: "authenticate", message: error.description, transport: error)
        }
        guard response.status == 201 || response.status == 200 else {
            throw OpenStackError(kind: OpenStackError.kind(forStatus: response.status), service: "identity", operation: "authenticate",
                                 status: response.status,
                                 message: "Keystone refused \(configuration.credentials) at \(configuration.authURL): \(OpenStackError.message(from: response.body))")
        }
        guard let subject = response.headers["X-Subject-Token"], !subject.isEmpty,
              let json = try? JSONValue(parsing: response.body), let tokenBody = json["token"] else {
            throw OpenStackError(kind: .malformedResponse, service: "identity", operation: "authenticate", status: response.status,
                                 message: "the answer has no X-Subject-Token or token body")
        }
        let fresh = KeystoneToken(
            value: SecretString(subject), expiresAt: tokenBody["expires_at"]?.stringValue.flatMap(Self.parseDate),
            userID: tokenBody["user"]?["id"]?.stringValue, projectID: tokenBody["project"]?["id"]?.stringValue,
            catalog: ServiceCatalog(json: tokenBody["catalog"] ?? .array([])))
        logger.debug("Keystone token issued", metadata: [
            "user_id": "\(fresh.userID ?? "-")", "project_id": "\(fresh.projectID ?? "-")",
            "expires_at": "\(tokenBody["expires_at"]?.stringValue ?? "-")",
        ])
        return fresh
    }

    /// `2026-11-26T06:41:41.000000Z` (Keystone's microseconds) or without fraction.
    static func parseDate(_ text: String) -> Date? {
        let base = String(text.prefix(19)) + "Z"
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: base)
    }

    /// The endpoint for `serviceType` with the configured (or overridden) interface and region.
    public func endpoint(serviceType: String, interface: EndpointInterface? = nil, region: String? = nil) async throws -> String {
        try endpoint(in: try await currentToken(), serviceType: serviceType, interface: interface, region: region)
    }

    nonisolated func endpoint(in token: KeystoneToken, serviceType: String, interface: EndpointInterface? = nil, region: String? = nil) throws -> String {
        let chosenInterface = interface ?? configuration.interfaceOverrides[serviceType] ?? configuration.interface
        let chosenRegion = region ?? configuration.regionOverrides[serviceType] ?? configuration.region
        guard let url = token.catalog.url(serviceType: serviceType, interface: chosenInterface, region: chosenRegion) else {
            throw OpenStackError(kind: .endpointNotFound, service: serviceType, operation: "find endpoint",
                                 message: "the catalog has no \(chosenInterface.rawValue) endpoint for \(serviceType)\(chosenRegion.map { " in region \($0)" } ?? "") (regions: \(token.catalog.regions.joined(separator: ", ")))")
        }
        return url
    }

    /// Sends a request to `serviceType` at `path` (relative to the catalog endpoint) with the
    /// token; on 401 renews the token once and retries. Returns 2xx responses; throws otherwise.
    public nonisolated func send(serviceType: String, operation: String, method: HTTPMethod, path: String,
                                 query: [(String, String)] = [], body: JSONValue? = nil) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            let token = try await currentToken()
            let base = try endpoint(in: token, serviceType: serviceType)
            var url = base + path
            if !query.isEmpty {
                url += "?" + query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
            }
            var headers: HTTPHeaders = ["Accept": "application/json", "X-Auth-Token": token.value.value]
            if body != nil { headers["Content-Type"] = "application/json" }
            let response: HTTPResponse
            do {
                response = try await http.execute(HTTPRequest(method: method, url: url, headers: headers, body: body?.serialized(.compact)))
            } catch let error as HTTPClientError {
                throw OpenStackError(kind: .transport, service: serviceType, operation: operation, message: error.description, transport: error)
            }
            if response.status == 401 && attempt == 0 {
                attempt += 1
                await invalidate(token.value)
                continue
            }
            guard response.isSuccess else {
                throw OpenStackError(kind: OpenStackError.kind(forStatus: response.status), service: serviceType, operation: operation,
                                     status: response.status, message: OpenStackError.message(from: response.body))
            }
            return response
        }
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
