public import JSON

/// A secret string (password, application-credential secret, token) that never prints itself:
/// its description, debug description and reflection all show `<redacted>`.
public struct SecretString: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable, ExpressibleByStringLiteral {
    public let value: String
    public init(_ value: String) { self.value = value }
    public init(stringLiteral value: String) { self.value = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

/// A Keystone application credential. `secret` is only known right after creation.
public struct ApplicationCredential: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String?
    public var projectID: String?
    public var secret: SecretString?
    public var expiresAt: String?
    public var unrestricted: Bool

    public init(id: String, name: String, description: String? = nil, projectID: String? = nil, secret: SecretString? = nil,
                expiresAt: String? = nil, unrestricted: Bool = false) {
        self.id = id
        self.name = name
        self.description = description
        self.projectID = projectID
        self.secret = secret
        self.expiresAt = expiresAt
        self.unrestricted = unrestricted
    }

    init(json: JSONValue) {
        id = json["id"]?.stringValue ?? ""
        name = json["name"]?.stringValue ?? ""
        description = json["description"]?.stringValue
        projectID = json["project_id"]?.stringValue
        secret = json["secret"]?.stringValue.map { SecretString($0) }
        expiresAt = json["expires_at"]?.stringValue
        unrestricted = json["unrestricted"]?.boolValue ?? false
    }
}

/// A Glance image: id, name and the properties the driver reads (`os_distro`, `kube_version`).
/// Glance v2 puts custom properties at the top level of the image, next to the standard fields.
public struct Image: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var status: String?
    /// The whole image document (standard fields and custom properties).
    public var properties: JSONValue

    public init(json: JSONValue) {
        id = json["id"]?.stringValue ?? ""
        name = json["name"]?.stringValue
        status = json["status"]?.stringValue
        properties = json
    }

    public func property(_ key: String) -> String? { properties[key]?.stringValue }
    public var osDistro: String? { property("os_distro") }
    public var kubeVersion: String? { property("kube_version") }
}

/// A Nova flavor.
public struct Flavor: Sendable, Equatable {
    public var id: String
    public var name: String
    /// MiB.
    public var ram: Int
    public var vcpus: Int
    /// GiB.
    public var disk: Int

    public init(id: String, name: String, ram: Int, vcpus: Int, disk: Int = 0) {
        self.id = id
        self.name = name
        self.ram = ram
        self.vcpus = vcpus
        self.disk = disk
    }

    init(json: JSONValue) {
        id = json["id"]?.stringValue ?? ""
        name = json["name"]?.stringValue ?? ""
        ram = json["ram"]?.intValue ?? 0
        vcpus = json["vcpus"]?.intValue ?? 0
        disk = json["disk"]?.intValue ?? 0
    }
}

/// A Neutron network.
public struct Network: Sendable, Equatable {
    public var id: String
    public var name: String
    public var isRouterExternal: Bool
    public var subnetIDs: [String]

    public init(id: String, name: String, isRouterExternal: Bool = false, subnetIDs: [String] = []) {
        self.id = id
        self.name = name
        self.isRouterExternal = isRouterExternal
        self.subnetIDs = subnetIDs
    }

    init(json: JSONValue) {
        id = json["id"]?.stringValue ?? ""
        name = json["name"]?.stringValue ?? ""
        isRouterExternal = json["router:external"]?.boolValue ?? false
        subnetIDs = (json["subnets"]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}

/// A Neutron subnet.
public struct Subnet: Sendable, Equatable {
    public var id: String
    public var name: String
    public var networkID: String
    public var cidr: String?

    public init(id: String, name: String, networkID: String, cidr: String? = nil) {
        self.id = id
        self.name = name
        self.networkID = networkID
        self.cidr = cidr
    }

    init(json: JSONValue) {
        id = json["id"]?.stringValue ?? ""
        name = json["name"]?.stringValue ?? ""
        networkID = json["network_id"]?.stringValue ?? ""
        cidr = json["cidr"]?.stringValue
    }
}

/// A Cinder volume type.
public struct VolumeType: Sendable, Equatable {
    public var id: String
    public var name: String
    public var isPublic: Bool

    public init(id: String, name: String, isPublic: Bool = true) {
        self.id = id
        self.name = name
        self.isPublic = isPublic
    }

    init(json: JSONValue) {
        id = json["id"]?.stringValue ?? ""
        name = json["name"]?.stringValue ?? ""
        isPublic = json["os-volume-type-access:is_public"]?.boolValue ?? json["is_public"]?.boolValue ?? true
    }
}

/// True for the canonical 8-4-4-4-12 UUID form, with or without dashes (oslo's is_uuid_like).
public func isUUIDLike(_ text: String) -> Bool {
    let hex = text.replacingOccurrences(of: "-", with: "").lowercased()
    guard hex.count == 32, hex.allSatisfy({ $0.isHexDigit }) else { return false }
    if text.contains("-") {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
        return parts == [8, 4, 4, 4, 12]
    }
    return true
}
