public import JSON

/// The caller's request context as oslo.messaging carries it: flattened into `_context_<key>`
/// entries of every request and notification.
///
/// The fields are kept exactly as received (order, types, keys this code does not know such as
/// osprofiler's `trace_info`), so a context forwarded to another service reads as the original;
/// the typed properties read and write that storage. `description` masks secrets.
public struct RequestContext: Sendable, Equatable, CustomStringConvertible {
    /// Every context key (without the `_context_` prefix) and its value, in wire order.
    public private(set) var fields: JSONObject

    /// The prefix oslo.messaging puts before each context key in a message.
    public static let keyPrefix = "_context_"

    /// Keys Magnum's `RequestContext.to_dict()` writes, in its order (oslo.context's then Magnum's).
    public static let magnumKeys: [String] = [
        "user", "project_id", "system_scope", "project", "domain", "user_domain", "project_domain",
        "is_admin", "read_only", "show_deleted", "auth_token", "request_id", "global_request_id",
        "resource_uuid", "roles", "user_identity", "is_admin_project", "auth_url", "user_domain_id",
        "user_domain_name", "user_name", "user_id", "project_name", "auth_token_info", "all_tenants",
    ]

    /// Context keys other services send that `magnumKeys` does not list (oslo.context's and
    /// Keystone trusts'), for the key tables below.
    static let otherKnownKeys: [String] = [
        "domain_id", "project_domain_id", "tenant", "trust_id", "service_catalog", "timestamp", "password",
    ]

    /// The known context keys (without the prefix): a context's field names share these strings
    /// instead of allocating one per message.
    public static let knownKeys = JSONKeyTable(magnumKeys + otherKnownKeys)

    /// The known context keys as they travel (`_context_<key>`): the decoder's default shared keys.
    public static let wireKeys = JSONKeyTable((magnumKeys + otherKnownKeys).map { keyPrefix + $0 })

    /// An empty context (what `oslo_rpc_server_ping` and admin tools send).
    public init() { fields = [:] }

    /// A context from its fields, kept verbatim.
    public init(fields: JSONObject) { self.fields = fields }

    /// A new context laid out like Magnum's `to_dict()`, for requests this worker originates.
    public init(
        userID: String? = nil, projectID: String? = nil, userName: String? = nil, projectName: String? = nil,
        userDomainID: String? = nil, userDomainName: String? = nil, projectDomainID: String? = nil,
        domainID: String? = nil, roles: [String] = [], isAdmin: Bool = false, authToken: String? = nil,
        authURL: String? = nil, requestID: String? = nil, globalRequestID: String? = nil,
        allTenants: Bool = false, trustID: String? = nil
    ) {
        var f = JSONObject()
        f["user"] = JSONValue(userID)
        f["project_id"] = JSONValue(projectID)
        f["system_scope"] = .null
        f["project"] = JSONValue(projectID)
        f["domain"] = JSONValue(domainID)
        f["user_domain"] = JSONValue(userDomainID)
        f["project_domain"] = JSONValue(projectDomainID)
        f["is_admin"] = .bool(isAdmin)
        f["read_only"] = false
        f["show_deleted"] = false
        f["auth_token"] = JSONValue(authToken)
        f["request_id"] = JSONValue(requestID)
        f["global_request_id"] = JSONValue(globalRequestID)
        f["resource_uuid"] = .null
        f["roles"] = .array(roles.map { .string($0) })
        f["user_identity"] = .string(
            [userID, projectID, domainID, userDomainID, projectDomainID].map { $0 ?? "-" }.joined(separator: " "))
        f["is_admin_project"] = true
        f["auth_url"] = JSONValue(authURL)
        f["user_domain_id"] = JSONValue(userDomainID)
        f["user_domain_name"] = JSONValue(userDomainName)
        f["user_name"] = JSONValue(userName)
        f["user_id"] = JSONValue(userID)
        f["project_name"] = JSONValue(projectName)
        f["auth_token_info"] = .null
        f["all_tenants"] = .bool(allTenants)
        if let trustID { f["trust_id"] = .string(trustID) }
        fields = f
    }

    // MARK: Wire form

