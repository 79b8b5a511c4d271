#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Timestamps of log lines, with the C library's `strftime` so any `log_date_format` an operator
/// wrote for oslo.log works here too.
enum LogTimestamp {
    static let defaultFormat = "%Y-%m-%d %H:%M:%S"

    /// `2026-11-26 04:41:05.123`: `format` then milliseconds, in local time (as Python's logging)
    /// or UTC.
    static func oslo(_ time: Double, format: String, localTime: Bool) -> String {
        let (parts, millis) = brokenDown(time, localTime: localTime)
        var tmValue = parts
        var buffer = [CChar](repeating: 0, count: 256)
        var count = strftime(&buffer, buffer.count, format, &tmValue)
        if count == 0 {
            count = strftime(&buffer, buffer.count, defaultFormat, &tmValue)
        }
        let text = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text + "." + pad(millis, 3)
    }

    /// `2026-11-26T04:41:05.123Z`: RFC 3339 in UTC, for JSON lines.
    static func iso8601UTC(_ time: Double) -> String {
        let (t, millis) = brokenDown(time, localTime: false)
        return "\(pad(Int(t.tm_year) + 1900, 4))-\(pad(Int(t.tm_mon) + 1, 2))-\(pad(Int(t.tm_mday), 2))"
            + "T\(pad(Int(t.tm_hour), 2)):\(pad(Int(t.tm_min), 2)):\(pad(Int(t.tm_sec), 2)).\(pad(millis, 3))Z"
    }

    static func brokenDown(_ time: Double, localTime: Bool) -> (tm, Int) {
        let whole = time.rounded(.down)
        var seconds = time_t(whole)
        let millis = min(999, max(0, Int(((time - whole) * 1000).rounded(.down))))
        var parts = tm()
        if localTime {
            localtime_r(&seconds, &parts)
        } else {
            gmtime_r(&seconds, &parts)
        }
        return (parts, millis)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
