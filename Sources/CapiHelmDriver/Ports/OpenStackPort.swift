public import JSON
public import MagnumObjects
public import OrderedCollections

/// A Glance image as the driver sees it: its id, its top-level attributes (`os_distro`,
/// `kube_version` when the client exposes it there) and its extra properties.
public struct GlanceImage: Sendable, Equatable {
    public var id: String
    public var attributes: JSONObject
    public var properties: JSONObject

    public init(id: String, attributes: JSONObject = [:], properties: JSONObject = [:]) {
        self.id = id
        self.attributes = attributes
        self.properties = properties
    }
}

/// A Nova flavor: what the minimum-size check needs.
public struct Flavor: Sendable, Equatable {
    public var id: String
    public var name: String
    public var ram: Int
    public var vcpus: Int

    public init(id: String, name: String, ram: Int, vcpus: Int) {
        self.id = id
        self.name = name
        self.ram = ram
        self.vcpus = vcpus
    }
}

/// A Keystone application credential just created; the secret never appears in descriptions.
public struct ApplicationCredential: Sendable, Equatable, CustomStringConvertible {
    public var id: String
    public var secret: String

    public init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    public var description: String { "ApplicationCredential(\(id))" }
}

/// magnum-capi-helm's `ApplicationCredentialError`: Keystone refused, or the credential is not
/// one Magnum made for the cluster. Its message goes into `status_reason`.
public struct ApplicationCredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String = "Failed to perform action on application credential.") { self.message = message }
    public var description: String { message }
}

/// The OpenStack boundary of the driver: Glance, Nova, Cinder, Neutron and Keystone as
/// magnum-capi-helm reaches them (through Magnum's helpers, whose semantics an adapter keeps).
public protocol OpenStackPort: Sendable {
    /// `api_utils.get_openstack_resource(glance.images, identifier, "images")`: by id or name;
    /// throws `MagnumError` `ImageNotFound`, or `Conflict` for several images of that name.
    func image(_ identifier: String, context: RequestContext) async throws -> GlanceImage
    /// `nova.flavors.list(min_ram=minimumRAM)`.
    func flavors(minimumRAM: Int, context: RequestContext) async throws -> [Flavor]
    /// Cinder volume type names, in the order Cinder lists them.
    func volumeTypes(context: RequestContext) async throws -> [String]
    /// `neutron.get_network(context, name, source="name", target="id", external=...)`: throws
    /// `MagnumError` `FixedNetworkNotFound` / `ExternalNetworkNotFound`, or `Conflict`.
    func networkID(name: String, external: Bool, context: RequestContext) async throws -> String
    /// `neutron.get_external_network_id`: a UUID-like value as is, else looked up by name.
    func externalNetworkID(_ network: String?, context: RequestContext) async throws -> String?
    /// `neutron.get_fixed_subnet_id`: a UUID-like (or empty) value as is, else the subnet with
    /// that name (`FixedSubnetNotFound`, `Conflict`).
    func fixedSubnetID(_ subnet: String?, context: RequestContext) async throws -> String?
    /// `app_creds.create_app_cred`: a credential for `context.userId` named
    /// `ApplicationCredentialNames.name(for:)`, described `ApplicationCredentialNames.description(for:)`.
    func createApplicationCredential(cluster: Cluster, context: RequestContext) async throws -> ApplicationCredential
    /// `app_creds.delete_app_cred` (with admin credentials): throws `ApplicationCredentialError`
    /// ("<id> does not exist." / "<id> is not managed by Magnum." — see
    /// `ApplicationCredentialNames.isManaged`) or Keystone's refusal.
    func deleteApplicationCredential(id: String, cluster: Cluster) async throws
    /// The ids of the cluster owner's application credentials Magnum made for this cluster
    /// (`ApplicationCredentialNames.isManaged`), looked up as `deleteApplicationCredential`
    /// finds them (admin credentials). Not in the Python driver: a resumed `create_cluster`
    /// uses it to find a credential an interrupted attempt made but never recorded.
    func managedApplicationCredentialIDs(cluster: Cluster) async throws -> [String]
    /// For `clouds.yaml`: `osc.cinder_region_name()` (`[cinder_client] region_name`) and the
    /// public identity endpoint (`osc.url_for(service_type="identity", interface="public")`).
    func cloudEndpoint(context: RequestContext) async throws -> CloudEndpoint
    /// The CA bundle the cluster trusts for OpenStack APIs: `[drivers] openstack_ca_file`, else
    /// certifi's bundle.
    func openStackCACertificate() async throws -> String
}

/// Where the cluster's OpenStack integrations reach Keystone.
public struct CloudEndpoint: Sendable, Equatable {
    public var regionName: String?
    public var authURL: String?

    public init(regionName: String?, authURL: String?) {
        self.regionName = regionName
        self.authURL = authURL
    }
}

/// The naming rules for application credentials Magnum owns, for OpenStack adapters.
public enum ApplicationCredentialNames {
    /// `magnum-<cluster uuid>-<8 hex>`.
    public static func name(for cluster: Cluster, randomHex: String) -> String {
        "magnum-\(cluster.uuid ?? "")-\(randomHex)"
    }

    /// `Magnum cluster (<name or uuid>)`.
    public static func description(for cluster: Cluster) -> String {
        let n = cluster.name.flatMap { $0.isEmpty ? nil : $0 } ?? cluster.uuid ?? ""
        return "Magnum cluster (\(n))"
    }

    /// Whether a credential of that name belongs to the cluster (Magnum refuses to delete others).
    public static func isManaged(name: String, cluster: Cluster) -> Bool {
        name.hasPrefix("magnum-\(cluster.uuid ?? "")")
    }
}
