/// The caller of an operation, as Magnum's `RequestContext` carries it: who asked (application
/// credentials are created for them), in which project, and the Keystone URL the cluster's
/// `k8s-keystone-auth` webhook should use. The token never appears in descriptions.
public struct RequestContext: Sendable, Equatable, CustomStringConvertible {
    public var userId: String?
    public var userName: String?
    public var projectId: String?
    public var projectName: String?
    public var authURL: String?
    public var roles: [String]
    public var isAdmin: Bool
    public var requestId: String?
    /// The caller's Keystone token, for the OpenStack port to act as them.
    public var authToken: String?

    public init(userId: String? = nil, userName: String? = nil, projectId: String? = nil, projectName: String? = nil,
                authURL: String? = nil, roles: [String] = [], isAdmin: Bool = false, requestId: String? = nil,
                authToken: String? = nil) {
        self.userId = userId
        self.userName = userName
        self.projectId = projectId
        self.projectName = projectName
        self.authURL = authURL
        self.roles = roles
        self.isAdmin = isAdmin
        self.requestId = requestId
        self.authToken = authToken
    }

    public var description: String {
        "RequestContext(user: \(userId ?? "-"), project: \(projectId ?? "-"), request: \(requestId ?? "-"))"
    }
}

/// `RequestContext` under a name that does not collide with oslo's context in modules that see
/// both (the module and its main type share the name `CapiHelmDriver`, so it cannot qualify).
public typealias DriverRequestContext = RequestContext
