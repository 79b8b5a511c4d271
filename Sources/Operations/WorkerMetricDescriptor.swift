/// One metric of the worker: its stable name, type, labels, help and (for histograms) buckets.
public struct WorkerMetricDescriptor: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public let name: String
    public let kind: Kind
    public let labels: [String]
    public let help: String
    /// Upper bounds in seconds (histograms only).
    public let buckets: [Double]

    public init(_ name: String, _ kind: Kind, labels: [String] = [], buckets: [Double] = [], help: String) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.help = help
        self.buckets = buckets
    }
}

extension WorkerMetricDescriptor {
    static let prefix = "magnum_capi_worker_"

    /// 1 ms to 10 min: cheap object calls to the longest cluster operation a handler waits for.
    public static let handlerBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                  2.5, 5, 10, 30, 60, 120, 300, 600]
    /// helm runs from tens of milliseconds (version) to its 5-minute timeout and a bit beyond.
    public static let helmBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600]
    /// A sync cycle over every cluster: from milliseconds (none) to minutes (hundreds, slow API).
    public static let syncBuckets: [Double] = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

    public static let rpcMessages = WorkerMetricDescriptor(
        prefix + "rpc_messages_total", .counter, labels: ["method", "kind", "outcome"],
        help: "RPC messages consumed from the conductor topic, by method (unknown for methods the conductor does not have), kind (call, cast) and outcome (success, failure, rejected, expired).")
    public static let rpcHandlerDuration = WorkerMetricDescriptor(
        prefix + "rpc_handler_duration_seconds", .histogram, labels: ["method"], buckets: handlerBuckets,
        help: "Time from decoding an RPC message to its handler finishing (reply sent for calls), by method.")
    public static let helmInvocations = WorkerMetricDescriptor(
        prefix + "helm_invocations_total", .counter, labels: ["operation", "outcome"],
        help: "helm processes run, by operation (upgrade_install, uninstall, status, template, version) and outcome (success, failure, timeout).")
    public static let helmDuration = WorkerMetricDescriptor(
        prefix + "helm_duration_seconds", .histogram, labels: ["operation", "outcome"], buckets: helmBuckets,
        help: "Wall-clock time of helm processes, by operation and outcome.")
    public static let clusters = WorkerMetricDescriptor(
        prefix + "clusters", .gauge, labels: ["status"],
        help: "Clusters handled by this worker by Magnum status, as last seen by the periodic status sync.")
    public static let brokerReconnects = WorkerMetricDescriptor(
        prefix + "broker_reconnects_total", .counter,
        help: "Reconnections to the message broker after a lost connection.")
    public static let deadLettered = WorkerMetricDescriptor(
        prefix + "dead_lettered_messages_total", .counter, labels: ["reason"],
        help: "Messages moved to the dead-letter queue, by reason (malformed, unknown_method, unsupported_version, invalid_arguments, redelivery_limit, handler_failure, other).")
    public static let leasesOwned = WorkerMetricDescriptor(
        prefix + "leases_owned", .gauge,
        help: "Cluster leases this worker holds now.")
    public static let leaseAcquisitions = WorkerMetricDescriptor(
        prefix + "lease_acquisitions_total", .counter,
        help: "Cluster leases acquired by this worker.")
    public static let leaseLosses = WorkerMetricDescriptor(
        prefix + "lease_losses_total", .counter, labels: ["reason"],
        help: "Cluster leases lost without being released, by reason (expired, taken_over, store_unavailable, other).")
    public static let duplicatesDropped = WorkerMetricDescriptor(
        prefix + "duplicate_messages_dropped_total", .counter,
        help: "Messages dropped because their message id was already processed (redeliveries).")
    public static let notificationsPublished = WorkerMetricDescriptor(
        prefix + "notifications_published_total", .counter, labels: ["event_type", "outcome"],
        help: "Notifications published to the notification topics, by event type and outcome (success, failure).")
    public static let statusSyncDuration = WorkerMetricDescriptor(
        prefix + "status_sync_duration_seconds", .histogram, buckets: syncBuckets,
        help: "Duration of one periodic status sync cycle.")
    public static let statusSyncClusters = WorkerMetricDescriptor(
        prefix + "status_sync_clusters_total", .counter, labels: ["outcome"],
        help: "Clusters examined by the periodic status sync, by outcome (changed, unchanged, failed).")
    public static let buildInfo = WorkerMetricDescriptor(
        prefix + "build_info", .gauge, labels: ["version"],
        help: "Always 1; the version label says which magnum-capi-worker runs.")
    public static let processStartTime = WorkerMetricDescriptor(
        "process_start_time_seconds", .gauge,
        help: "Start time of the process since the Unix epoch, in seconds.")
}

extension WorkerMetrics {
    /// Every metric of the worker, in documentation order.
    public static let descriptors: [WorkerMetricDescriptor] = [
        .rpcMessages, .rpcHandlerDuration, .helmInvocations, .helmDuration, .clusters, .brokerReconnects,
        .deadLettered, .leasesOwned, .leaseAcquisitions, .leaseLosses, .duplicatesDropped,
        .notificationsPublished, .statusSyncDuration, .statusSyncClusters, .buildInfo, .processStartTime,
    ]

    static let descriptorsByName: [String: WorkerMetricDescriptor] =
        Dictionary(uniqueKeysWithValues: descriptors.map { ($0.name, $0) })
}
