public import OpenStack
public import OsloConfig

/// Where and as whom the runtime reaches OpenStack, read as Magnum reads it:
///
/// - Keystone is `[keystone_auth] auth_url`, else `[keystone_authtoken] www_authenticate_uri`
///   (`KeystoneClientV3.auth_url`); callers' tokens are re-scoped there.
/// - Magnum's admin context authenticates with `[keystone_auth]`'s password options (the service
///   user that deletes application credentials of deleted clusters).
/// - Each service's endpoint is chosen from the catalog by `[<service>_client] endpoint_type` and
///   `region_name` (nova, glance, neutron, cinder), as `OpenStackClients` does.
/// - TLS: `[keystone_auth] cafile` / `insecure` (keystoneauth's session options), with
///   `[drivers] openstack_ca_file` as the CA bundle when `cafile` is unset.
public struct OpenStackSettings: Sendable {
    /// The identity v3 URL (`.../v3`); nil when neither option is set.
    public var authURL: String?
    /// Magnum's admin context; nil when `[keystone_auth]` has no username or password.
    public var adminCredentials: KeystoneCredentials?
    /// Why there are no `adminCredentials`: the option at fault and what is wrong with it.
    public var adminCredentialsProblem: StartupProblem?
    public var caFile: String?
    public var verifyTLS = true
    public var requestTimeout: Duration = .seconds(60)
    public var interfaceOverrides: [String: EndpointInterface] = [:]
    public var regionOverrides: [String: String] = [:]
    /// `[cinder_client] region_name`: the region in clusters' clouds.yaml (validated against
    /// Keystone's regions, as `osc.cinder_region_name()` does).
    public var cinderRegion: String?
    /// `[drivers] openstack_ca_file`: the CA bundle installed into clusters ("" = the system's).
    public var clusterCABundleFile: String?

    /// Catalog service types and the `[<client>_client]` groups that choose their endpoints.
    public static let serviceClients: [(serviceType: String, client: String)] = [
        ("compute", "nova_client"), ("image", "glance_client"), ("network", "neutron_client"), ("block-storage", "cinder_client"),
    ]

    public init() {}

    public init(configuration: Configuration) throws(ConfigError) {
        self.init()
        do {
            let url = try configuration.string("keystone_auth", "auth_url").flatMap { $0.isEmpty ? nil : $0 }
                ?? configuration.string("keystone_authtoken", "www_authenticate_uri").flatMap { $0.isEmpty ? nil : $0 }
            authURL = url.map(Self.identityV3URL)

            let type = try configuration.string("keystone_auth", "auth_type") ?? "password"
            let username = try configuration.string("keystone_auth", "username").flatMap { $0.isEmpty ? nil : $0 }
            let password = try configuration.string("keystone_auth", "password").flatMap { $0.isEmpty ? nil : $0 }
            if type != "password" && type != "v3password" {
                adminCredentialsProblem = StartupProblem(option: "[keystone_auth] auth_type", "\(type) is not supported by this worker; use password")
            } else if let username, let password {
                let userDomain: KeystoneDomain
                if let name = try configuration.string("keystone_auth", "user_domain_name"), !name.isEmpty {
                    userDomain = .name(name)
                } else if let id = try configuration.string("keystone_auth", "user_domain_id"), !id.isEmpty {
                    userDomain = .id(id)
                } else {
                    userDomain = "Default"
                }
                let projectDomain: KeystoneDomain
                if let name = try configuration.string("keystone_auth", "project_domain_name"), !name.isEmpty {
                    projectDomain = .name(name)
                } else if let id = try configuration.string("keystone_auth", "project_domain_id"), !id.isEmpty {
                    projectDomain = .id(id)
                } else {
                    projectDomain = "Default"
                }
                if let id = try configuration.string("keystone_auth", "project_id"), !id.isEmpty {
                    adminCredentials = .password(username: username, password: SecretString(password), userDomain: userDomain, project: .id(id))
                } else if let name = try configuration.string("keystone_auth", "project_name"), !name.isEmpty {
                    adminCredentials = .password(username: username, password: SecretString(password), userDomain: userDomain,
                                                 project: .name(name, domain: projectDomain))
                } else {
                    adminCredentialsProblem = StartupProblem(option: "[keystone_auth] project_name", "is not set (nor project_id)")
                }
            } else {
                adminCredentialsProblem = StartupProblem(option: "[keystone_auth] \(username == nil ? "username" : "password")", "is not set")
            }

            let bundle = try configuration.string("drivers", "openstack_ca_file").flatMap { $0.isEmpty ? nil : $0 }
            clusterCABundleFile = bundle
            caFile = try configuration.string("keystone_auth", "cafile").flatMap { $0.isEmpty ? nil : $0 } ?? bundle
            verifyTLS = !(try configuration.bool("keystone_auth", "insecure") ?? false)
            if let seconds = try configuration.int("keystone_auth", "timeout") { requestTimeout = .seconds(seconds) }

            for (serviceType, client) in Self.serviceClients {
                if let region = try configuration.string(client, "region_name"), !region.isEmpty { regionOverrides[serviceType] = region }
                let text = try configuration.string(client, "endpoint_type") ?? "publicURL"
                guard let interface = EndpointInterface(configured: text) else {
                    let option = OptionName(client, "endpoint_type")
                    throw ConfigError(option: option, location: configuration.location(of: option),
                                      message: "invalid value \(text.debugDescription), expected publicURL, internalURL or adminURL")
                }
                interfaceOverrides[serviceType] = interface
            }
            cinderRegion = regionOverrides["block-storage"]
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(option: nil, location: nil, message: "\(error)")
        }
    }

    /// keystoneauth discovers the version behind a bare `http://keystone:5000`; this worker speaks
    /// v3 only, so `/v3` is added when the URL has no version.
    static func identityV3URL(_ url: String) -> String {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v3") { return base }
        return base + "/v3"
    }

    /// A configuration for `credentials` (the services' endpoints chosen as configured).
    func openStackConfiguration(_ credentials: KeystoneCredentials) -> OpenStackConfiguration? {
        guard let authURL else { return nil }
        return OpenStackConfiguration(authURL: authURL, credentials: credentials, interfaceOverrides: interfaceOverrides,
                                      regionOverrides: regionOverrides, caFile: caFile, verifyTLS: verifyTLS,
                                      requestTimeout: requestTimeout)
    }
}
