import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Liveness and readiness of the worker, for `/healthz` and `/readyz`.
///
/// - Liveness: the process answers, and every registered `Heartbeat` (the RPC consumer loop, the
///   status sync) has beaten within its allowed age. A stuck loop makes `/healthz` fail so a
///   supervisor restarts the worker.
/// - Readiness: named checks (broker connected, database reachable, helm available, management
///   cluster reachable) run concurrently, each with a timeout. A check still running from an
///   earlier probe is not started again (it is reported as failed), so a hung dependency cannot
///   pile up probes. Results are cached for `ReadinessSettings.cacheDuration`, and concurrent
///   probes share one evaluation, so scrapes cannot overload the dependencies. During shutdown
///   readiness fails at once.
///
/// Reasons are redacted (`LogRedactor`) and shortened: nothing secret reaches a response.
public final class HealthMonitor: Sendable {
    public let settings: ReadinessSettings
    let redactor: LogRedactor

    struct State {
        var checks: [ReadinessCheck] = []
        var heartbeats: [Heartbeat] = []
        /// Checks whose closure has not returned yet (maybe after timing out), by name.
        var running: [String: ContinuousClock.Instant] = [:]
        var cached: (report: HealthReport, at: ContinuousClock.Instant)?
        var inFlight: Task<HealthReport, Never>?
        var shuttingDown = false
    }

    private let state = Mutex(State())

    public static let maximumReasonLength = 200

    public init(settings: ReadinessSettings = ReadinessSettings(), redactor: LogRedactor = LogRedactor()) {
        self.settings = settings
        self.redactor = redactor
    }

    // MARK: Registration

    /// Adds (or replaces, by name) a readiness check.
    public func register(_ check: ReadinessCheck) {
        state.withLock { s in
            s.checks.removeAll { $0.name == check.name }
            s.checks.append(check)
            s.cached = nil
        }
    }

    /// Adds (or replaces) a readiness check from a closure.
    public func registerReadinessCheck(_ name: String, required: Bool = true, timeout: Duration? = nil,
                                       _ run: @escaping @Sendable () async throws -> HealthCheckResult) {
        register(ReadinessCheck(name, required: required, timeout: timeout, run))
    }

    public func removeReadinessCheck(named name: String) {
        state.withLock { s in
            s.checks.removeAll { $0.name == name }
            s.cached = nil
        }
    }

    public var readinessCheckNames: [String] { state.withLock { $0.checks.map(\.name) } }

    /// A heartbeat the liveness probe watches: beat it from a loop that must keep running;
    /// `/healthz` fails when it has not beaten for `maxAge`.
    public func heartbeat(_ name: String, maxAge: Duration) -> Heartbeat {
        let heartbeat = Heartbeat(name: name, maxAge: maxAge)
        state.withLock { s in
            s.heartbeats.removeAll { $0.name == name }
            s.heartbeats.append(heartbeat)
        }
        return heartbeat
    }

    public func removeHeartbeat(named name: String) {
        state.withLock { s in s.heartbeats.removeAll { $0.name == name } }
    }

    /// From now on readiness fails ("shutting down"): load balancers and Kubernetes stop sending
    /// work while in-flight work finishes.
    public func markShuttingDown() {
        state.withLock { s in
            s.shuttingDown = true
            s.cached = nil
        }
    }

    // MARK: Liveness

    /// - Parameter now: the instant to judge heartbeats at (tests pass a later one instead of sleeping).
    public func liveness(at now: ContinuousClock.Instant = .now) -> HealthReport {
        let heartbeats = state.withLock { $0.heartbeats }
        let statuses = heartbeats.map { heartbeat -> HealthCheckStatus in
            let age = heartbeat.age(at: now)
            let fresh = age <= heartbeat.maxAge
            let reason = fresh
                ? "last beat \(Self.seconds(age)) ago"
                : "no beat for \(Self.seconds(age)) (allowed \(Self.seconds(heartbeat.maxAge)))"
            return HealthCheckStatus(name: heartbeat.name, healthy: fresh, required: true, reason: reason,
                                     durationSeconds: 0)
        }
        return HealthReport(healthy: statuses.allSatisfy(\.healthy), checks: statuses, checkedAt: Self.wallClock())
    }

    // MARK: Readiness

    /// The readiness report: from the cache when fresh, otherwise from one evaluation shared by
    /// every caller that asks while it runs.
    public func readiness() async -> HealthReport {
        enum Next {
            case report(HealthReport)
            case wait(Task<HealthReport, Never>)
        }
        let now = ContinuousClock.now
        let next: Next = state.withLock { s in
            if s.shuttingDown {
                return .report(HealthReport(healthy: false, checks: [], checkedAt: Self.wallClock(),
                                            note: "shutting down"))
            }
            if let cached = s.cached, now - cached.at < settings.cacheDuration {
                var report = cached.report
                report.cached = true
                return .report(report)
            }
            if let task = s.inFlight { return .wait(task) }
            let checks = s.checks
            let task = Task { await self.evaluate(checks) }
            s.inFlight = task
            return .wait(task)
        }
        switch next {
        case .report(let report): return report
        case .wait(let task): return await task.value
        }
    }

