public import JSON

/// Endpoint interfaces as Keystone names them (`publicURL`-style spellings are accepted too).
public enum EndpointInterface: String, Sendable, CaseIterable {
    case `public`
    case `internal`
    case admin

    /// Accepts `public`, `publicURL`, `internalURL`, `adminURL` (magnum.conf's endpoint_type).
    public init?(configured text: String) {
        var value = text.lowercased()
        if value.hasSuffix("url") { value.removeLast(3) }
        self.init(rawValue: value)
    }
}

/// The service catalog of a Keystone token: which URL serves which service, per interface and
/// region.
public struct ServiceCatalog: Sendable, Equatable {
    public struct Endpoint: Sendable, Equatable {
        public var serviceType: String
        public var serviceName: String?
        public var interface: String
        public var region: String?
        public var url: String
    }

    public var endpoints: [Endpoint]

    public init(endpoints: [Endpoint]) { self.endpoints = endpoints }

    /// Parses the `catalog` array of a token.
    public init(json: JSONValue) {
        var endpoints: [Endpoint] = []
        for service in json.arrayValue ?? [] {
            guard let type = service["type"]?.stringValue else { continue }
            for endpoint in service["endpoints"]?.arrayValue ?? [] {
                guard let url = endpoint["url"]?.stringValue, let interface = endpoint["interface"]?.stringValue else { continue }
                endpoints.append(Endpoint(
                    serviceType: type, serviceName: service["name"]?.stringValue, interface: interface,
                    region: endpoint["region_id"]?.stringValue ?? endpoint["region"]?.stringValue, url: url))
            }
        }
        self.endpoints = endpoints
    }

    /// Older and newer names of the same service (service-types-authority aliases).
    static let aliases: [String: [String]] = [
        "block-storage": ["block-storage", "volumev3", "volumev2", "volume"],
        "volumev3": ["block-storage", "volumev3", "volumev2", "volume"],
        "compute": ["compute"],
        "image": ["image"],
        "network": ["network"],
        "identity": ["identity"],
        "load-balancer": ["load-balancer"],
        "container-infra": ["container-infra", "container"],
    ]

    /// The URL (without a trailing slash) for a service type, interface and region (nil: any).
    public func url(serviceType: String, interface: EndpointInterface, region: String?) -> String? {
        for type in Self.aliases[serviceType] ?? [serviceType] {
            if let match = endpoints.first(where: {
                $0.serviceType == type && $0.interface == interface.rawValue && (region == nil || $0.region == region)
            }) {
                return match.url.hasSuffix("/") ? String(match.url.dropLast()) : match.url
            }
        }
        return nil
    }

    /// Regions present in the catalog.
    public var regions: [String] {
        var seen: [String] = []
        for endpoint in endpoints { if let region = endpoint.region, !seen.contains(region) { seen.append(region) } }
        return seen
    }
}
