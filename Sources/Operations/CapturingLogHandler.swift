public import Logging
import Synchronization

/// What a `CapturingLogHandler` recorded: the lines exactly as they would have been written
/// (already redacted) and the redacted records behind them.
public final class LogCapture: LogSink {
    public struct Entry: Sendable {
        public let record: LogRecord
        /// The formatted text (one or more lines, no final newline).
        public let line: String
    }

    private let storage = Mutex<[Entry]>([])

    public init() {}

    public func write(_ line: String, record: LogRecord) {
        storage.withLock { $0.append(Entry(record: record, line: line)) }
    }

    public var entries: [Entry] { storage.withLock { $0 } }
    /// Every written line, in order.
    public var lines: [String] { entries.flatMap { $0.line.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } }
    /// Everything that would have been written, newline-terminated lines.
    public var text: String { entries.map { $0.line + "\n" }.joined() }
    public var messages: [String] { entries.map(\.record.message) }

    public func removeAll() { storage.withLock { $0.removeAll() } }
}

/// A log handler for tests: the same redaction and formatting as `WorkerLogHandler`, with the
/// output kept in memory, so a test sees exactly what an operator would read.
public struct CapturingLogHandler: LogHandler {
    public let capture: LogCapture
    private var inner: WorkerLogHandler

    public init(label: String, capture: LogCapture = LogCapture(), format: LogFormat = .oslo,
                knownSecrets: KnownSecrets = KnownSecrets(), logLevel: Logger.Level = .trace,
                localTime: Bool = false) {
        self.capture = capture
        let formatter: any LogLineFormatter = switch format {
        case .oslo: OsloLogFormatter(localTime: localTime)
        case .json: JSONLogFormatter()
        }
        let output = LogOutput(formatter: formatter, redactor: LogRedactor(knownSecrets: knownSecrets),
                               sinks: [capture], level: logLevel)
        inner = WorkerLogHandler(label: label, output: output)
        inner.logLevel = logLevel
    }

    /// A logger writing into a fresh capture.
    public static func logger(label: String, format: LogFormat = .oslo, knownSecrets: KnownSecrets = KnownSecrets(),
                              logLevel: Logger.Level = .trace) -> (Logger, LogCapture) {
        let capture = LogCapture()
        let logger = Logger(label: label) { label in
            CapturingLogHandler(label: label, capture: capture, format: format, knownSecrets: knownSecrets,
                                logLevel: logLevel)
        }
        return (logger, capture)
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        inner.log(event: event)
    }
}
