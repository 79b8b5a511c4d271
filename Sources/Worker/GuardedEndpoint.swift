public import ClusterStore
public import JSON
public import Logging
public import MagnumObjects
public import OsloMessaging
import Synchronization

/// What makes the conductor safe with several workers and redeliveries: per-cluster leases, the
/// operation journal and the poison-message bound. `ConductorService` puts it around its
/// endpoints (`GuardedEndpoint`) when given one.
public struct ConductorReliability: Sendable {
    public let leases: ClusterLeases
    public let journal: OperationJournal
    /// A message started this many times (its handler never finished: the worker died or the
    /// database went away each time) is dead-lettered instead of run again.
    public let maxDeliveries: Int
    public let clock: any WorkerClock
    /// Where the error notification of a dead-lettered request goes.
    public let notifications: ConductorNotifications?
    /// What the journal did (for metrics and tests).
    public let statistics = ReliabilityStatistics()

    public init(leases: ClusterLeases, journal: OperationJournal, maxDeliveries: Int = 5, clock: any WorkerClock = WallClock(),
                notifications: ConductorNotifications? = nil) {
        self.leases = leases
        self.journal = journal
        self.maxDeliveries = max(1, maxDeliveries)
        self.clock = clock
        self.notifications = notifications
    }

    /// Methods that change a cluster: run under its lease and journalled.
    public static let journaledMethods: Set<String> = [
        "cluster_create", "cluster_update", "cluster_delete", "cluster_resize", "cluster_upgrade",
        "nodegroup_create", "nodegroup_update", "nodegroup_delete", "credential_rotate", "rotate_ca_certificate",
    ]

    /// The cluster a request acts on: the `cluster` object's uuid, or `uuid` (cluster_delete).
    public static func clusterUUID(method: String, args: JSONObject) -> String? {
        if method == "cluster_delete" { return args["uuid"]?.stringValue }
        guard case .object(let object)? = args["cluster"], case .object(let data)? = object[PrimitiveKey.data] else { return nil }
        return data["uuid"]?.stringValue
    }

    /// Outcomes a handler recorded itself (Magnum's failures): the operation is over.
    static func isRecordedOutcome(_ error: any Error) -> Bool {
        switch error {
        case is MagnumError, is ObjectError, is IndirectionFailure, is PythonBuiltinError, is DriverNotImplemented,
             is NoSuchMethod, is UnsupportedVersion:
            return true
        default:
            return false
        }
    }
}

/// A message started `maxDeliveries` times without finishing: dead-lettered, not run again.
public struct PoisonMessage: Error, Sendable, CustomStringConvertible {
    public let method: String
    public let messageID: String
    public let clusterUUID: String
    public let attempts: Int

    public init(method: String, messageID: String, clusterUUID: String, attempts: Int) {
        self.method = method
        self.messageID = messageID
        self.clusterUUID = clusterUUID
        self.attempts = attempts
    }

    public var description: String {
        "\(method) for cluster \(clusterUUID) was started \(attempts) times without finishing (unique_id \(messageID)); dead-lettered"
    }
}

/// An endpoint run under the cluster's lease and the operation journal (see
/// `ConductorReliability`). Methods that do not change a cluster pass straight through.
public struct GuardedEndpoint: RPCEndpoint {
    public let inner: any RPCEndpoint
    public let reliability: ConductorReliability
    let store: any ClusterStore

    public init(_ inner: any RPCEndpoint, reliability: ConductorReliability, store: any ClusterStore) {
        self.inner = inner
        self.reliability = reliability
        self.store = store
    }

    public var namespace: String? { inner.namespace }
    public var legacyNamespaces: [String] { inner.legacyNamespaces }
    public var version: String? { inner.version }
    public func handles(method: String) -> Bool { inner.handles(method: method) }

