/// Keystone calls the driver makes (application credentials for the cluster's cloud-credentials
/// Secret, the identity endpoint for clouds.yaml, regions to validate `[cinder_client] region_name`).
public protocol IdentityService: Sendable {
    /// `POST /v3/users/{user_id}/application_credentials`. The secret is in the answer only.
    func createApplicationCredential(userID: String, name: String, description: String?) async throws -> ApplicationCredential
    /// `GET /v3/users/{user_id}/application_credentials/{id}`; `.notFound` when it does not exist.
    func applicationCredential(userID: String, id: String) async throws -> ApplicationCredential
    /// `DELETE /v3/users/{user_id}/application_credentials/{id}`.
    func deleteApplicationCredential(userID: String, id: String) async throws
    /// `GET /v3/users/{user_id}/application_credentials`: the user's credentials (no secrets).
    func applicationCredentials(userID: String) async throws -> [ApplicationCredential]
    /// `GET /v3/regions`: region ids.
    func regions() async throws -> [String]
    /// The catalog URL of `serviceType` for `interface` (the driver's `url_for(identity, public)`).
    func endpointURL(serviceType: String, interface: EndpointInterface) async throws -> String
}

/// Glance: the image a cluster template names, by id or name (`find_image`).
public protocol ImageService: Sendable {
    func findImage(_ idOrName: String) async throws -> Image
}

/// Nova: flavors for the minimum RAM/vCPU checks.
public protocol ComputeService: Sendable {
    /// `GET /flavors/detail?minRam=` (every page).
    func flavors(minimumRAM: Int?) async throws -> [Flavor]
    /// By id, else by exact name.
    func findFlavor(_ idOrName: String) async throws -> Flavor
}

/// Neutron: networks and subnets by name or id (magnum.common.neutron).
public protocol NetworkService: Sendable {
    /// `GET /v2.0/networks` filtered by name and/or id and `router:external`.
    func networks(name: String?, id: String?, external: Bool?) async throws -> [Network]
    /// `GET /v2.0/subnets` filtered by name and/or id.
    func subnets(name: String?, id: String?) async throws -> [Subnet]
}

/// Cinder: volume types (one storage class each).
public protocol BlockStorageService: Sendable {
    func volumeTypes() async throws -> [VolumeType]
}

/// Everything the capi-helm driver asks of OpenStack.
public typealias OpenStackCloud = IdentityService & ImageService & ComputeService & NetworkService & BlockStorageService

extension NetworkService {
    /// Magnum's `get_network(..., source, target, external)`: exactly one network with that name
    /// (or id), else `.notFound` / `.ambiguous`.
    public func findNetwork(_ nameOrID: String, byName: Bool, external: Bool) async throws -> Network {
        let candidates = try await networks(name: byName ? nameOrID : nil, id: byName ? nil : nameOrID, external: external)
            .filter { byName ? $0.name == nameOrID : $0.id == nameOrID }
        if candidates.isEmpty {
            throw OpenStackError(kind: .notFound, service: "network", operation: "find network",
                                 message: external ? "External network \(nameOrID) could not be found" : "Fixed network \(nameOrID) could not be found")
        }
        if candidates.count > 1 {
            throw OpenStackError(kind: .ambiguous, service: "network", operation: "find network",
                                 message: "Multiple networks exist with same name '\(nameOrID)'. Please use the network ID instead.")
        }
        return candidates[0]
    }

    /// `get_external_network_id`: a UUID is returned as is, a name is looked up (external only).
    public func externalNetworkID(_ nameOrID: String) async throws -> String {
        if isUUIDLike(nameOrID) { return nameOrID }
        return try await findNetwork(nameOrID, byName: true, external: true).id
    }

    /// `get_fixed_subnet_id`: a UUID (or nothing) is returned as is, a name is looked up.
    public func fixedSubnetID(_ nameOrID: String?) async throws -> String? {
        guard let nameOrID, !nameOrID.isEmpty, !isUUIDLike(nameOrID) else { return nameOrID }
        let candidates = try await subnets(name: nameOrID, id: nil).filter { $0.name == nameOrID }
        if candidates.isEmpty {
            throw OpenStackError(kind: .notFound, service: "network", operation: "find subnet", message: "Fixed subnet \(nameOrID) could not be found")
        }
        if candidates.count > 1 {
            throw OpenStackError(kind: .ambiguous, service: "network", operation: "find subnet",
                                 message: "Multiple subnets exist with same name '\(nameOrID)'. Please use the subnet ID instead.")
        }
        return candidates[0].id
    }
}
