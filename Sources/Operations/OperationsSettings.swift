public import Logging
public import OsloConfig

/// How log records are written: lines shaped like oslo.log's default, or one JSON object per line.
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case oslo
    case json
}

/// Where, how and from which level the worker logs, as oslo.log decides it from `[DEFAULT]`.
public struct LoggingSettings: Sendable, Equatable {
    /// Where lines go. oslo.log's rule: `log_file`/`log_dir` → a file; `use_stderr` → standard
    /// error too; neither → standard output.
    public enum Destination: Sendable, Equatable, CustomStringConvertible {
        case file(path: String)
        case standardError
        case standardOutput

        public var description: String {
            switch self {
            case .file(let path): return path
            case .standardError: return "stderr"
            case .standardOutput: return "stdout"
            }
        }
    }

    public var level: Logger.Level
    public var format: LogFormat
    public var destinations: [Destination]
    /// strftime format of the timestamp (oslo.log's `log_date_format`); `.NNN` milliseconds follow.
    public var dateFormat: String
    /// Timestamps in local time, as Python's logging writes them (`false`: UTC, for tests).
    public var localTime: Bool

    public init(level: Logger.Level = .info, format: LogFormat = .oslo, destinations: [Destination] = [.standardOutput],
                dateFormat: String = "%Y-%m-%d %H:%M:%S", localTime: Bool = true) {
        self.level = level
        self.format = format
        self.destinations = destinations
        self.dateFormat = dateFormat
        self.localTime = localTime
    }
}

/// Where the metrics and health endpoints listen.
public struct HTTPEndpointSettings: Sendable, Equatable {
    public var enabled: Bool
    public var host: String
    /// 0 asks the kernel for a free port (tests).
    public var port: Int

    public init(enabled: Bool = true, host: String = "127.0.0.1", port: Int = OperationsOptions.defaultMetricsPort) {
        self.enabled = enabled
        self.host = host
        self.port = port
    }
}

/// How readiness checks are run.
public struct ReadinessSettings: Sendable, Equatable {
    /// The default time one check may take (a check can ask for its own).
    public var checkTimeout: Duration
    /// How long a readiness report is reused.
    public var cacheDuration: Duration

    public init(checkTimeout: Duration = .seconds(5), cacheDuration: Duration = .seconds(2)) {
        self.checkTimeout = checkTimeout
        self.cacheDuration = cacheDuration
    }
}

/// Everything the operations layer needs from magnum.conf, checked, plus what the operator should
/// be told (options set that we do not implement).
public struct OperationsSettings: Sendable, Equatable {
    public var logging: LoggingSettings
    public var http: HTTPEndpointSettings
    public var readiness: ReadinessSettings
    /// Human-readable notes for the startup log (never secret: they name options, not values).
    public var warnings: [String]

    public init(logging: LoggingSettings = .init(), http: HTTPEndpointSettings = .init(),
                readiness: ReadinessSettings = .init(), warnings: [String] = []) {
        self.logging = logging
        self.http = http
        self.readiness = readiness
        self.warnings = warnings
    }

    /// Reads the settings from a configuration whose registry holds `OperationsOptions.all`.
    ///
    /// - Parameter programName: used for `<log_dir>/<programName>.log` when only `log_dir` is set,
    ///   as oslo.log uses the binary's name.
    public init(configuration: Configuration, programName: String = "magnum-capi-worker") throws {
        let debug = try configuration.bool("DEFAULT", "debug") ?? false
        let useJSON = try configuration.bool("DEFAULT", "use_json") ?? false
        let formatName = try configuration.string(OperationsOptions.group, "log_format") ?? "oslo"
        let format: LogFormat = useJSON ? .json : (LogFormat(rawValue: formatName) ?? .oslo)

        var destinations: [LoggingSettings.Destination] = []
        let path = Self.logFilePath(logFile: try configuration.string("DEFAULT", "log_file"),
                                    logDir: try configuration.string("DEFAULT", "log_dir"),
                                    programName: programName)
        if let path { destinations.append(.file(path: path)) }
        let useStderr = try configuration.bool("DEFAULT", "use_stderr") ?? false
        if useStderr { destinations.append(.standardError) }
        if path == nil && !useStderr { destinations.append(.standardOutput) }

        logging = LoggingSettings(
            level: debug ? .debug : .info, format: format, destinations: destinations,
            dateFormat: try configuration.string("DEFAULT", "log_date_format") ?? "%Y-%m-%d %H:%M:%S")

        http = HTTPEndpointSettings(
            enabled: try configuration.bool(OperationsOptions.group, "metrics_enabled") ?? true,
            host: try configuration.string(OperationsOptions.group, "metrics_bind_address") ?? "127.0.0.1",
            port: try configuration.int(OperationsOptions.group, "metrics_port") ?? OperationsOptions.defaultMetricsPort)

        readiness = ReadinessSettings(
            checkTimeout: .milliseconds(Int64(((try configuration.double(OperationsOptions.group, "readiness_check_timeout")) ?? 5) * 1000)),
            cacheDuration: .milliseconds(Int64(((try configuration.double(OperationsOptions.group, "readiness_cache_seconds")) ?? 2) * 1000)))

        warnings = OperationsOptions.unsupportedLoggingOptions
            .filter { configuration.isSet($0.name) }
            .map { spec in
                let place = configuration.location(of: spec.name).map { " (\($0))" } ?? ""
                return "\(spec.name) is set\(place) but is not supported by magnum-capi-worker and has no effect"
            }
        if useJSON && formatName == "oslo" && configuration.isSet(OptionName(OperationsOptions.group, "log_format")) {
            warnings.append("[DEFAULT] use_json = true overrides [capi_worker] log_format = oslo")
        }
    }

    /// oslo.log's `_get_log_file_path`: `log_file` alone, `log_dir/log_file` (an absolute
    /// `log_file` wins, as with `os.path.join`), or `log_dir/<program>.log`.
    public static func logFilePath(logFile: String?, logDir: String?, programName: String) -> String? {
        let file = logFile.flatMap { $0.isEmpty ? nil : $0 }
        let dir = logDir.flatMap { $0.isEmpty ? nil : $0 }
        switch (file, dir) {
        case (let file?, nil): return file
        case (let file?, let dir?): return file.hasPrefix("/") ? file : join(dir, file)
        case (nil, let dir?): return join(dir, programName + ".log")
        case (nil, nil): return nil
        }
    }

    static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }
}
