import Logging
import Synchronization

/// What the RPC server logged about requests that failed (`request failed: module.Class:
/// message`), by `_unique_id`, so a replay shows why a cast failed — a cast has no reply to
/// carry it. Everything is also passed on to the replay's own logger.
final class HandlerFailureLog: Sendable {
    private let failures = Mutex<[String: String]>([:])

    func record(uniqueID: String, failure: String) { failures.withLock { $0[uniqueID] = failure } }

    func take(uniqueID: String) -> String? { failures.withLock { $0.removeValue(forKey: uniqueID) } }

    /// A logger at `info` that records failures here and forwards every record to `forward`.
    func logger(forwardingTo forward: Logger) -> Logger {
        var logger = Logger(label: forward.label) { _ in Handler(sink: self, forward: forward) }
        logger.logLevel = min(.info, forward.logLevel)
        return logger
    }

    struct Handler: LogHandler {
        let sink: HandlerFailureLog
        let forward: Logger
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        static let prefixes = ["request failed: ", "exception during message handling: "]

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let text = event.message.description
            if let prefix = Self.prefixes.first(where: { text.hasPrefix($0) }), case .string(let uniqueID)? = merged["unique_id"] {
                sink.record(uniqueID: uniqueID, failure: String(text.dropFirst(prefix.count)))
            }
            forward.log(level: event.level, event.message, metadata: merged, source: event.source, file: event.file,
                        function: event.function, line: event.line)
        }
    }
}
