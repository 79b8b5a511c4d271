public import JSON
import Synchronization

/// One call made through a `RecordingOpenStackClient`.
public struct OpenStackCall: Sendable, Equatable {
    /// identity, image, compute, network, block-storage
    public var service: String
    /// e.g. create_application_credential, find_image, list_flavors
    public var call: String
    public var arguments: JSONObject

    public var json: JSONValue {
        var object: JSONObject = ["service": .string(service), "call": .string(call)]
        if !arguments.isEmpty { object["arguments"] = .object(arguments) }
        return .object(object)
    }
}

/// An `OpenStackCloud` that records every call in order and answers from an underlying client
/// when given one, else from in-memory data set up by the test (images, flavors, networks,
/// subnets, volume types, application credentials), like the boundaries faked by the driver
/// oracle. Application-credential secrets are never recorded.
public final class RecordingOpenStackClient: OpenStackCloud {
    public struct Data: Sendable {
        public var images: [Image] = []
        public var flavors: [Flavor] = []
        public var networks: [Network] = []
        public var subnets: [Subnet] = []
        public var volumeTypes: [VolumeType] = []
        public var regions: [String] = ["RegionOne"]
        public var endpoints: [String: String] = ["identity": "https://keystone.example:5000/v3"]
        public var applicationCredentials: [String: ApplicationCredential] = [:]
        /// Answers for the next created credentials (id, secret); generated when empty.
        public var nextCredentials: [(id: String, secret: String)] = []
        /// Calls (by `call` name) that fail with the given kind.
        public var failures: [String: OpenStackError.Kind] = [:]
        public init() {}
    }

    private struct State {
        var calls: [OpenStackCall] = []
        var data: Data
        var counter = 0
    }

    private let state: Mutex<State>
    private let base: (any OpenStackCloud)?

    public init(base: (any OpenStackCloud)? = nil, data: Data = Data()) {
        self.base = base
        self.state = Mutex(State(data: data))
    }

    public var calls: [OpenStackCall] { state.withLock { $0.calls } }
    public var recording: JSONValue { .array(calls.map(\.json)) }
    public var data: Data {
        get { state.withLock { $0.data } }
        set { state.withLock { $0.data = newValue } }
    }

    private func record(_ service: String, _ call: String, _ arguments: JSONObject = [:]) throws {
        let failure = state.withLock { s -> OpenStackError.Kind? in
            s.calls.append(OpenStackCall(service: service, call: call, arguments: arguments))
            return s.data.failures[call]
        }
        if let failure {
            throw OpenStackError(kind: failure, service: service, operation: call.replacingOccurrences(of: "_", with: " "), message: "injected by the test")
        }
    }

    public func createApplicationCredential(userID: String, name: String, description: String?) async throws -> ApplicationCredential {
        try record("identity", "create_application_credential", ["user_id": .string(userID), "name": .string(name), "description": JSONValue(description)])
        if let base { return try await base.createApplicationCredential(userID: userID, name: name, description: description) }
        return state.withLock { s in
            s.counter += 1
            let next = s.data.nextCredentials.isEmpty ? (id: "appcred\(s.counter)", secret: "secret\(s.counter)") : s.data.nextCredentials.removeFirst()
            let credential = ApplicationCredential(id: next.id, name: name, description: description, secret: SecretString(next.secret))
            var stored = credential
            stored.secret = nil
            s.data.applicationCredentials[credential.id] = stored
            return credential
        }
    }

    public func applicationCredential(userID: String, id: String) async throws -> ApplicationCredential {
        try record("identity", "get_application_credential", ["user_id": .string(userID), "id": .string(id)])
        if let base { return try await base.applicationCredential(userID: userID, id: id) }
        guard let credential = state.withLock({ $0.data.applicationCredentials[id] }) else {
            throw OpenStackError(kind: .notFound, service: "identity", operation: "get application credential", status: 404,
                                 message: "Could not find application credential: \(id).")
        }
        return credential
    }

