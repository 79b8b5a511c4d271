import Metrics
import Operations
import Prometheus
import Testing

/// The worker's metrics keep their documented names, labels, help texts and buckets.
@Suite struct WorkerMetricsTests {
    func make() -> (WorkerMetrics, PrometheusCollectorRegistry) {
        let registry = PrometheusCollectorRegistry()
        return (WorkerMetrics(factory: PrometheusWorkerMetricsFactory(registry: registry), version: "0.1.0",
                              startTime: 1_795_668_065), registry)
    }

    func parse(_ registry: PrometheusCollectorRegistry) throws -> PrometheusText {
        try PrometheusText(registry.emitToString())
    }

    @Test func freshWorkerExposesZeroedCountersBuildInfoAndStartTime() throws {
        let (_, registry) = make()
        let text = try parse(registry)
        for name in ["magnum_capi_worker_broker_reconnects_total", "magnum_capi_worker_lease_acquisitions_total",
                     "magnum_capi_worker_duplicate_messages_dropped_total", "magnum_capi_worker_leases_owned"] {
            #expect(text.value(name) == 0, "\(name)")
        }
        #expect(text.value("magnum_capi_worker_build_info", ["version": "0.1.0"]) == 1)
        #expect(text.value("process_start_time_seconds") == 1_795_668_065)
        #expect(text.families["magnum_capi_worker_broker_reconnects_total"]?.type == "counter")
        #expect(text.families["magnum_capi_worker_broker_reconnects_total"]?.help == "Reconnections to the message broker after a lost connection.")
    }

