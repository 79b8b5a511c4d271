public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one path from a log call to the bytes written: redact, format, write to every sink.
/// Shared by all copies of a handler (a `Logger` copies its handler on every metadata change).
///
/// Redaction happens here and nowhere else, before formatting, on the message, every metadata
/// value, the error text and the logger name; the formatted line then gets a last pass for the
/// registered secret values. A sink cannot receive unredacted text.
public final class LogOutput: Sendable {
    public let formatter: any LogLineFormatter
    public let redactor: LogRedactor
    public let sinks: [any LogSink]
    /// The level handlers made from this output start with (`[DEFAULT] debug`).
    public let level: Logger.Level

    public init(formatter: any LogLineFormatter, redactor: LogRedactor, sinks: [any LogSink], level: Logger.Level) {
        self.formatter = formatter
        self.redactor = redactor
        self.sinks = sinks
        self.level = level
    }

    /// An output for the given settings: the formatter for its format, its destinations opened.
    public convenience init(settings: LoggingSettings, knownSecrets: KnownSecrets) throws(LogFileError) {
        let formatter: any LogLineFormatter = switch settings.format {
        case .oslo: OsloLogFormatter(dateFormat: settings.dateFormat, localTime: settings.localTime)
        case .json: JSONLogFormatter()
        }
        var sinks: [any LogSink] = []
        for destination in settings.destinations {
            switch destination {
            case .file(let path): sinks.append(try LogFile(path: path))
            case .standardError: sinks.append(StandardStreamSink(.standardError))
            case .standardOutput: sinks.append(StandardStreamSink(.standardOutput))
            }
        }
        self.init(formatter: formatter, redactor: LogRedactor(knownSecrets: knownSecrets), sinks: sinks,
                  level: settings.level)
    }

    /// Reopens every file sink (SIGHUP after logrotate). Returns the errors, if any, so the caller
    /// can log them (through a sink that still works).
    @discardableResult
    public func reopen() -> [any Error] {
        var errors: [any Error] = []
        for sink in sinks {
            do { try sink.reopen() } catch { errors.append(error) }
        }
        return errors
    }

    /// Redacts, formats and writes one event.
    func emit(label: String, event: LogEvent, handlerMetadata: Logger.Metadata,
              provider: Logger.MetadataProvider?) {
        var merged = handlerMetadata
        if let provided = provider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let eventMetadata = event.metadata {
            merged.merge(eventMetadata) { _, new in new }
        }
        let record = LogRecord(
            time: Self.wallClock(),
            level: event.level,
            logger: redactor.redact(LogRecord.loggerName(forLabel: label)),
            message: redactor.redact(event.message.description),
            metadata: redactor.redact(merged),
            error: event.error.map { redactor.redact(String(describing: $0)) },
            source: event.source,
            file: event.file,
            function: event.function,
            line: event.line,
            pid: Self.pid)
        let line = redactor.redactKnownSecrets(formatter.format(record))
        for sink in sinks { sink.write(line, record: record) }
    }

    static let pid: Int32 = getpid()

    static func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
