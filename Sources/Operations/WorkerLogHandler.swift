public import Logging

/// The worker's swift-log handler: oslo-like or JSON lines, secrets redacted, written to the
/// destinations `[DEFAULT] log_file`/`log_dir`/`use_stderr` select. Install it for the whole
/// process with `OperationsLogging.bootstrap(...)`.
///
/// Its level follows the current configuration (`[DEFAULT] debug`) unless a `Logger` sets its
/// own, so loggers made before magnum.conf was read pick up its settings.
public struct WorkerLogHandler: LogHandler {
    public let label: String
    public let logging: OperationsLogging
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private var levelOverride: Logger.Level?

    public init(label: String, logging: OperationsLogging, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logging = logging
        self.metadataProvider = metadataProvider
    }

    /// A handler writing to a fixed output.
    public init(label: String, output: LogOutput, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, logging: OperationsLogging(output: output), metadataProvider: metadataProvider)
    }

    public var logLevel: Logger.Level {
        get { levelOverride ?? logging.output.level }
        set { levelOverride = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        logging.output.emit(label: label, event: event, handlerMetadata: metadata, provider: metadataProvider)
    }
}
