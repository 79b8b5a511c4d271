/// What Magnum's database layer takes from a request context to scope a query: whose project,
/// which user, and whether an admin asked for all tenants (`_add_tenant_filters`).
///
/// Higher layers map oslo.messaging's request context (`_context_project_id`, `_context_user_id`,
/// `_context_is_admin`, `_context_all_tenants`) onto this.
public struct StoreContext: Sendable, Equatable, Hashable {
    public var projectId: String?
    public var userId: String?
    public var isAdmin: Bool
    public var allTenants: Bool

    public init(projectId: String?, userId: String?, isAdmin: Bool = false, allTenants: Bool = false) {
        self.projectId = projectId
        self.userId = userId
        self.isAdmin = isAdmin
        self.allTenants = allTenants
    }

    /// An admin context that sees every project (the conductor's own periodic tasks).
    public static let allProjects = StoreContext(projectId: nil, userId: nil, isAdmin: true, allTenants: true)
}
