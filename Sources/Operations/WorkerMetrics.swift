public import CoreMetrics
import Synchronization

/// The worker's metrics, with stable names, help texts and label sets (docs/operations.md lists
/// them): RPC traffic and handler latency, helm, clusters by status, the broker, dead letters,
/// leases, duplicates, notifications and the periodic status sync.
///
/// Recorded through the swift-metrics API, so any `MetricsFactory` can take them; in the worker
/// that is `PrometheusWorkerMetricsFactory` (see `OperationsMetrics.bootstrap`). Label values that
/// come from outside (RPC method names) are restricted to known values, so a misbehaving peer
/// cannot create unbounded time series.
public final class WorkerMetrics: Sendable {
    public let factory: any MetricsFactory

    /// Known RPC methods of the conductor topic (docs/spec oslo-wire §7); anything else is
    /// counted as `unknown`.
    public static let knownRPCMethods: Set<String> = [
        "cluster_create", "cluster_update", "cluster_resize", "cluster_upgrade", "cluster_delete",
        "nodegroup_create", "nodegroup_update", "nodegroup_delete", "credential_rotate",
        "sign_certificate", "get_ca_certificate", "rotate_ca_certificate",
        "federation_create", "federation_update", "federation_delete",
        "object_class_action", "object_class_action_versions", "object_action", "object_backport",
        "object_backport_versions", "ping_conductor", "oslo_rpc_server_ping",
    ]

    private let handles = Mutex<[String: any Sendable]>([:])
    private let clusterStatuses = Mutex<Set<String>>([])

    public init(factory: any MetricsFactory = MetricsSystem.factory, version: String = "unknown",
                startTime: Double? = nil) {
        self.factory = factory
        // Series without labels exist from the start, at 0, so "no reconnects" is visible as 0.
        for descriptor in Self.descriptors where descriptor.labels.isEmpty && descriptor.kind == .counter {
            _ = counter(descriptor, [])
        }
        meter(.leasesOwned, []).set(0)
        meter(.buildInfo, [("version", version)]).set(1)
        if let startTime { meter(.processStartTime, []).set(startTime) }
    }

    // MARK: RPC

    public enum RPCKind: String, Sendable, CaseIterable {
        case call, cast
    }

    public enum RPCOutcome: String, Sendable, CaseIterable {
        /// Handled; for a call, the reply was sent.
        case success
        /// The handler failed; for a call, an oslo failure reply was sent.
        case failure
        /// Not handled: malformed envelope, unknown method or version, bad arguments.
        case rejected
        /// A call that arrived after its timeout had passed (not executed).
        case expired
    }

    public func rpcMessage(method: String, kind: RPCKind, outcome: RPCOutcome) {
        counter(.rpcMessages, [("method", Self.methodLabel(method)), ("kind", kind.rawValue),
                               ("outcome", outcome.rawValue)]).increment()
    }

    public func rpcHandlerDuration(method: String, _ duration: Duration) {
        timer(.rpcHandlerDuration, [("method", Self.methodLabel(method))]).recordNanoseconds(duration.nanoseconds)
    }

    /// The label for an RPC method: itself when known, `unknown` otherwise.
    public static func methodLabel(_ method: String) -> String {
        knownRPCMethods.contains(method) ? method : "unknown"
    }

    // MARK: Helm

    public enum HelmOperation: String, Sendable, CaseIterable {
        case upgradeInstall = "upgrade_install"
        case uninstall, status, template, version
    }

    public enum Outcome: String, Sendable, CaseIterable {
        case success, failure, timeout
    }

    public func helmInvocation(_ operation: HelmOperation, outcome: Outcome, duration: Duration) {
        let labels = [("operation", operation.rawValue), ("outcome", outcome.rawValue)]
        counter(.helmInvocations, labels).increment()
        timer(.helmDuration, labels).recordNanoseconds(duration.nanoseconds)
    }

    // MARK: Clusters

    /// Sets the number of clusters per Magnum status (the status sync's view). Statuses set
    /// before and absent now go to 0, so a gauge never keeps a stale count.
    public func setClusterCounts(_ counts: [String: Int]) {
        let statuses = Set(counts.keys.map(Self.statusLabel))
        let stale = clusterStatuses.withLock { known -> Set<String> in
            let stale = known.subtracting(statuses)
            known.formUnion(statuses)
            return stale
        }
        var totals: [String: Int] = [:]
        for (status, count) in counts { totals[Self.statusLabel(status), default: 0] += count }
        for (status, count) in totals { meter(.clusters, [("status", status)]).set(count) }
        for status in stale { meter(.clusters, [("status", status)]).set(0) }
    }

