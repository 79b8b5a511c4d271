public import FakeHTTP
public import Foundation
public import JSON
import Synchronization

/// A local stand-in for Keystone v3, Glance v2, Nova v2.1, Neutron v2.0 and Cinder v3 on one
/// port, answering with the APIs' own response shapes (from the OpenStack API references):
/// `POST /v3/auth/tokens` issues tokens (X-Subject-Token, catalog, expiry) for password,
/// application-credential and token auth; every other call needs a valid `X-Auth-Token`.
///
/// Endpoints are published per region and interface as `<base>/<region>/<interface>/<service>`,
/// so tests can see which catalog entry a client picked. Identity is also at `<base>/identity/v3`.
public final class FakeOpenStackCloud: Sendable {
    public struct User: Sendable {
        public var id: String
        public var name: String
        public var domain: String
        public var password: String
        public var projectID: String
        public var projectName: String
        /// Holds Keystone's `admin` role: may read and delete other users' application
        /// credentials (what Magnum's admin context does when a cluster is deleted).
        public var isAdmin: Bool
        public init(id: String, name: String, domain: String = "Default", password: String, projectID: String, projectName: String,
                    isAdmin: Bool = false) {
            self.id = id
            self.name = name
            self.domain = domain
            self.password = password
            self.projectID = projectID
            self.projectName = projectName
            self.isAdmin = isAdmin
        }

        /// Domain ids are the lower-cased names here (`Default` has id `default`, as in devstack).
        func isInDomain(_ reference: JSONValue?) -> Bool {
            if let name = reference?["name"]?.stringValue { return name == domain }
            if let id = reference?["id"]?.stringValue { return id == domain.lowercased() }
            return false
        }
    }

    struct Token {
        var userID: String
        var projectID: String
        var expiresAt: Date
    }

    struct StoredCredential {
        var json: JSONObject
        var secret: String
        var userID: String
    }

    public struct Data: Sendable {
        public var users: [User] = []
        public var regions: [String] = ["RegionOne", "RegionTwo"]
        public var images: [JSONValue] = []
        public var flavors: [JSONValue] = []
        public var networks: [JSONValue] = []
        public var subnets: [JSONValue] = []
        public var volumeTypes: [JSONValue] = []
        /// Seconds a token lives.
        public var tokenLifetime: TimeInterval = 3600
        /// Nova page size for `flavors/detail` (a `flavors_links` next link when more remain).
        public var flavorPageSize = 1000
        public init() {}
    }

    struct State {
        var data: Data
        var tokens: [String: Token] = [:]
        var credentials: [String: StoredCredential] = [:]
        var counter = 0
        var log: [String] = []
        var tokenRequests = 0
    }

    public let http: FakeHTTPServer
    private let state: Mutex<State>

    private init(http: FakeHTTPServer, state: State) {
        self.http = http
        self.state = Mutex(state)
    }

    public static func start(data: Data) async throws -> FakeOpenStackCloud {
        let box = Box()
        let http = try await FakeHTTPServer.start { request in
            guard let cloud = box.cloud.withLock({ $0 }) else { return FakeHTTPResponse(status: 503) }
            return cloud.handle(request)
        }
        let cloud = FakeOpenStackCloud(http: http, state: State(data: data))
        box.cloud.withLock { $0 = cloud }
        return cloud
    }

    final class Box: Sendable {
        let cloud = Mutex<FakeOpenStackCloud?>(nil)
    }

    public func shutdown() async { await http.shutdown() }

    public var authURL: String { http.baseURL + "/identity/v3" }

    /// "METHOD path?query" of every request, in order (never headers or bodies).
    public var requests: [String] { state.withLock { $0.log } }
    public var tokensIssued: Int { state.withLock { $0.tokenRequests } }

    /// Invalidates every token (as a Keystone restart with new fernet keys would).
    public func revokeAllTokens() { state.withLock { $0.tokens.removeAll() } }

    /// Application credentials currently stored: id → name.
    public var applicationCredentials: [String: String] {
        state.withLock { $0.credentials.mapValues { $0.json["name"]?.stringValue ?? "" } }
    }

    /// Adds an application credential directly (as if created earlier), returning its id.
    public func addApplicationCredential(userID: String, id: String, name: String, secret: String) {
        state.withLock {
            $0.credentials[id] = StoredCredential(json: ["id": .string(id), "name": .string(name), "description": .null,
                                                         "project_id": "", "roles": [], "expires_at": .null, "unrestricted": false], secret: secret, userID: userID)
        }
    }

    // MARK: Handling

