public import JSON

/// What one health check found: healthy or not, and a short reason an operator can act on.
public struct HealthCheckResult: Sendable, Equatable {
    public var healthy: Bool
    public var reason: String

    public init(healthy: Bool, reason: String) {
        self.healthy = healthy
        self.reason = reason
    }

    public static func healthy(_ reason: String = "ok") -> HealthCheckResult {
        HealthCheckResult(healthy: true, reason: reason)
    }

    public static func unhealthy(_ reason: String) -> HealthCheckResult {
        HealthCheckResult(healthy: false, reason: reason)
    }
}

/// A named readiness check the worker registers: an async closure run with a timeout.
/// A closure that throws counts as unhealthy, with the error's (redacted) text as the reason.
public struct ReadinessCheck: Sendable {
    public let name: String
    /// A failing required check makes the worker not ready (503); an optional one is reported only.
    public let required: Bool
    /// Overrides `ReadinessSettings.checkTimeout` for this check.
    public let timeout: Duration?
    public let run: @Sendable () async throws -> HealthCheckResult

    public init(_ name: String, required: Bool = true, timeout: Duration? = nil,
                _ run: @escaping @Sendable () async throws -> HealthCheckResult) {
        self.name = name
        self.required = required
        self.timeout = timeout
        self.run = run
    }

    /// The names the worker registers its standard checks under.
    public static let broker = "broker"
    public static let database = "database"
    public static let helm = "helm"
    public static let managementCluster = "management_cluster"
}

/// One check's line in a health report.
public struct HealthCheckStatus: Sendable, Equatable {
    public var name: String
    public var healthy: Bool
    public var required: Bool
    /// Redacted and shortened.
    public var reason: String
    public var durationSeconds: Double

    public init(name: String, healthy: Bool, required: Bool, reason: String, durationSeconds: Double) {
        self.name = name
        self.healthy = healthy
        self.required = required
        self.reason = reason
        self.durationSeconds = durationSeconds
    }

    var json: JSONValue {
        .object([
            "name": .string(name),
            "status": .string(healthy ? "ok" : "failed"),
            "required": .bool(required),
            "reason": .string(reason),
            "duration_ms": .double((durationSeconds * 1000 * 10).rounded() / 10),
        ])
    }
}

/// The answer of `/healthz` or `/readyz`.
public struct HealthReport: Sendable, Equatable {
    public var healthy: Bool
    public var checks: [HealthCheckStatus]
    /// Seconds since the Unix epoch when the checks ran.
    public var checkedAt: Double
    /// True when this report was served from the readiness cache.
    public var cached: Bool
    /// A note for the whole report ("shutting down").
    public var note: String?

    public init(healthy: Bool, checks: [HealthCheckStatus], checkedAt: Double, cached: Bool = false,
                note: String? = nil) {
        self.healthy = healthy
        self.checks = checks
        self.checkedAt = checkedAt
        self.cached = cached
        self.note = note
    }

    /// 200 when healthy, 503 otherwise.
    public var httpStatus: Int { healthy ? 200 : 503 }

    /// `{"status": "ok"|"failed", "checked_at": "...", "cached": false, "checks": [...]}`
    public var json: JSONValue {
        var object: JSONObject = [
            "status": .string(healthy ? "ok" : "failed"),
            "checked_at": .string(LogTimestamp.iso8601UTC(checkedAt)),
            "cached": .bool(cached),
        ]
        if let note { object["note"] = .string(note) }
        object["checks"] = .array(checks.map(\.json))
        return .object(object)
    }
}