    public func invoke(_ invocation: RPCInvocation) async throws -> JSONValue {
        guard ConductorReliability.journaledMethods.contains(invocation.method),
              let cluster = ConductorReliability.clusterUUID(method: invocation.method, args: invocation.args) else {
            return try await inner.invoke(invocation)
        }
        var log = invocation.logger
        log[metadataKey: "cluster_uuid"] = "\(cluster)"
        let inner = self.inner, reliability = self.reliability, store = self.store
        let logger = log
        return try await reliability.leases.withLease(cluster) {
            guard let messageID = invocation.uniqueID else { return try await inner.invoke(invocation) }
            let journal = reliability.journal
            let entry = try await journal.begin(messageID: messageID, clusterUUID: cluster, method: invocation.method,
                                                now: reliability.clock.now())
            if entry.state == .done {
                reliability.statistics.count { $0.skippedAsDone += 1 }
                logger.warning("request already handled (outcome: \(entry.outcome ?? "?")); not running it again")
                return try await Self.currentResult(of: invocation, cluster: cluster, store: store)
            }
            if entry.attempts > reliability.maxDeliveries {
                let poison = PoisonMessage(method: invocation.method, messageID: messageID, clusterUUID: cluster, attempts: entry.attempts - 1)
                try await journal.finish(messageID: messageID, outcome: "dead-lettered: \(poison)", now: reliability.clock.now())
                logger.error("\(poison)")
                reliability.statistics.count { $0.deadLettered += 1 }
                await reliability.notifications?.requestDeadLettered(method: invocation.method, messageID: messageID, clusterUUID: cluster,
                                                                     reason: poison.description, context: invocation.context)
                throw poison
            }
            if entry.attempts > 1 {
                reliability.statistics.count { $0.resumed += 1 }
                logger.warning("resuming a request interrupted \(entry.attempts - 1) time(s); steps done before: \(entry.steps)")
            }
            let attempt = OperationAttempt(messageID: messageID, clusterUUID: cluster, method: invocation.method, attempt: entry.attempts,
                                           earlierSteps: Set(entry.steps), journal: journal, clock: reliability.clock)
            do {
                let result = try await OperationAttempt.$current.withValue(attempt) { try await inner.invoke(invocation) }
                try await journal.finish(messageID: messageID, outcome: "ok", now: reliability.clock.now())
                return result
            } catch where ConductorReliability.isRecordedOutcome(error) {
                let failure = RemoteFailure(error: error)
                try await journal.finish(messageID: messageID, outcome: "\(failure.moduleName).\(failure.className): \(failure.message)",
                                         now: reliability.clock.now())
                throw error
            }
        }
    }

    /// The reply for a call whose request was handled already: the object as it is now.
    static func currentResult(of invocation: RPCInvocation, cluster: String, store: any ClusterStore) async throws -> JSONValue {
        guard invocation.isCall else { return .null }
        switch invocation.method {
        case "cluster_create", "cluster_update", "cluster_resize", "cluster_upgrade", "rotate_ca_certificate":
            return try await store.cluster(uuid: cluster, context: .allProjects).primitive()
        case "nodegroup_create", "nodegroup_update":
            guard case .object(let object)? = invocation.args["nodegroup"], case .object(let data)? = object[PrimitiveKey.data],
                  let uuid = data["uuid"]?.stringValue else { return .null }
            return try await store.nodeGroup(uuid: uuid, clusterId: cluster, context: .allProjects).primitive()
        default:
            return .null
        }
    }
}

/// Counters of the journal's decisions.
public final class ReliabilityStatistics: Sendable {
    public struct Values: Sendable, Equatable {
        /// Redeliveries of requests already handled: acknowledged without running.
        public var skippedAsDone = 0
        /// Requests started again after an interrupted attempt.
        public var resumed = 0
        /// Requests given up on after `max_deliveries` starts.
        public var deadLettered = 0
    }
    private let state = Mutex(Values())
    public var values: Values { state.withLock { $0 } }
    func count(_ update: (inout Values) -> Void) { state.withLock { update(&$0) } }
}
