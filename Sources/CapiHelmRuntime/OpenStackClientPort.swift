public import CapiHelmDriver
import Curl
import Foundation
import JSON
public import Logging
public import MagnumObjects
import OpenStack
import Synchronization

/// The driver's `OpenStackPort` on the OpenStack clients, acting **as the calling user** the way
/// Magnum's `OpenStackClients(context)` does: the request context's Keystone token, re-scoped
/// to its project (`KeystoneClientV3` with `auth_token`), reaches Glance, Nova, Neutron, Cinder
/// and Keystone; an admin context without a token uses `[keystone_auth]`'s service user, and
/// deleting a cluster's application credential always does (`app_creds.delete_app_cred` uses
/// `make_admin_context()`). A context with neither is refused with Magnum's
/// `AuthorizationFailure`. (Magnum 23 has no trust-based path for this driver.)
///
/// Per-user sessions share one HTTP client and are kept (most recently used first) so a burst
/// of calls for one request authenticates once.
///
/// Look-ups fail with Magnum's own errors and messages: `ImageNotFound`, `Conflict`,
/// `FixedNetworkNotFound`, `ExternalNetworkNotFound`, `FixedSubnetNotFound`,
/// `InvalidParameterValue` for the region; other OpenStack failures are `OpenStackError` (no
/// token or secret in their text).
public final class OpenStackClientPort: OpenStackPort {
    public let settings: OpenStackSettings
    let http: HTTPClient
    let logger: Logger
    let admin: OpenStackAPIClient?
    let sessions = Mutex<[(key: String, client: OpenStackAPIClient)]>([])
    /// How many callers' sessions are kept.
    public let sessionCacheSize: Int
    /// The 8 hex digits of a new credential's name (`secrets.token_hex(4)`).
    let randomHex: @Sendable () -> String

    public init(settings: OpenStackSettings, logger: Logger, sessionCacheSize: Int = 64,
                randomHex: @escaping @Sendable () -> String = OpenStackClientPort.randomHex) throws {
        self.settings = settings
        self.logger = logger
        self.sessionCacheSize = max(1, sessionCacheSize)
        self.randomHex = randomHex
        let base = OpenStackConfiguration(authURL: settings.authURL ?? "http://127.0.0.1/v3", credentials: .token("", project: .id("")),
                                          caFile: settings.caFile, verifyTLS: settings.verifyTLS, requestTimeout: settings.requestTimeout)
        let http = try KeystoneSession.makeHTTPClient(base, logger: logger)
        self.http = http
        if let credentials = settings.adminCredentials, let configuration = settings.openStackConfiguration(credentials) {
            admin = OpenStackAPIClient(session: KeystoneSession(configuration: configuration, http: http, logger: logger), logger: logger)
        } else {
            admin = nil
        }
    }

