public import Logging
import Synchronization

/// Keeps every log line a test's code emits, so the test can assert on them (for example that
/// a password never reaches a log line).
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// A logger at `trace` level whose lines (message, metadata, source) all land here.
    public func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { label in CollectingLogHandler(label: label, capture: self) }
        logger.logLevel = .trace
        return logger
    }

    public var all: [String] { lines.withLock { $0 } }
    public var text: String { all.joined(separator: "\n") }

    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

/// A `LogHandler` that renders each record fully (level, message, every metadata value) into a `LogCapture`.
public struct CollectingLogHandler: LogHandler {
    public let label: String
    let capture: LogCapture
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(label: String, capture: LogCapture) {
        self.label = label
        self.capture = capture
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let error = event.error.map { " error=\($0)" } ?? ""
        capture.append("\(event.level) [\(label)] \(event.message) \(rendered)\(error) (\(event.source))")
    }
}