    /// Collects the `_context_*` keys of a message (oslo's `unpack_context`), in message order.
    public init(message: JSONObject) {
        self = Self.partition(message, interpreting: []).context
    }

    /// One pass over a message (requests and notifications are read on the hot path): the
    /// `_context_*` entries become the context, the values of the keys in `names` are returned in
    /// the order of `names` (`nil` when absent), and every other key goes to `extra`, in message
    /// order.
    static func partition(
        _ message: JSONObject, interpreting names: [String]
    ) -> (context: RequestContext, interpreted: [JSONValue?], extra: JSONObject) {
        var contextKeys: [String] = []
        var contextValues: [JSONValue] = []
        contextKeys.reserveCapacity(message.count)
        contextValues.reserveCapacity(message.count)
        var interpreted = [JSONValue?](repeating: nil, count: names.count)
        var extra = JSONObject()
        let known = knownKeys
        for (key, value) in message {
            if let name = Self.fieldName(ofWireKey: key, known: known) {
                contextKeys.append(name)
                contextValues.append(value)
            } else if let position = names.firstIndex(of: key) {
                interpreted[position] = value
            } else {
                extra[key] = value
            }
        }
        // A message's keys are unique, and so are they with one common prefix removed.
        let context = RequestContext(fields: JSONObject(uncheckedUniqueKeys: contextKeys, values: contextValues))
        return (context, interpreted, extra)
    }