    /// Magnum statuses are upper-case words with underscores; anything else is `other`.
    static func statusLabel(_ status: String) -> String {
        let valid = !status.isEmpty && status.count <= 40
            && status.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || $0 == "_" }
        return valid ? status : "other"
    }

    // MARK: Broker and messages

    public func brokerReconnected() {
        counter(.brokerReconnects, []).increment()
    }

    /// Why a message was dead-lettered.
    public struct DeadLetterReason: RawRepresentable, Sendable, Hashable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Not JSON, or not an oslo envelope.
        public static let malformed = DeadLetterReason(rawValue: "malformed")
        /// A method the conductor does not have.
        public static let unknownMethod = DeadLetterReason(rawValue: "unknown_method")
        /// A version or namespace no endpoint serves.
        public static let unsupportedVersion = DeadLetterReason(rawValue: "unsupported_version")
        /// Arguments that do not decode (objects, types).
        public static let invalidArguments = DeadLetterReason(rawValue: "invalid_arguments")
        /// Delivered too many times without being acknowledged (a poison message).
        public static let redeliveryLimit = DeadLetterReason(rawValue: "redelivery_limit")
        /// A cast that failed in a way that must not be retried.
        public static let handlerFailure = DeadLetterReason(rawValue: "handler_failure")

        public static let known: Set<String> = [malformed, unknownMethod, unsupportedVersion, invalidArguments,
                                                redeliveryLimit, handlerFailure].reduce(into: []) { $0.insert($1.rawValue) }
    }

    public func deadLettered(reason: DeadLetterReason) {
        let label = DeadLetterReason.known.contains(reason.rawValue) ? reason.rawValue : "other"
        counter(.deadLettered, [("reason", label)]).increment()
    }

    public func duplicateDropped() {
        counter(.duplicatesDropped, []).increment()
    }

    public func notificationPublished(eventType: String, outcome: Outcome) {
        counter(.notificationsPublished, [("event_type", Self.eventTypeLabel(eventType)),
                                          ("outcome", outcome.rawValue)]).increment()
    }

    /// `magnum.cluster.create`-shaped event types (lower case, dots, underscores, ≤ 64
    /// characters); anything else is `other`.
    static func eventTypeLabel(_ eventType: String) -> String {
        let valid = !eventType.isEmpty && eventType.count <= 64
            && eventType.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" }
        return valid ? eventType : "other"
    }

    // MARK: Leases

    public struct LeaseLossReason: RawRepresentable, Sendable, Hashable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Not renewed in time (the worker was too slow or partitioned).
        public static let expired = LeaseLossReason(rawValue: "expired")
        /// Another worker holds it now.
        public static let takenOver = LeaseLossReason(rawValue: "taken_over")
        /// The lease store (database) could not be reached to renew it.
        public static let storeUnavailable = LeaseLossReason(rawValue: "store_unavailable")

        static let known: Set<String> = ["expired", "taken_over", "store_unavailable"]
    }

    public func setOwnedLeases(_ count: Int) {
        meter(.leasesOwned, []).set(count)
    }

    public func leaseAcquired() {
        counter(.leaseAcquisitions, []).increment()
    }

    public func leaseLost(reason: LeaseLossReason) {
        let label = LeaseLossReason.known.contains(reason.rawValue) ? reason.rawValue : "other"
        counter(.leaseLosses, [("reason", label)]).increment()
    }

    // MARK: Periodic status sync

    public struct SyncedClusters: Sendable, Equatable {
        public var changed: Int
        public var unchanged: Int
        public var failed: Int

        public init(changed: Int = 0, unchanged: Int = 0, failed: Int = 0) {
            self.changed = changed
            self.unchanged = unchanged
            self.failed = failed
        }
    }

    public func statusSyncCycle(duration: Duration, clusters: SyncedClusters) {
        timer(.statusSyncDuration, []).recordNanoseconds(duration.nanoseconds)
        for (outcome, count) in [("changed", clusters.changed), ("unchanged", clusters.unchanged),
                                 ("failed", clusters.failed)] where count > 0 {
            counter(.statusSyncClusters, [("outcome", outcome)]).increment(by: count)
        }
    }

    // MARK: Handles

    private func key(_ descriptor: WorkerMetricDescriptor, _ labels: [(String, String)]) -> String {
        ([descriptor.name] + labels.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1F}")
    }

    private func cached<T: AnyObject & Sendable>(_ descriptor: WorkerMetricDescriptor, _ labels: [(String, String)],
                                                make: () -> T) -> T {
        let k = key(descriptor, labels)
        if let existing = handles.withLock({ $0[k] }) as? T { return existing }
        let made = make()
        return handles.withLock { store in
            if let existing = store[k] as? T { return existing }
            store[k] = made
            return made
        }
    }

    private func counter(_ descriptor: WorkerMetricDescriptor, _ labels: [(String, String)]) -> Counter {
        cached(descriptor, labels) { Counter(label: descriptor.name, dimensions: labels, factory: factory) }
    }

    private func timer(_ descriptor: WorkerMetricDescriptor, _ labels: [(String, String)]) -> Timer {
        cached(descriptor, labels) { Timer(label: descriptor.name, dimensions: labels, factory: factory) }
    }

    private func meter(_ descriptor: WorkerMetricDescriptor, _ labels: [(String, String)]) -> Meter {
        cached(descriptor, labels) { Meter(label: descriptor.name, dimensions: labels, factory: factory) }
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return ns + attoseconds / 1_000_000_000
    }
}