    /// Runs every check (concurrently), stores the report in the cache and returns it.
    private func evaluate(_ checks: [ReadinessCheck]) async -> HealthReport {
        let statuses = await withTaskGroup(of: (Int, HealthCheckStatus).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask { (index, await self.run(check)) }
            }
            var results: [(Int, HealthCheckStatus)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let report = HealthReport(healthy: statuses.allSatisfy { $0.healthy || !$0.required }, checks: statuses,
                                  checkedAt: Self.wallClock())
        state.withLock { s in
            s.inFlight = nil
            s.cached = s.shuttingDown ? nil : (report, ContinuousClock.now)
        }
        return report
    }

    /// One check with its timeout. The check's own task is cancelled at the timeout; if it
    /// ignores cancellation it keeps its "running" mark until it returns, and is not started
    /// again meanwhile.
    private func run(_ check: ReadinessCheck) async -> HealthCheckStatus {
        let start = ContinuousClock.now
        let timeout = check.timeout ?? settings.checkTimeout
        let alreadyRunning: ContinuousClock.Instant? = state.withLock { s in
            if let since = s.running[check.name] { return since }
            s.running[check.name] = start
            return nil
        }
        if let since = alreadyRunning {
            return status(check, .unhealthy("previous check still running after \(Self.seconds(start - since))"),
                          start: start)
        }
        let race = CheckRace()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<HealthCheckResult, Never>) in
            race.arm(continuation)
            let work = Task {
                let result: HealthCheckResult
                do {
                    result = try await check.run()
                } catch is CancellationError {
                    result = .unhealthy("cancelled")
                } catch {
                    result = .unhealthy(String(describing: error))
                }
                self.state.withLock { s in _ = s.running.removeValue(forKey: check.name) }
                race.finish(result)
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if race.finish(.unhealthy("timed out after \(Self.seconds(timeout))")) { work.cancel() }
            }
            race.setTimer(timer)
        }
        return status(check, result, start: start)
    }

    private func status(_ check: ReadinessCheck, _ result: HealthCheckResult,
                        start: ContinuousClock.Instant) -> HealthCheckStatus {
        let elapsed = ContinuousClock.now - start
        return HealthCheckStatus(name: check.name, healthy: result.healthy, required: check.required,
                                 reason: shortened(redactor.redact(result.reason)),
                                 durationSeconds: Double(elapsed.components.seconds)
                                     + Double(elapsed.components.attoseconds) / 1e18)
    }

    func shortened(_ text: String) -> String {
        let oneLine = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard oneLine.count > Self.maximumReasonLength else { return oneLine }
        return String(oneLine.prefix(Self.maximumReasonLength - 1)) + "…"
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        if value < 10 { return String(format3(value)) + "s" }
        return "\(Int(value.rounded()))s"
    }

    static func format3(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let whole = millis / 1000, frac = millis % 1000
        let fracText = String(frac)
        return "\(whole)." + String(repeating: "0", count: 3 - fracText.count) + fracText
    }

    static func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// The first of a check's result and its timeout wins; the other is ignored.
private final class CheckRace: Sendable {
    private struct State {
        var continuation: CheckedContinuation<HealthCheckResult, Never>?
        var timer: Task<Void, Never>?
        var done = false
    }

    private let state = Mutex(State())

    func arm(_ continuation: CheckedContinuation<HealthCheckResult, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func setTimer(_ timer: Task<Void, Never>) {
        let cancelNow = state.withLock { s -> Bool in
            if s.done { return true }
            s.timer = timer
            return false
        }
        if cancelNow { timer.cancel() }
    }

    /// Resumes the waiter with `result` if nothing did yet; returns whether it did.
    @discardableResult
    func finish(_ result: HealthCheckResult) -> Bool {
        let (continuation, timer): (CheckedContinuation<HealthCheckResult, Never>?, Task<Void, Never>?) = state.withLock { s in
            guard !s.done else { return (nil, nil) }
            s.done = true
            defer {
                s.continuation = nil
                s.timer = nil
            }
            return (s.continuation, s.timer)
        }
        guard let continuation else { return false }
        timer?.cancel()
        continuation.resume(returning: result)
        return true
    }
}

/// A loop's proof of life for the liveness probe.
public final class Heartbeat: Sendable {
    public let name: String
    public let maxAge: Duration
    private let last: Mutex<ContinuousClock.Instant>

    init(name: String, maxAge: Duration) {
        self.name = name
        self.maxAge = maxAge
        last = Mutex(ContinuousClock.now)
    }

    /// Records that the loop is alive now.
    public func beat() {
        last.withLock { $0 = ContinuousClock.now }
    }

    func age(at now: ContinuousClock.Instant) -> Duration {
        now - last.withLock { $0 }
    }
}