    /// `key` without its `_context_` prefix (`nil` when it has none), a known name being the
    /// shared string. The prefix is compared byte by byte, as Python's `startswith` compares code
    /// points (`String.hasPrefix` compares characters, and was a tenth of a request's decoding).
    @inline(__always)
    static func fieldName(ofWireKey key: String, known: JSONKeyTable) -> String? {
        let name: String?? = key.utf8.withContiguousStorageIfAvailable { utf8 -> String? in
            guard utf8.count >= 9, let base = utf8.baseAddress else { return nil }
            let raw = UnsafeRawPointer(base)
            // "_context" as a little-endian word, then the final "_".
            guard UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)) == 0x7478_6574_6E6F_635F,
                  base[8] == UInt8(ascii: "_") else { return nil }
            let rest = UnsafeRawBufferPointer(start: raw + 9, count: utf8.count - 9)
            return known.string(matchingUTF8: rest) ?? String(decoding: rest, as: UTF8.self)
        }
        if let name { return name }
        guard key.utf8.starts(with: keyPrefix.utf8) else { return nil }  // a string not stored contiguously
        return String(Substring(key.utf8.dropFirst(keyPrefix.utf8.count)))
    }

    /// Adds this context to a message as `_context_<key>` entries (oslo's `pack_context`).
    public func pack(into message: inout JSONObject) {
        for (key, value) in fields { message[Self.keyPrefix + key] = value }
    }

    // MARK: Typed access

    public subscript(key: String) -> JSONValue? {
        get { fields[key] }
        set { fields[key] = newValue }
    }

    private func string(_ key: String) -> String? { fields[key]?.stringValue }
    private mutating func set(_ key: String, _ value: String?) { fields[key] = JSONValue(value) }

    public var authToken: String? { get { string("auth_token") } set { set("auth_token", newValue) } }
    public var authURL: String? { get { string("auth_url") } set { set("auth_url", newValue) } }
    /// Keystone's token body when the API kept it (a secret: it embeds the token).
    public var authTokenInfo: JSONValue? { fields["auth_token_info"].flatMap { $0.isNull ? nil : $0 } }
    public var userID: String? { get { string("user_id") ?? string("user") } set { set("user_id", newValue) } }
    public var userName: String? { get { string("user_name") } set { set("user_name", newValue) } }
    public var projectID: String? { get { string("project_id") ?? string("project") } set { set("project_id", newValue) } }
    public var projectName: String? { get { string("project_name") } set { set("project_name", newValue) } }
    public var domainID: String? { get { string("domain_id") ?? string("domain") } set { set("domain", newValue) } }
    public var userDomainID: String? { get { string("user_domain_id") ?? string("user_domain") } set { set("user_domain_id", newValue) } }
    public var userDomainName: String? { get { string("user_domain_name") } set { set("user_domain_name", newValue) } }
    public var projectDomainID: String? { get { string("project_domain_id") ?? string("project_domain") } set { set("project_domain", newValue) } }
    public var requestID: String? { get { string("request_id") } set { set("request_id", newValue) } }
    public var globalRequestID: String? { get { string("global_request_id") } set { set("global_request_id", newValue) } }
    public var trustID: String? { get { string("trust_id") } set { set("trust_id", newValue) } }
    public var password: String? { get { string("password") } set { set("password", newValue) } }
    public var userIdentity: String? { string("user_identity") }
    public var roles: [String] {
        get { fields["roles"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        set { fields["roles"] = .array(newValue.map { .string($0) }) }
    }
    public var isAdmin: Bool { get { fields["is_admin"]?.boolValue ?? false } set { fields["is_admin"] = .bool(newValue) } }
    public var allTenants: Bool { get { fields["all_tenants"]?.boolValue ?? false } set { fields["all_tenants"] = .bool(newValue) } }
    public var readOnly: Bool { fields["read_only"]?.boolValue ?? false }
    public var showDeleted: Bool { fields["show_deleted"]?.boolValue ?? false }

    /// Keys outside Magnum's `to_dict()` (kept and forwarded, e.g. `trace_info`, `trust_id`).
    public var unknownKeys: [String] {
        let known = Set(Self.magnumKeys)
        return fields.keys.filter { !known.contains($0) }
    }

    // MARK: Secrets

    /// The fields with every secret value replaced by `"***"`, for logs and `decode` output.
    public var maskedFields: JSONObject { SecretMasking.masked(fields) }

    /// The context a notification carries: oslo.context's `redacted_copy()` of Magnum's
    /// `RequestContext`, as `to_dict()` writes it. `redacted_copy()` rebuilds the context from the
    /// identity fields only (user, project, user domain, names, roles, request id, `is_admin`),
    /// and Magnum's constructor drops what it does not pass on, so the token, the token body, the
    /// Keystone URL, the domain and project domain, `global_request_id`, `system_scope`,
    /// `read_only`, `show_deleted` and `all_tenants` come out empty or false — and keys outside
    /// `magnumKeys` (which may hold anything, e.g. osprofiler's HMAC key) are left out.
    public func redacted() -> RequestContext {
        func kept(_ key: String) -> JSONValue {
            guard let value = fields[key], !SecretMasking.isSecret(key: key) else { return .null }
            return value
        }
        let userID = kept("user_id").isNull ? kept("user") : kept("user_id")
        let projectID = kept("project_id").isNull ? kept("project") : kept("project_id")
        let userDomainID = kept("user_domain_id").isNull ? kept("user_domain") : kept("user_domain_id")
        let identity = [userID, projectID, .null, userDomainID, .null].map { v -> String in
            guard let s = v.stringValue, !s.isEmpty else { return "-" }
            return s
        }.joined(separator: " ")
        var out = JSONObject(minimumCapacity: Self.magnumKeys.count)
        for key in Self.magnumKeys {
            switch key {
            case "user", "user_id": out[key] = userID
            case "project_id", "project": out[key] = projectID
            case "user_domain", "user_domain_id": out[key] = userDomainID
            case "is_admin": out[key] = fields["is_admin"].flatMap { $0.isNull ? nil : $0 } ?? false
            case "read_only", "show_deleted", "all_tenants": out[key] = false
            case "request_id", "user_domain_name", "user_name", "project_name": out[key] = kept(key)
            case "roles": out[key] = fields["roles"].flatMap { $0.isNull ? nil : $0 } ?? .array([])
            case "user_identity": out[key] = .string(identity)
            case "is_admin_project": out[key] = true
            default: out[key] = .null
            }
        }
        return RequestContext(fields: out)
    }

    public var description: String {
        var parts: [String] = []
        for (key, value) in maskedFields {
            let text: String
            switch value {
            case .string(let s): text = s
            case .null: text = "None"
            default: text = value.jsonString(.compact)
            }
            parts.append("\(key)=\(text)")
        }
        return "RequestContext(\(parts.joined(separator: ", ")))"
    }
}
