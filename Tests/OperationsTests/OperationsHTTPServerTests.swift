import JSON
import Logging
import Operations
import Prometheus
import Testing

/// `/metrics`, `/healthz` and `/readyz` over real HTTP on a loopback socket.
@Suite struct OperationsHTTPServerTests {
    @Test func metricsAreValidPrometheusExpositionWithTheWorkersNames() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = WorkerMetrics(factory: PrometheusWorkerMetricsFactory(registry: registry), version: "test")
        metrics.rpcMessage(method: "cluster_create", kind: .cast, outcome: .success)
        metrics.rpcHandlerDuration(method: "cluster_create", .milliseconds(12))
        metrics.helmInvocation(.upgradeInstall, outcome: .success, duration: .seconds(3))
        metrics.setClusterCounts(["CREATE_COMPLETE": 2])
        let response = try await withOperationsServer(registry: registry, health: HealthMonitor()) { port in
            try await HTTPTestClient.get(port: port, path: "/metrics")
        }
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.headers["cache-control"] == "no-store")
        let text = try PrometheusText(response.text)
        #expect(text.families["magnum_capi_worker_rpc_messages_total"]?.type == "counter")
        #expect(text.value("magnum_capi_worker_rpc_messages_total", ["method": "cluster_create", "kind": "cast", "outcome": "success"]) == 1)
        #expect(text.families["magnum_capi_worker_rpc_handler_duration_seconds"]?.type == "histogram")
        #expect(text.value("magnum_capi_worker_rpc_handler_duration_seconds_bucket", ["method": "cluster_create", "le": "0.025"]) == 1)
        #expect(text.value("magnum_capi_worker_helm_invocations_total", ["operation": "upgrade_install", "outcome": "success"]) == 1)
        #expect(text.value("magnum_capi_worker_clusters", ["status": "CREATE_COMPLETE"]) == 2)
        #expect(text.value("magnum_capi_worker_build_info", ["version": "test"]) == 1)
    }

    @Test func healthzIsLivenessFromHeartbeats() async throws {
        let health = HealthMonitor()
        let consumer = health.heartbeat("rpc_consumer", maxAge: .seconds(3600))
        consumer.beat()
        let (ok, stale, again) = try await withOperationsServer(registry: PrometheusCollectorRegistry(), health: health) { port in
            let ok = try await HTTPTestClient.get(port: port, path: "/healthz")
            // A loop that must beat every nanosecond is always late: the probe must fail.
            _ = health.heartbeat("status_sync", maxAge: .nanoseconds(1))
            let stale = try await HTTPTestClient.get(port: port, path: "/healthz")
            health.removeHeartbeat(named: "status_sync")
            let again = try await HTTPTestClient.get(port: port, path: "/healthz")
            return (ok, stale, again)
        }
        #expect(ok.status == 200)
        #expect(ok.headers["content-type"] == "application/json")
        let body = try JSONValue(parsing: ok.text)
        #expect(body["status"] == "ok")
        #expect(body["checks"]?[0]?["name"] == "rpc_consumer")
        #expect(stale.status == 503)
        let staleBody = try JSONValue(parsing: stale.text)
        #expect(staleBody["status"] == "failed")
        #expect(staleBody["checks"]?[1]?["name"] == "status_sync")
        #expect(staleBody["checks"]?[1]?["status"] == "failed")
        #expect(again.status == 200)
    }

    @Test func readyzReportsEachCheckAndFailsOnARequiredOne() async throws {
        let health = HealthMonitor(settings: .init(checkTimeout: .milliseconds(100), cacheDuration: .zero))
        // Only the check meant to time out keeps the 100 ms default: on a loaded machine the others
        // must not time out by accident.
        health.registerReadinessCheck(ReadinessCheck.broker, timeout: .seconds(60)) { .healthy("connected") }
        health.registerReadinessCheck(ReadinessCheck.helm, required: false, timeout: .seconds(60)) {
            .unhealthy("helm 3.17.2 too old")
        }
        let ready = try await withOperationsServer(registry: PrometheusCollectorRegistry(), health: health) { port in
            try await HTTPTestClient.get(port: port, path: "/readyz")
        }
        #expect(ready.status == 200)
        let body = try JSONValue(parsing: ready.text)
        #expect(body["status"] == "ok")
        #expect(body["cached"] == false)
        let checks = try #require(body["checks"]?.arrayValue)
        #expect(checks.map { $0["name"] } == ["broker", "helm"])
        #expect(checks[0]["status"] == "ok")
        #expect(checks[0]["reason"] == "connected")
        #expect(checks[1]["status"] == "failed")
        #expect(checks[1]["required"] == false)
        #expect(checks[1]["reason"] == "helm 3.17.2 too old")
        #expect(checks[0]["duration_ms"]?.doubleValue != nil)

        health.registerReadinessCheck(ReadinessCheck.database, timeout: .seconds(60)) {
            throw HTTPTestClientError(description: "connect to mysql://magnum:DbPass77@db: refused")
        }
        health.registerReadinessCheck(ReadinessCheck.managementCluster) {
            try await Task.sleep(for: .seconds(30))
            return .healthy()
        }
        let notReady = try await withOperationsServer(registry: PrometheusCollectorRegistry(), health: health) { port in
            try await HTTPTestClient.get(port: port, path: "/readyz")
        }
        #expect(notReady.status == 503)
        #expect(!notReady.text.contains("DbPass77"))
        let failed = try JSONValue(parsing: notReady.text)
        #expect(failed["status"] == "failed")
        let byName = Dictionary(uniqueKeysWithValues: (failed["checks"]?.arrayValue ?? []).compactMap { c in
            c["name"]?.stringValue.map { ($0, c) }
        })
        #expect(byName["database"]?["reason"] == "connect to mysql://magnum:***@db: refused")
        #expect(byName["management_cluster"]?["reason"] == "timed out after 0.100s")
    }

    @Test func readyzAnswersFromTheCacheBetweenRuns() async throws {
        let health = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .seconds(30)))
        let runs = CallCounter()
        health.registerReadinessCheck(ReadinessCheck.database) {
            runs.increment()
            return .healthy()
        }
        let bodies = try await withOperationsServer(registry: PrometheusCollectorRegistry(), health: health) { port in
            var bodies: [JSONValue] = []
            for _ in 0..<5 { bodies.append(try JSONValue(parsing: try await HTTPTestClient.get(port: port, path: "/readyz").text)) }
            return bodies
        }
        #expect(runs.value == 1)
        #expect(bodies.map { $0["cached"] } == [false, true, true, true, true])
    }

    @Test func unknownPathsAre404() async throws {
        let response = try await withOperationsServer(registry: PrometheusCollectorRegistry(), health: HealthMonitor()) { port in
            try await HTTPTestClient.get(port: port, path: "/debug/vars")
        }
        #expect(response.status == 404)
    }
}

extension OperationsHTTPServerTests {
    @Test func aPortInUseIsAClearErrorNamingTheOptions() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withOperationsServer(registry: registry, health: HealthMonitor()) { port in
            let second = OperationsHTTPServer(
                settings: HTTPEndpointSettings(enabled: true, host: "127.0.0.1", port: port), registry: registry,
                health: HealthMonitor(), logger: .init(label: "second") { _ in SwiftLogNoOpLogHandler() })
            do {
                try await second.run()
                Issue.record("a second server bound the same port")
            } catch let error as OperationsHTTPServerError {
                #expect(error.port == port)
                #expect(error.description.contains("metrics_port"))
            }
        }
    }
}
