public import MagnumObjects

/// Paging and sorting for list calls, as Magnum passes them to oslo.db's `paginate_query`:
/// at most `limit` rows after `marker` (the last object of the previous page), ordered by
/// `sortKey` then `id`, in `sortDirection` (`asc`, `desc`, optionally `-nullsfirst`/`-nullslast`).
public struct ListOptions: Sendable, Equatable {
    public var limit: Int?
    /// The last object of the previous page; its values for the sort keys bound the next page.
    public var marker: VersionedObject?
    public var sortKey: String?
    public var sortDirection: String?

    public init(limit: Int? = nil, marker: VersionedObject? = nil, sortKey: String? = nil, sortDirection: String? = nil) {
        self.limit = limit
        self.marker = marker
        self.sortKey = sortKey
        self.sortDirection = sortDirection
    }

    public static let all = ListOptions()
}

/// `Cluster.get_stats` / `Stats.get_cluster_stats`: clusters and the nodes of their nodegroups.
public struct ClusterStats: Sendable, Equatable {
    public var clusters: Int
    public var nodes: Int

    public init(clusters: Int, nodes: Int) {
        self.clusters = clusters
        self.nodes = nodes
    }
}