    static func json(_ status: Int, _ body: JSONValue, headers: [(name: String, value: String)] = []) -> FakeHTTPResponse {
        FakeHTTPResponse(status: status, contentType: "application/json", body: body.serialized(.compact), headers: headers)
    }

    static func keystoneError(_ code: Int, _ title: String, _ message: String) -> FakeHTTPResponse {
        json(code, ["error": ["code": .int(Int64(code)), "title": .string(title), "message": .string(message)]])
    }

    static let unauthorized = keystoneError(401, "Unauthorized", "The request you have made requires authentication.")

    func handle(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        state.withLock { $0.log.append("\(request.method) \(request.uri)") }
        let segments = request.path.split(separator: "/").map(String.init)
        // /identity/v3/... or /<region>/<interface>/<service>/...
        var service: String
        var rest: [String]
        if segments.first == "identity" {
            service = "identity"
            rest = Array(segments.dropFirst())
        } else if segments.count >= 3 {
            service = segments[2]
            rest = Array(segments.dropFirst(3))
        } else {
            return FakeHTTPResponse(status: 404, contentType: "text/plain", body: Array("404 Not Found\n\nThe resource could not be found.".utf8))
        }
        if service == "identity" && rest == ["v3", "auth", "tokens"] && request.method == "POST" {
            return issueToken(request)
        }
        guard let tokenValue = request.header("X-Auth-Token"),
              let token = state.withLock({ s -> Token? in
                  guard let token = s.tokens[tokenValue], token.expiresAt > Date() else { return nil }
                  return token
              }) else {
            return Self.unauthorized
        }
        switch service {
        case "identity": return identity(request, rest, token)
        case "image": return image(request, rest)
        case "compute": return compute(request, rest)
        case "network": return network(request, rest)
        case "volume": return volume(request, rest, token)
        default: return FakeHTTPResponse(status: 404, contentType: "text/plain", body: Array("404 Not Found".utf8))
        }
    }

    private func catalog() -> JSONValue {
        let base = http.baseURL
        let regions = state.withLock { $0.data.regions }
        func service(_ type: String, _ name: String, _ path: (String) -> String) -> JSONValue {
            var endpoints: [JSONValue] = []
            for region in regions {
                for interface in ["public", "internal", "admin"] {
                    endpoints.append(["id": .string("\(type)-\(region)-\(interface)"), "interface": .string(interface), "region_id": .string(region),
                                      "region": .string(region), "url": .string(path("\(base)/\(region)/\(interface)"))])
                }
            }
            return ["endpoints": .array(endpoints), "id": .string("svc-\(type)"), "type": .string(type), "name": .string(name)]
        }
        return .array([
            service("identity", "keystone") { _ in "\(base)/identity/v3" },
            service("compute", "nova") { "\($0)/compute/v2.1" },
            service("image", "glance") { "\($0)/image" },
            service("network", "neutron") { "\($0)/network" },
            service("block-storage", "cinderv3") { "\($0)/volume/v3/PROJECT" },
        ])
    }