    /// `secrets.token_hex(4)`: 8 random lower-case hex digits.
    public static func randomHex() -> String {
        let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Ends the shared HTTP client (in-flight calls fail).
    public func shutdown() { http.shutdown() }

    // MARK: Who the calls run as

    /// The calling user's clients (token re-scoped to the context's project), or the admin's for
    /// an admin context without a token.
    func cloud(for context: RequestContext) throws -> OpenStackAPIClient {
        guard let token = context.authToken, !token.isEmpty else {
            if context.isAdmin, let admin { return admin }
            logger.error("Keystone API connection failed: no password or token found.")
            throw MagnumError("AuthorizationFailure", ["client": "keystone", "message": "reason Keystone API connection failed: no password or token found."])
        }
        guard let project = context.projectId, !project.isEmpty else {
            throw MagnumError("AuthorizationFailure", ["client": "keystone", "message": "reason the request context has a token but no project to scope it to."])
        }
        guard let configuration = settings.openStackConfiguration(.token(SecretString(token), project: .id(project))) else {
            throw MagnumError("AuthorizationFailure", ["client": "keystone", "message": "reason neither [keystone_auth] auth_url nor [keystone_authtoken] www_authenticate_uri is set."])
        }
        let key = "\(project)\u{0}\(token)"
        return sessions.withLock { cache in
            if let index = cache.firstIndex(where: { $0.key == key }) {
                let entry = cache.remove(at: index)
                cache.insert(entry, at: 0)
                return entry.client
            }
            let client = OpenStackAPIClient(session: KeystoneSession(configuration: configuration, http: http, logger: logger), logger: logger)
            cache.insert((key, client), at: 0)
            if cache.count > sessionCacheSize { cache.removeLast(cache.count - sessionCacheSize) }
            return client
        }
    }

    // MARK: Glance, Nova, Cinder

    public func image(_ identifier: String, context: RequestContext) async throws -> GlanceImage {
        let image: Image
        do {
            image = try await cloud(for: context).findImage(identifier)
        } catch let error as OpenStackError where error.kind == .notFound && error.service == "image" {
            throw MagnumError("ImageNotFound", ["image_id": .string(identifier)])
        } catch let error as OpenStackError where error.kind == .ambiguous {
            throw MagnumError("Conflict", message: "Multiple images exist with same name \(identifier). Please use the resource id instead.")
        }
        return Self.glanceImage(image.properties)
    }

    /// Glance v2 keeps custom properties (`os_distro`, `kube_version`) at the top level.
    static func glanceImage(_ document: JSONValue) -> GlanceImage {
        var attributes = document.objectValue ?? [:]
        let properties = attributes.removeValue(forKey: "properties")?.objectValue ?? [:]
        return GlanceImage(id: document["id"]?.stringValue ?? "", attributes: attributes, properties: properties)
    }

    /// Nova's flavors of at least `minimumRAM` MB (`nova.flavors(min_ram=...)`).
    func cloudFlavors(minimumRAM: Int, context: RequestContext) async throws -> [(id: String, name: String, ram: Int, vcpus: Int)] {
        try await cloud(for: context).flavors(minimumRAM: minimumRAM).map { ($0.id, $0.name, $0.ram, $0.vcpus) }
    }

    public func volumeTypes(context: RequestContext) async throws -> [String] {
        try await cloud(for: context).volumeTypes().map(\.name)
    }

    // MARK: Neutron (magnum.common.neutron)

    public func networkID(name: String, external: Bool, context: RequestContext) async throws -> String {
        do {
            return try await cloud(for: context).findNetwork(name, byName: true, external: external).id
        } catch let error as OpenStackError where error.kind == .notFound && error.operation == "find network" {
            throw MagnumError(external ? "ExternalNetworkNotFound" : "FixedNetworkNotFound", ["network": .string(name)])
        } catch let error as OpenStackError where error.kind == .ambiguous {
            throw MagnumError("Conflict", message: "Multiple networks exist with same name '\(name)'. Please use the network ID instead.")
        }
    }

    /// `get_external_network_id`: a UUID-like value as it is, anything else (even nothing, as in
    /// Python) looked up by name among external networks.
    public func externalNetworkID(_ network: String?, context: RequestContext) async throws -> String? {
        if let network, !network.isEmpty, isUUIDLike(network) { return network }
        guard let network else { throw MagnumError("ExternalNetworkNotFound", ["network": .null]) }
        return try await networkID(name: network, external: true, context: context)
    }

    /// `get_fixed_subnet_id`: nothing or a UUID-like value as it is, a name looked up.
    public func fixedSubnetID(_ subnet: String?, context: RequestContext) async throws -> String? {
        guard let subnet, !subnet.isEmpty, !isUUIDLike(subnet) else { return subnet }
        let found = try await cloud(for: context).subnets(name: subnet, id: nil).filter { $0.name == subnet }
        if found.isEmpty { throw MagnumError("FixedSubnetNotFound", ["subnet": .string(subnet)]) }
        if found.count > 1 {
            throw MagnumError("Conflict", message: "Multiple subnets exist with same name '\(subnet)'. Please use the subnet ID instead.")
        }
        return found[0].id
    }

    // MARK: Keystone (magnum_capi_helm.common.app_creds)

    /// `app_creds.create_app_cred`: a credential for the caller named `magnum-<uuid>-<8 hex>`.
    func newApplicationCredential(cluster: Cluster, context: RequestContext) async throws -> (id: String, secret: String) {
        guard let user = context.userId, !user.isEmpty else {
            throw MagnumError("AuthorizationFailure", ["client": "keystone", "message": "reason the request context has no user to create an application credential for."])
        }
        let name = ApplicationCredentialNames.name(for: cluster, randomHex: randomHex())
        let created = try await cloud(for: context).createApplicationCredential(
            userID: user, name: name, description: ApplicationCredentialNames.description(for: cluster))
        guard let secret = created.secret?.value, !secret.isEmpty else {
            throw OpenStackError(kind: .malformedResponse, service: "identity", operation: "create application credential",
                                 message: "Keystone returned application credential \(created.id) without its secret")
        }
        logger.info("Application credential created for cluster", metadata: [
            "cluster_uuid": "\(cluster.uuid ?? "-")", "application_credential_id": "\(created.id)",
        ])
        return (created.id, secret)
    }

    /// With the admin credentials: refuses a credential that does not exist or that Magnum did
    /// not make for this cluster, as `delete_app_cred` does.
    public func deleteApplicationCredential(id: String, cluster: Cluster) async throws {
        guard let admin else {
            throw ApplicationCredentialError("\(id) cannot be deleted: \(settings.adminCredentialsProblem.map { "\($0)" } ?? "[keystone_auth] is not configured").")
        }
        let user = cluster.userId ?? ""
        let credential: OpenStack.ApplicationCredential
        do {
            credential = try await admin.applicationCredential(userID: user, id: id)
        } catch {
            throw ApplicationCredentialError("\(id) does not exist.")
        }
        guard ApplicationCredentialNames.isManaged(name: credential.name, cluster: cluster) else {
            throw ApplicationCredentialError("\(id) is not managed by Magnum.")
        }
        try await admin.deleteApplicationCredential(userID: user, id: id)
    }

    /// With the admin credentials, as `deleteApplicationCredential` looks them up.
    public func managedApplicationCredentialIDs(cluster: Cluster) async throws -> [String] {
        guard let admin else {
            throw ApplicationCredentialError("the cluster's application credentials cannot be listed: \(settings.adminCredentialsProblem.map { "\($0)" } ?? "[keystone_auth] is not configured").")
        }
        return try await admin.applicationCredentials(userID: cluster.userId ?? "")
            .filter { ApplicationCredentialNames.isManaged(name: $0.name, cluster: cluster) }
            .map(\.id)
    }

    /// `osc.cinder_region_name()` (`[cinder_client] region_name`, checked against Keystone's
    /// regions) and `osc.url_for(service_type="identity", interface="public")`.
    public func cloudEndpoint(context: RequestContext) async throws -> CloudEndpoint {
        let cloud = try cloud(for: context)
        guard let region = settings.cinderRegion else {
            throw MagnumError.invalidParameterValue("region_name needs to be configured in magnum.conf")
        }
        let regions: [String]
        do {
            regions = try await cloud.regions()
        } catch let error as OpenStackError where error.kind == .notFound {
            regions = []
        } catch let error as OpenStackError {
            logger.error("Failed to list regions", metadata: ["error": "\(error)"])
            throw MagnumError("RegionsListFailed", message: "Failed to list regions.")
        }
        guard regions.contains(region) else {
            throw MagnumError.invalidParameterValue(
                "region_name \(region) is invalid, expecting a region_name in \((regions + ["unspecified"]).joined(separator: "/")).")
        }
        let authURL = try await cloud.endpointURL(serviceType: "identity", interface: .public)
        return CloudEndpoint(regionName: region, authURL: authURL)
    }

    public func openStackCACertificate() async throws -> String {
        try ClusterCABundle.read(settings.clusterCABundleFile)
    }
}

/// The CA bundle clusters get for the OpenStack APIs (`cacert` in the cloud-credentials
/// Secret): `[drivers] openstack_ca_file`, else the system's bundle (magnum-capi-helm uses
/// certifi's, the Mozilla set the system bundle also carries).
public enum ClusterCABundle {
    /// Debian/Ubuntu, RHEL/Fedora, SUSE, Alpine/macOS.
    public static let systemBundles = [
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem",
    ]

    public static func read(_ configured: String?) throws -> String {
        if let configured, !configured.isEmpty {
            guard let data = FileManager.default.contents(atPath: configured) else {
                throw ClusterCABundleError(message: "[drivers] openstack_ca_file \(configured) cannot be read")
            }
            return String(decoding: data, as: UTF8.self)
        }
        for path in systemBundles {
            if let data = FileManager.default.contents(atPath: path) { return String(decoding: data, as: UTF8.self) }
        }
        throw ClusterCABundleError(message: "no system CA bundle found (\(systemBundles.joined(separator: ", "))): set [drivers] openstack_ca_file")
    }
}

public struct ClusterCABundleError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