    @Test func rpcMessagesAndHandlerLatency() throws {
        let (metrics, registry) = make()
        metrics.rpcMessage(method: "cluster_create", kind: .cast, outcome: .success)
        metrics.rpcMessage(method: "cluster_create", kind: .cast, outcome: .success)
        metrics.rpcMessage(method: "sign_certificate", kind: .call, outcome: .failure)
        metrics.rpcMessage(method: "'; DROP TABLE clusters; --", kind: .call, outcome: .rejected)
        metrics.rpcHandlerDuration(method: "cluster_create", .milliseconds(3))
        metrics.rpcHandlerDuration(method: "cluster_create", .seconds(400))
        let text = try parse(registry)
        #expect(text.value("magnum_capi_worker_rpc_messages_total", ["method": "cluster_create", "kind": "cast", "outcome": "success"]) == 2)
        #expect(text.value("magnum_capi_worker_rpc_messages_total", ["method": "sign_certificate", "kind": "call", "outcome": "failure"]) == 1)
        #expect(text.value("magnum_capi_worker_rpc_messages_total", ["method": "unknown", "kind": "call", "outcome": "rejected"]) == 1)
        let histogram = try #require(text.families["magnum_capi_worker_rpc_handler_duration_seconds"])
        #expect(histogram.type == "histogram")
        let bounds = histogram.samples.filter { $0.name.hasSuffix("_bucket") }.compactMap { $0.labels["le"] }
        #expect(bounds == ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0",
                           "10.0", "30.0", "60.0", "120.0", "300.0", "600.0", "+Inf"])
        #expect(text.value("magnum_capi_worker_rpc_handler_duration_seconds_bucket", ["method": "cluster_create", "le": "0.0025"]) == 0)
        #expect(text.value("magnum_capi_worker_rpc_handler_duration_seconds_bucket", ["method": "cluster_create", "le": "0.005"]) == 1)
        #expect(text.value("magnum_capi_worker_rpc_handler_duration_seconds_bucket", ["method": "cluster_create", "le": "300.0"]) == 1)
        #expect(text.value("magnum_capi_worker_rpc_handler_duration_seconds_bucket", ["method": "cluster_create", "le": "600.0"]) == 2)
        #expect(text.value("magnum_capi_worker_rpc_handler_duration_seconds_count", ["method": "cluster_create"]) == 2)
        #expect(text.value("magnum_capi_worker_rpc_handler_duration_seconds_sum", ["method": "cluster_create"]) == 400.003)
    }

    @Test func helmClustersLeasesAndTheRest() throws {
        let (metrics, registry) = make()
        metrics.helmInvocation(.upgradeInstall, outcome: .success, duration: .seconds(42))
        metrics.helmInvocation(.uninstall, outcome: .timeout, duration: .seconds(300))
        metrics.setClusterCounts(["CREATE_COMPLETE": 3, "CREATE_IN_PROGRESS": 1])
        metrics.setClusterCounts(["CREATE_COMPLETE": 4, "not a status": 2])
        metrics.brokerReconnected()
        metrics.deadLettered(reason: .malformed)
        metrics.deadLettered(reason: .init(rawValue: "made up"))
        metrics.setOwnedLeases(5)
        metrics.leaseAcquired()
        metrics.leaseLost(reason: .takenOver)
        metrics.duplicateDropped()
        metrics.notificationPublished(eventType: "magnum.cluster.create", outcome: .success)
        metrics.notificationPublished(eventType: "Weird Event", outcome: .failure)
        metrics.statusSyncCycle(duration: .milliseconds(250), clusters: .init(changed: 2, unchanged: 10, failed: 1))
        let text = try parse(registry)
        #expect(text.value("magnum_capi_worker_helm_invocations_total", ["operation": "upgrade_install", "outcome": "success"]) == 1)
        #expect(text.value("magnum_capi_worker_helm_duration_seconds_count", ["operation": "uninstall", "outcome": "timeout"]) == 1)
        #expect(text.value("magnum_capi_worker_clusters", ["status": "CREATE_COMPLETE"]) == 4)
        #expect(text.value("magnum_capi_worker_clusters", ["status": "CREATE_IN_PROGRESS"]) == 0, "a status that disappeared goes to 0")
        #expect(text.value("magnum_capi_worker_clusters", ["status": "other"]) == 2)
        #expect(text.value("magnum_capi_worker_broker_reconnects_total") == 1)
        #expect(text.value("magnum_capi_worker_dead_lettered_messages_total", ["reason": "malformed"]) == 1)
        #expect(text.value("magnum_capi_worker_dead_lettered_messages_total", ["reason": "other"]) == 1)
        #expect(text.value("magnum_capi_worker_leases_owned") == 5)
        #expect(text.value("magnum_capi_worker_lease_acquisitions_total") == 1)
        #expect(text.value("magnum_capi_worker_lease_losses_total", ["reason": "taken_over"]) == 1)
        #expect(text.value("magnum_capi_worker_duplicate_messages_dropped_total") == 1)
        #expect(text.value("magnum_capi_worker_notifications_published_total", ["event_type": "magnum.cluster.create", "outcome": "success"]) == 1)
        #expect(text.value("magnum_capi_worker_notifications_published_total", ["event_type": "other", "outcome": "failure"]) == 1)
        #expect(text.value("magnum_capi_worker_status_sync_duration_seconds_count") == 1)
        #expect(text.value("magnum_capi_worker_status_sync_clusters_total", ["outcome": "changed"]) == 2)
        #expect(text.value("magnum_capi_worker_status_sync_clusters_total", ["outcome": "unchanged"]) == 10)
        #expect(text.value("magnum_capi_worker_status_sync_clusters_total", ["outcome": "failed"]) == 1)
    }

    @Test func everyDescribedMetricAppearsWithItsTypeHelpAndLabels() throws {
        let (metrics, registry) = make()
        metrics.rpcMessage(method: "cluster_delete", kind: .cast, outcome: .success)
        metrics.rpcHandlerDuration(method: "cluster_delete", .milliseconds(1))
        metrics.helmInvocation(.status, outcome: .failure, duration: .milliseconds(80))
        metrics.setClusterCounts(["DELETE_COMPLETE": 1])
        metrics.deadLettered(reason: .redeliveryLimit)
        metrics.leaseLost(reason: .expired)
        metrics.notificationPublished(eventType: "magnum.cluster.delete", outcome: .success)
        metrics.statusSyncCycle(duration: .seconds(1), clusters: .init(unchanged: 1))
        let text = try parse(registry)
        for descriptor in WorkerMetrics.descriptors {
            let family = try #require(text.families[descriptor.name], "\(descriptor.name) missing")
            #expect(family.type == descriptor.kind.rawValue, "\(descriptor.name)")
            #expect(family.help == descriptor.help, "\(descriptor.name)")
            for sample in family.samples {
                #expect(Set(sample.labels.keys.filter { $0 != "le" }) == Set(descriptor.labels), "\(sample)")
            }
        }
    }

    @Test func librariesMetricsStillGoThroughTheFactory() throws {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusWorkerMetricsFactory(registry: registry)
        Counter(label: "hb_requests", dimensions: [("method", "GET")], factory: factory).increment()
        let text = try PrometheusText(registry.emitToString())
        #expect(text.value("hb_requests", ["method": "GET"]) == 1)
    }
}
