public import JSON
public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a redacted `LogRecord` into the text written for it (without the final newline).
public protocol LogLineFormatter: Sendable {
    func format(_ record: LogRecord) -> String
}

/// Lines shaped like oslo.log's default `logging_context_format_string`, so operators' grep
/// habits, log shippers and parsers for OpenStack logs keep working:
///
///     2026-11-26 04:41:05.123 12345 INFO magnum_capi_worker.rpc [req-1 user project - - - -] message key=value
///
/// The bracket is `[global_request_id request_id user project domain system_scope user_domain
/// project_domain]` (missing parts `-`, the global id left out when absent) when the record has a
/// `request_id`, and `[-]` otherwise (`logging_default_format_string`). Other metadata follows the
/// message as ` key=value` (sorted; values quoted when they contain spaces, quotes or `=`; lists
/// and dictionaries as compact JSON). DEBUG
/// lines end with `function file:line` (`logging_debug_format_suffix`). A multi-line message is
/// written as several lines, each with the full prefix, so no line can pass for another record.
public struct OsloLogFormatter: LogLineFormatter {
    public var dateFormat: String
    public var localTime: Bool

    public init(dateFormat: String = "%Y-%m-%d %H:%M:%S", localTime: Bool = true) {
        self.dateFormat = dateFormat
        self.localTime = localTime
    }

    public func format(_ record: LogRecord) -> String {
        let timestamp = LogTimestamp.oslo(record.time, format: dateFormat, localTime: localTime)
        var prefix = "\(timestamp) \(record.pid) \(LogRecord.levelName(record.level)) \(record.logger) "
        var remaining = record.metadata
        if let requestID = nonEmpty(record.metadata["request_id"]) {
            var parts: [String] = []
            if let global = nonEmpty(record.metadata["global_request_id"]) { parts.append(global) }
            parts.append(requestID)
            for key in ["user_id", "project_id", "domain_id", "system_scope", "user_domain_id", "project_domain_id"] {
                parts.append(nonEmpty(record.metadata[key]) ?? "-")
            }
            for key in LogRecord.contextKeys { remaining[key] = nil }
            prefix += "[" + parts.map(Self.bracketSafe).joined(separator: " ") + "] "
        } else {
            prefix += "[-] "
        }

        var body = record.message
        if let error = record.error { body += ": " + error }
        for key in remaining.keys.sorted() {
            guard let value = remaining[key] else { continue }
            switch value {
            case .array, .dictionary:
                // Compact JSON is self-delimiting; quoting it again would only add backslashes.
                body += " " + key + "=" + value.renderedText
            case .string, .stringConvertible:
                body += " " + key + "=" + Self.quoted(value.renderedText)
            }
        }
        if record.level <= .debug {
            body += " \(record.function) \(record.file):\(record.line)"
        }

        let lines = Self.neutralizingControls(body).split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        return lines.map { prefix + $0 }.joined(separator: "\n")
    }

    func nonEmpty(_ value: Logger.MetadataValue?) -> String? {
        guard let text = value?.renderedText, !text.isEmpty else { return nil }
        return text
    }

    /// Context parts are single words: spaces would shift every field after them.
    static func bracketSafe(_ text: String) -> String {
        String(text.map { $0.isWhitespace || $0 == "]" ? "_" : $0 })
    }

    /// `value`, or `"value"` (with `\` and `"` escaped, newlines as `\n`) when it has characters
    /// that would make the `key=value` list ambiguous.
    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0.isWhitespace || $0 == "\"" || $0 == "=" || $0 == "\\" }
        guard needsQuotes else { return value }
        var out = "\""
        for ch in value {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r\n": out += "\\r\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(ch)
            }
        }
        return out + "\""
    }

    /// Control characters other than tab and line breaks (terminal escapes, NUL) written as
    /// `\xNN`, so a message cannot rewrite what an operator's terminal shows.
    static func neutralizingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\r" && $0 != "\t") || $0.value == 0x7F }) else {
            return text
        }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if (scalar.value < 0x20 && scalar != "\n" && scalar != "\r" && scalar != "\t") || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                out.append(contentsOf: ("\\x" + (hex.count < 2 ? "0" + hex : hex)).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}

/// One JSON object per line, for log pipelines (Elasticsearch, Loki, ...):
///
///     {"timestamp":"2026-11-26T04:41:05.123Z","level":"INFO","logger":"magnum_capi_worker.rpc",
///      "message":"...","pid":12345,"hostname":"ctl-1","metadata":{"cluster_uuid":"...","msg_id":"..."},
///      "source":"Worker","function":"handle(_:)","file":"Worker/Dispatcher.swift","line":42}
///
/// `timestamp` is UTC (RFC 3339, milliseconds); `metadata` holds every metadata key (sorted),
/// including `request_id`, `msg_id` and `cluster_uuid`; `error` is present when an error was
/// attached to the call.
public struct JSONLogFormatter: LogLineFormatter {
    public init() {}

    public func format(_ record: LogRecord) -> String {
        var object = JSONObject()
        object["timestamp"] = .string(LogTimestamp.iso8601UTC(record.time))
        object["level"] = .string(LogRecord.levelName(record.level))
        object["logger"] = .string(record.logger)
        object["message"] = .string(record.message)
        object["pid"] = .int(Int64(record.pid))
        object["hostname"] = .string(Self.hostname)
        var metadata = JSONObject()
        for key in record.metadata.keys.sorted() {
            if let value = record.metadata[key] { metadata[key] = value.jsonValue }
        }
        object["metadata"] = .object(metadata)
        if let error = record.error { object["error"] = .string(error) }
        object["source"] = .string(record.source)
        object["function"] = .string(record.function)
        object["file"] = .string(record.file)
        object["line"] = .int(Int64(record.line))
        return JSONValue.object(object).jsonString(.compact)
    }

    static let hostname: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }()
}

extension Logger.MetadataValue {
    /// The value as JSON: strings stay strings, arrays and dictionaries nest (keys sorted).
    public var jsonValue: JSONValue {
        switch self {
        case .string(let s): return .string(s)
        case .stringConvertible(let c): return .string(c.description)
        case .array(let items): return .array(items.map(\.jsonValue))
        case .dictionary(let dict):
            var object = JSONObject()
            for key in dict.keys.sorted() {
                if let value = dict[key] { object[key] = value.jsonValue }
            }
            return .object(object)
        }
    }
}
