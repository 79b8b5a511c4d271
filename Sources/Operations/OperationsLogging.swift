public import Logging
import Synchronization

/// The process's logging: which `LogOutput` handlers write to now, the secrets every line is
/// checked against, and the one-time swift-log bootstrap.
///
/// The worker bootstraps logging first (to standard error, so a bad magnum.conf is reported),
/// then `configure`s it from the configuration; handlers made in between follow the switch.
public final class OperationsLogging: Sendable {
    public let knownSecrets: KnownSecrets
    private let current: Mutex<LogOutput>

    public init(output: LogOutput) {
        knownSecrets = output.redactor.knownSecrets
        current = Mutex(output)
    }

    /// Logging to standard error, oslo format, INFO, until `configure` is called.
    public convenience init(knownSecrets: KnownSecrets = KnownSecrets()) {
        self.init(output: LogOutput(formatter: OsloLogFormatter(), redactor: LogRedactor(knownSecrets: knownSecrets),
                                    sinks: [StandardStreamSink(.standardError)], level: .info))
    }

    /// The output handlers write to now.
    public var output: LogOutput { current.withLock { $0 } }

    /// Opens the destinations of `settings` and switches every handler to them. On error (a log
    /// file that cannot be opened) the previous output stays in use.
    public func configure(_ settings: LoggingSettings) throws(LogFileError) {
        let output = try LogOutput(settings: settings, knownSecrets: knownSecrets)
        current.withLock { $0 = output }
    }

    /// Switches every handler to `output` (its redactor should use `knownSecrets`).
    public func use(_ output: LogOutput) {
        current.withLock { $0 = output }
    }

    /// Reopens the log file(s): SIGHUP after logrotate. Returns the errors to report.
    @discardableResult
    public func reopen() -> [any Error] {
        output.reopen()
    }

    /// A handler for `label`.
    public func makeHandler(label: String, metadataProvider: Logger.MetadataProvider? = nil) -> WorkerLogHandler {
        WorkerLogHandler(label: label, logging: self, metadataProvider: metadataProvider)
    }

    /// Installs `WorkerLogHandler` as swift-log's handler for the whole process (once per
    /// process, as swift-log requires) and returns the logging to `configure` later.
    @discardableResult
    public static func bootstrap(knownSecrets: KnownSecrets = KnownSecrets(),
                                 metadataProvider: Logger.MetadataProvider? = nil) -> OperationsLogging {
        let logging = OperationsLogging(knownSecrets: knownSecrets)
        LoggingSystem.bootstrap({ label, provider in
            logging.makeHandler(label: label, metadataProvider: provider)
        }, metadataProvider: metadataProvider)
        return logging
    }
}