    public func applicationCredentials(userID: String) async throws -> [ApplicationCredential] {
        try record("identity", "list_application_credentials", ["user_id": .string(userID)])
        if let base { return try await base.applicationCredentials(userID: userID) }
        return state.withLock { $0.data.applicationCredentials.values.sorted { $0.id < $1.id } }
    }

    public func deleteApplicationCredential(userID: String, id: String) async throws {
        try record("identity", "delete_application_credential", ["user_id": .string(userID), "id": .string(id)])
        if let base { return try await base.deleteApplicationCredential(userID: userID, id: id) }
        let removed = state.withLock { $0.data.applicationCredentials.removeValue(forKey: id) }
        if removed == nil {
            throw OpenStackError(kind: .notFound, service: "identity", operation: "delete application credential", status: 404,
                                 message: "Could not find application credential: \(id).")
        }
    }

    public func regions() async throws -> [String] {
        try record("identity", "list_regions")
        if let base { return try await base.regions() }
        return state.withLock { $0.data.regions }
    }

    public func endpointURL(serviceType: String, interface: EndpointInterface) async throws -> String {
        try record("identity", "url_for", ["service_type": .string(serviceType), "interface": .string(interface.rawValue)])
        if let base { return try await base.endpointURL(serviceType: serviceType, interface: interface) }
        guard let url = state.withLock({ $0.data.endpoints[serviceType] }) else {
            throw OpenStackError(kind: .endpointNotFound, service: serviceType, operation: "find endpoint")
        }
        return url
    }

    public func findImage(_ idOrName: String) async throws -> Image {
        try record("image", "find_image", ["image": .string(idOrName)])
        if let base { return try await base.findImage(idOrName) }
        let matches = state.withLock { $0.data.images.filter { $0.id == idOrName || $0.name == idOrName } }
        guard let image = matches.first else {
            throw OpenStackError(kind: .notFound, service: "image", operation: "find image", status: 404, message: "No Image found for \(idOrName)")
        }
        return image
    }

    public func flavors(minimumRAM: Int?) async throws -> [Flavor] {
        try record("compute", "list_flavors", minimumRAM.map { ["min_ram": .int(Int64($0))] } ?? [:])
        if let base { return try await base.flavors(minimumRAM: minimumRAM) }
        return state.withLock { $0.data.flavors.filter { $0.ram >= (minimumRAM ?? 0) } }
    }

    public func findFlavor(_ idOrName: String) async throws -> Flavor {
        try record("compute", "find_flavor", ["flavor": .string(idOrName)])
        if let base { return try await base.findFlavor(idOrName) }
        guard let flavor = state.withLock({ $0.data.flavors.first { $0.id == idOrName || $0.name == idOrName } }) else {
            throw OpenStackError(kind: .notFound, service: "compute", operation: "find flavor", status: 404, message: "No Flavor found for \(idOrName)")
        }
        return flavor
    }

    public func networks(name: String?, id: String?, external: Bool?) async throws -> [Network] {
        var arguments: JSONObject = [:]
        if let name { arguments["name"] = .string(name) }
        if let id { arguments["id"] = .string(id) }
        if let external { arguments["is_router_external"] = .bool(external) }
        try record("network", "list_networks", arguments)
        if let base { return try await base.networks(name: name, id: id, external: external) }
        return state.withLock {
            $0.data.networks.filter { (name == nil || $0.name == name) && (id == nil || $0.id == id) && (external == nil || $0.isRouterExternal == external) }
        }
    }

    public func subnets(name: String?, id: String?) async throws -> [Subnet] {
        var arguments: JSONObject = [:]
        if let name { arguments["name"] = .string(name) }
        if let id { arguments["id"] = .string(id) }
        try record("network", "list_subnets", arguments)
        if let base { return try await base.subnets(name: name, id: id) }
        return state.withLock { $0.data.subnets.filter { (name == nil || $0.name == name) && (id == nil || $0.id == id) } }
    }

    public func volumeTypes() async throws -> [VolumeType] {
        try record("block-storage", "list_volume_types")
        if let base { return try await base.volumeTypes() }
        return state.withLock { $0.data.volumeTypes }
    }
}
