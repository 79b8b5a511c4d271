/// Magnum's `ClusterStatus` (also used for nodegroups).
public enum ClusterStatus: String, Sendable, CaseIterable, Codable {
    case createInProgress = "CREATE_IN_PROGRESS"
    case createFailed = "CREATE_FAILED"
    case createComplete = "CREATE_COMPLETE"
    case updateInProgress = "UPDATE_IN_PROGRESS"
    case updateFailed = "UPDATE_FAILED"
    case updateComplete = "UPDATE_COMPLETE"
    case deleteInProgress = "DELETE_IN_PROGRESS"
    case deleteFailed = "DELETE_FAILED"
    case deleteComplete = "DELETE_COMPLETE"
    case resumeComplete = "RESUME_COMPLETE"
    case resumeFailed = "RESUME_FAILED"
    case restoreComplete = "RESTORE_COMPLETE"
    case rollbackInProgress = "ROLLBACK_IN_PROGRESS"
    case rollbackFailed = "ROLLBACK_FAILED"
    case rollbackComplete = "ROLLBACK_COMPLETE"
    case snapshotComplete = "SNAPSHOT_COMPLETE"
    case checkComplete = "CHECK_COMPLETE"
    case adoptComplete = "ADOPT_COMPLETE"

    public static let failed: Set<ClusterStatus> = [.createFailed, .updateFailed, .deleteFailed, .rollbackFailed, .resumeFailed]

    public var isInProgress: Bool { rawValue.hasSuffix("_IN_PROGRESS") }
    public var isFailed: Bool { Self.failed.contains(self) }
    public var isComplete: Bool { rawValue.hasSuffix("_COMPLETE") }
}

/// Magnum's `ClusterHealthStatus`.
public enum ClusterHealthStatus: String, Sendable, CaseIterable, Codable {
    case healthy = "HEALTHY"
    case unhealthy = "UNHEALTHY"
    case unknown = "UNKNOWN"
}

/// Magnum's `FederationStatus`.
public enum FederationStatus: String, Sendable, CaseIterable, Codable {
    case createInProgress = "CREATE_IN_PROGRESS"
    case createFailed = "CREATE_FAILED"
    case createComplete = "CREATE_COMPLETE"
    case updateInProgress = "UPDATE_IN_PROGRESS"
    case updateFailed = "UPDATE_FAILED"
    case updateComplete = "UPDATE_COMPLETE"
    case deleteInProgress = "DELETE_IN_PROGRESS"
    case deleteFailed = "DELETE_FAILED"
    case deleteComplete = "DELETE_COMPLETE"
}

/// Nodegroup roles Magnum itself assigns to the default nodegroups.
public enum NodeGroupRole {
    public static let master = "master"
    public static let worker = "worker"
}