    private func issueToken(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        guard let body = try? JSONValue(parsing: request.body), let identity = body["auth"]?["identity"],
              let method = identity["methods"]?[0]?.stringValue else {
            return Self.keystoneError(400, "Bad Request", "Expecting to find identity in auth. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
        }
        let data = state.withLock { $0.data }
        var user: User?
        var projectID: String?
        var methods = [method]
        switch method {
        case "password":
            let u = identity["password"]?["user"]
            user = data.users.first {
                ($0.id == u?["id"]?.stringValue || ($0.name == u?["name"]?.stringValue && $0.isInDomain(u?["domain"])))
                    && $0.password == u?["password"]?.stringValue
            }
        case "application_credential":
            let id = identity["application_credential"]?["id"]?.stringValue ?? ""
            let secret = identity["application_credential"]?["secret"]?.stringValue ?? ""
            if let stored = state.withLock({ $0.credentials[id] }), stored.secret == secret {
                user = data.users.first { $0.id == stored.userID }
                projectID = user?.projectID
            }
        case "token":
            let old = identity["token"]?["id"]?.stringValue ?? ""
            if let token = state.withLock({ $0.tokens[old] }), token.expiresAt > Date() {
                user = data.users.first { $0.id == token.userID }
                methods = ["token", "password"]
            }
        default:
            return Self.keystoneError(401, "Unauthorized", "Attempted to authenticate with an unsupported method.")
        }
        guard let user else {
            return Self.keystoneError(401, "Unauthorized", "The request you have made requires authentication.")
        }
        if let scope = body["auth"]?["scope"]?["project"] {
            if let id = scope["id"]?.stringValue {
                projectID = id
            } else if scope["name"]?.stringValue == user.projectName, scope["domain"] == nil || user.isInDomain(scope["domain"]) {
                projectID = user.projectID
            }
            guard projectID == user.projectID else {
                return Self.keystoneError(401, "Unauthorized", "User \(user.id) has no access to project \(projectID ?? scope["name"]?.stringValue ?? "")")
            }
        }
        let scopedProject = projectID ?? user.projectID
        let expires = Date().addingTimeInterval(data.tokenLifetime)
        let value = state.withLock { s -> String in
            s.counter += 1
            s.tokenRequests += 1
            let value = "gAAAAAB" + String(format: "%08x", s.counter) + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            s.tokens[value] = Token(userID: user.id, projectID: scopedProject, expiresAt: expires)
            return value
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let stamp = { (date: Date) in String(formatter.string(from: date).dropLast()) + ".000000Z" }
        let token: JSONValue = [
            "methods": .array(methods.map { .string($0) }),
            "user": ["domain": ["id": "default", "name": .string(user.domain)], "id": .string(user.id), "name": .string(user.name), "password_expires_at": nil],
            "audit_ids": ["3T2dc1CGQxyJsHdDu1xkcw"],
            "expires_at": .string(stamp(expires)), "issued_at": .string(stamp(Date())),
            "project": ["domain": ["id": "default", "name": "Default"], "id": .string(scopedProject), "name": .string(user.projectName)],
            "is_domain": false,
            "roles": [["id": "51cc68287d524c759f47c811e6463340", "name": "member"], ["id": "9fe2ff9ee4384b1894a90878d3e92bab", "name": "reader"]],
            "catalog": catalog(),
        ]
        return Self.json(201, ["token": token], headers: [("X-Subject-Token", value)])
    }

    private func identity(_ request: FakeHTTPRequest, _ rest: [String], _ token: Token) -> FakeHTTPResponse {
        // rest starts with "v3"
        let path = Array(rest.dropFirst())
        if path == ["regions"] && request.method == "GET" {
            let regions = state.withLock { $0.data.regions }
            return Self.json(200, ["regions": .array(regions.map { ["id": .string($0), "description": "", "parent_region_id": nil,
                                                                    "links": ["self": .string("\(authURL)/regions/\($0)")]] }),
                                   "links": ["self": .string("\(authURL)/regions"), "previous": nil, "next": nil]])
        }
        guard path.count >= 3, path[0] == "users", path[2] == "application_credentials" else {
            return Self.keystoneError(404, "Not Found", "The resource could not be found.")
        }
        let userID = path[1]
        let callerIsAdmin = state.withLock { s in s.data.users.contains { $0.id == token.userID && $0.isAdmin } }
        guard userID == token.userID || (callerIsAdmin && request.method != "POST") else {
            return Self.keystoneError(403, "Forbidden", "You are not authorized to perform the requested action: identity:create_application_credential.")
        }
        switch (request.method, path.count) {
        case ("POST", 3):
            guard let body = try? JSONValue(parsing: request.body), let spec = body["application_credential"], let name = spec["name"]?.stringValue else {
                return Self.keystoneError(400, "Bad Request", "Invalid input for field 'application_credential': 'name' is a required property")
            }
            return state.withLock { s -> FakeHTTPResponse in
                if s.credentials.values.contains(where: { $0.userID == userID && $0.json["name"]?.stringValue == name }) {
                    return Self.keystoneError(409, "Conflict", "Duplicate entry found with name \(name).")
                }
                s.counter += 1
                let id = String(format: "%032x", s.counter * 7_919 + 0x5a5a)
                let secret = "Zm9v" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
                let object: JSONObject = [
                    "id": .string(id), "name": .string(name), "description": spec["description"] ?? .null,
                    "project_id": .string(token.projectID), "roles": [["id": "51cc68287d524c759f47c811e6463340", "name": "member", "domain_id": nil]],
                    "expires_at": spec["expires_at"] ?? .null, "unrestricted": spec["unrestricted"] ?? false, "access_rules": [],
                    "links": ["self": .string("\(authURL)/users/\(userID)/application_credentials/\(id)")],
                ]
                s.credentials[id] = StoredCredential(json: object, secret: secret, userID: userID)
                var answer = object
                answer["secret"] = .string(secret)
                return Self.json(201, ["application_credential": .object(answer)])
            }
        case ("GET", 3):
            let listed = state.withLock { s in
                s.credentials.filter { $0.value.userID == userID }.sorted { $0.key < $1.key }.map { JSONValue.object($0.value.json) }
            }
            return Self.json(200, ["application_credentials": .array(listed),
                                   "links": ["self": .string("\(authURL)/users/\(userID)/application_credentials"), "previous": nil, "next": nil]])
        case ("GET", 4), ("DELETE", 4):
            let id = path[3]
            return state.withLock { s -> FakeHTTPResponse in
                guard let stored = s.credentials[id], stored.userID == userID else {
                    return Self.keystoneError(404, "Not Found", "Could not find application credential: \(id).")
                }
                if request.method == "DELETE" {
                    s.credentials.removeValue(forKey: id)
                    return FakeHTTPResponse(status: 204)
                }
                return Self.json(200, ["application_credential": .object(stored.json)])
            }
        default:
            return Self.keystoneError(405, "Method Not Allowed", "The method is not allowed for the requested URL.")
        }
    }

    private func image(_ request: FakeHTTPRequest, _ rest: [String]) -> FakeHTTPResponse {
        let images = state.withLock { $0.data.images }
        if rest == ["v2", "images"] {
            var matched = images
            if let name = request.queryValue("name") { matched = matched.filter { $0["name"]?.stringValue == name } }
            var first = "/v2/images"
            if let name = request.queryValue("name") { first += "?name=\(name)" }
            return Self.json(200, ["images": .array(matched), "first": .string(first), "schema": "/v2/schemas/images"])
        }
        if rest.count == 3, rest[0] == "v2", rest[1] == "images" {
            if let image = images.first(where: { $0["id"]?.stringValue == rest[2] }) { return Self.json(200, image) }
            return FakeHTTPResponse(status: 404, contentType: "text/plain; charset=UTF-8",
                                    body: Array("404 Not Found\n\nNo image found with ID \(rest[2])\n\n   ".utf8))
        }
        return FakeHTTPResponse(status: 404, contentType: "text/plain", body: Array("404 Not Found".utf8))
    }

    private func compute(_ request: FakeHTTPRequest, _ rest: [String]) -> FakeHTTPResponse {
        let (flavors, pageSize) = state.withLock { ($0.data.flavors, $0.data.flavorPageSize) }
        let path = Array(rest.dropFirst())  // drop "v2.1"
        if path == ["flavors", "detail"] {
            var matched = flavors
            if let minRAM = request.queryValue("minRam").flatMap(Int.init) { matched = matched.filter { ($0["ram"]?.intValue ?? 0) >= minRAM } }
            if let marker = request.queryValue("marker"), let index = matched.firstIndex(where: { $0["id"]?.stringValue == marker }) {
                matched = Array(matched[(index + 1)...])
            }
            var body: JSONObject = ["flavors": .array(Array(matched.prefix(pageSize)))]
            if matched.count > pageSize, let last = matched[pageSize - 1]["id"]?.stringValue {
                body["flavors_links"] = [["href": .string("\(http.baseURL)/compute/v2.1/flavors/detail?marker=\(last)"), "rel": "next"]]
            }
            return Self.json(200, .object(body))
        }
        if path.count == 2, path[0] == "flavors" {
            if let flavor = flavors.first(where: { $0["id"]?.stringValue == path[1] }) { return Self.json(200, ["flavor": flavor]) }
            return Self.json(404, ["itemNotFound": ["code": 404, "message": .string("Flavor \(path[1]) could not be found.")]])
        }
        return Self.json(404, ["itemNotFound": ["code": 404, "message": "The resource could not be found."]])
    }

    private func network(_ request: FakeHTTPRequest, _ rest: [String]) -> FakeHTTPResponse {
        let (networks, subnets) = state.withLock { ($0.data.networks, $0.data.subnets) }
        func filter(_ items: [JSONValue]) -> [JSONValue] {
            items.filter { item in
                request.query.allSatisfy { name, value in
                    if name == "router:external" {
                        return (item["router:external"]?.boolValue ?? false) == (value.lowercased() == "true")
                    }
                    return item[name]?.stringValue == value
                }
            }
        }
        switch rest {
        case ["v2.0", "networks"]: return Self.json(200, ["networks": .array(filter(networks))])
        case ["v2.0", "subnets"]: return Self.json(200, ["subnets": .array(filter(subnets))])
        default:
            return Self.json(404, ["NeutronError": ["type": "HTTPNotFound", "message": "The resource could not be found.", "detail": ""]])
        }
    }

    private func volume(_ request: FakeHTTPRequest, _ rest: [String], _ token: Token) -> FakeHTTPResponse {
        // v3/<project>/types
        if rest.count == 3, rest[0] == "v3", rest[2] == "types" {
            return Self.json(200, ["volume_types": .array(state.withLock { $0.data.volumeTypes })])
        }
        return Self.json(404, ["itemNotFound": ["code": 404, "message": "The resource could not be found."]])
    }
}
