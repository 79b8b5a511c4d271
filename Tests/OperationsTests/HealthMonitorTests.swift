import Operations
import Testing

/// Readiness checks with timeouts, caching and redaction; liveness from heartbeats.
@Suite struct HealthMonitorTests {
    struct DatabaseError: Error, CustomStringConvertible {
        var description: String { "cannot connect to mysql+pymysql://magnum:DbSecret9@db.example.org/magnum" }
    }

    @Test func allRequiredChecksPassingIsReady() async {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .zero))
        monitor.registerReadinessCheck(ReadinessCheck.broker) { .healthy("connected to mq.example.org:5672") }
        monitor.registerReadinessCheck(ReadinessCheck.database) { .healthy() }
        let report = await monitor.readiness()
        #expect(report.healthy)
        #expect(report.httpStatus == 200)
        #expect(report.checks.map(\.name) == ["broker", "database"])
        #expect(report.checks.allSatisfy { $0.healthy && $0.required })
        #expect(report.checks[0].reason == "connected to mq.example.org:5672")
    }

    @Test func aFailingRequiredCheckMakesItNotReadyAndReasonsAreRedacted() async {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .zero))
        monitor.registerReadinessCheck(ReadinessCheck.broker) { .healthy() }
        monitor.registerReadinessCheck(ReadinessCheck.database) { throw DatabaseError() }
        let report = await monitor.readiness()
        #expect(!report.healthy)
        #expect(report.httpStatus == 503)
        let database = report.checks[1]
        #expect(!database.healthy)
        #expect(database.reason == "cannot connect to mysql+pymysql://magnum:***@db.example.org/magnum")
        #expect(!report.json.jsonString(.compact).contains("DbSecret9"))
    }

    @Test func aFailingOptionalCheckIsReportedButDoesNotFail() async {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .zero))
        monitor.registerReadinessCheck(ReadinessCheck.helm, required: false) { .unhealthy("helm not found in PATH") }
        let report = await monitor.readiness()
        #expect(report.healthy)
        #expect(report.checks == [HealthCheckStatus(name: "helm", healthy: false, required: false,
                                                    reason: "helm not found in PATH",
                                                    durationSeconds: report.checks[0].durationSeconds)])
    }

    @Test func aSlowCheckTimesOutAndIsCancelled() async throws {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .milliseconds(100), cacheDuration: .zero))
        let cancelled = CallCounter()
        monitor.registerReadinessCheck(ReadinessCheck.managementCluster) {
            do {
                try await Task.sleep(for: .seconds(30))
            } catch {
                cancelled.increment()
                throw error
            }
            return .healthy()
        }
        let report = await monitor.readiness()
        #expect(!report.healthy)
        #expect(report.checks[0].reason == "timed out after 0.100s")
        #expect(try await eventually { cancelled.value == 1 })
    }

    @Test func aHungCheckThatIgnoresCancellationIsNotStartedAgain() async throws {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .milliseconds(50), cacheDuration: .zero))
        let gate = Gate()
        let starts = CallCounter()
        monitor.registerReadinessCheck(ReadinessCheck.database, timeout: .milliseconds(50)) {
            starts.increment()
            await gate.wait()
            return .healthy()
        }
        let first = await monitor.readiness()
        #expect(first.checks[0].reason == "timed out after 0.050s")
        let second = await monitor.readiness()
        #expect(second.checks[0].reason.hasPrefix("previous check still running after "))
        #expect(starts.value == 1)
        gate.open()
        #expect(try await eventually { await monitor.readiness().healthy })
        #expect(starts.value >= 2)
    }

    @Test func concurrentProbesShareOneRunAndLaterOnesUseTheCache() async throws {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .seconds(60)))
        let runs = CallCounter()
        monitor.registerReadinessCheck(ReadinessCheck.broker) {
            runs.increment()
            try await Task.sleep(for: .milliseconds(50))
            return .healthy()
        }
        let reports = await withTaskGroup(of: HealthReport.self) { group in
            for _ in 0..<20 { group.addTask { await monitor.readiness() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.count == 20 && reports.allSatisfy(\.healthy))
        #expect(runs.value == 1)
        let cached = await monitor.readiness()
        #expect(cached.cached)
        #expect(cached.checkedAt == reports[0].checkedAt)
        #expect(runs.value == 1)
    }

    @Test func theCacheExpires() async throws {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .milliseconds(200)))
        let runs = CallCounter()
        monitor.registerReadinessCheck(ReadinessCheck.broker) {
            runs.increment()
            return .healthy()
        }
        #expect(await !monitor.readiness().cached)
        try await Task.sleep(for: .milliseconds(250))
        #expect(await !monitor.readiness().cached)
        #expect(runs.value == 2)
    }

    @Test func registeringACheckInvalidatesTheCache() async {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .seconds(60)))
        monitor.registerReadinessCheck("a") { .healthy() }
        #expect(await monitor.readiness().healthy)
        monitor.registerReadinessCheck("b") { .unhealthy("down") }
        #expect(await !monitor.readiness().healthy)
        monitor.removeReadinessCheck(named: "b")
        #expect(await monitor.readiness().healthy)
    }

    @Test func shuttingDownFailsReadinessAtOnce() async {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .seconds(60)))
        monitor.registerReadinessCheck("a") { .healthy() }
        #expect(await monitor.readiness().healthy)
        monitor.markShuttingDown()
        let report = await monitor.readiness()
        #expect(!report.healthy)
        #expect(report.note == "shutting down")
    }

    @Test func livenessFollowsHeartbeats() {
        let monitor = HealthMonitor()
        #expect(monitor.liveness().healthy, "no heartbeats: the answer itself proves liveness")
        let consumer = monitor.heartbeat("rpc_consumer", maxAge: .seconds(120))
        consumer.beat()
        let now = ContinuousClock.now
        #expect(monitor.liveness(at: now).healthy)
        #expect(monitor.liveness(at: now + .seconds(60)).checks[0].reason.hasPrefix("last beat "))
        let stale = monitor.liveness(at: now + .seconds(121))
        #expect(!stale.healthy)
        #expect(stale.httpStatus == 503)
        #expect(stale.checks[0].reason.hasPrefix("no beat for 12"))
        #expect(stale.checks[0].reason.hasSuffix("(allowed 120s)"))
        consumer.beat()
        #expect(monitor.liveness(at: ContinuousClock.now + .seconds(60)).healthy)
        monitor.removeHeartbeat(named: "rpc_consumer")
        #expect(monitor.liveness(at: now + .seconds(1000)).healthy)
    }

    @Test func longReasonsAreShortenedToOneLine() async {
        let monitor = HealthMonitor(settings: .init(checkTimeout: .seconds(60), cacheDuration: .zero))
        monitor.registerReadinessCheck("verbose") { .unhealthy("line\n" + String(repeating: "x", count: 500)) }
        let reason = await monitor.readiness().checks[0].reason
        #expect(reason.count == HealthMonitor.maximumReasonLength)
        #expect(!reason.contains("\n"))
    }
}
