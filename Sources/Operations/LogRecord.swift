public import Logging

/// One log record after redaction: what a formatter turns into a line. Every string in it has
/// already been through the `LogRedactor`.
public struct LogRecord: Sendable {
    /// Seconds since the Unix epoch.
    public var time: Double
    public var level: Logger.Level
    /// The logger's name as written (`magnum_capi_worker.<label>`).
    public var logger: String
    public var message: String
    /// Handler metadata, provider metadata and call-site metadata merged (call site wins), redacted.
    public var metadata: Logger.Metadata
    /// The error attached to the call (`logger.error("...", error: e)`), as redacted text.
    public var error: String?
    public var source: String
    public var file: String
    public var function: String
    public var line: UInt
    public var pid: Int32

    public init(time: Double, level: Logger.Level, logger: String, message: String, metadata: Logger.Metadata,
                error: String? = nil, source: String = "", file: String = "", function: String = "", line: UInt = 0,
                pid: Int32) {
        self.time = time
        self.level = level
        self.logger = logger
        self.message = message
        self.metadata = metadata
        self.error = error
        self.source = source
        self.file = file
        self.function = function
        self.line = line
        self.pid = pid
    }

    /// Python's level names, as oslo.log writes them (`notice` has none: it is written INFO).
    public static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: return "TRACE"
        case .debug: return "DEBUG"
        case .info, .notice: return "INFO"
        case .warning: return "WARNING"
        case .error: return "ERROR"
        case .critical: return "CRITICAL"
        }
    }

    /// The logger name for a swift-log label: `magnum_capi_worker.<label>`, as oslo.log names
    /// loggers after their Python module (`magnum.conductor.handlers...`).
    public static func loggerName(forLabel label: String) -> String {
        let prefix = "magnum_capi_worker"
        if label == prefix || label.hasPrefix(prefix + ".") { return label }
        if label.isEmpty { return prefix }
        return prefix + "." + label
    }

    /// Metadata keys that make up oslo's request-context part `[global req user project ...]`.
    public static let contextKeys = ["global_request_id", "request_id", "user_id", "project_id", "domain_id",
                                     "system_scope", "user_domain_id", "project_domain_id"]
}

extension Logger.MetadataValue {
    /// The value as text: strings as they are, arrays and dictionaries as compact JSON.
    var renderedText: String {
        switch self {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array, .dictionary: return jsonValue.jsonString(.compact)
        }
    }
}
