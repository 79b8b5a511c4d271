/// A point in time in UTC with microsecond precision, with the text forms Magnum's peers use:
/// oslo.versionedobjects' primitive (`2026-11-25T00:01:42Z`), oslo.messaging's notification
/// timestamp (`2026-11-25 00:01:42.123456`) and SQL `DATETIME` (`2026-11-25 00:01:42`).
///
/// A small value type instead of Foundation's `Date` so conversions are exact and cheap.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public init(secondsSinceEpoch: Double) {
        self.microsecondsSinceEpoch = Int64((secondsSinceEpoch * 1_000_000).rounded())
    }

    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0) {
        guard (1...12).contains(month), (1...Timestamp.daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              (0...999_999).contains(microsecond) else { return nil }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.microsecondsSinceEpoch = seconds * 1_000_000 + Int64(microsecond)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    public var secondsSinceEpoch: Double { Double(microsecondsSinceEpoch) / 1_000_000 }

    /// The same instant with the sub-second part dropped (what a MariaDB `DATETIME` keeps).
    public var truncatedToSeconds: Timestamp {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch - components.microsecond)
    }

    public func adding(seconds: Double) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + Int64((seconds * 1_000_000).rounded()))
    }

    public struct Components: Sendable, Equatable {
        public var year, month, day, hour, minute, second: Int
        public var microsecond: Int64
    }

    public var components: Components {
        var seconds = microsecondsSinceEpoch / 1_000_000
        var micro = microsecondsSinceEpoch % 1_000_000
        if micro < 0 {
            micro += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let (y, m, d) = Timestamp.civilFromDays(Int(days))
        return Components(year: y, month: m, day: d, hour: Int(rest / 3600), minute: Int(rest % 3600 / 60),
                          second: Int(rest % 60), microsecond: micro)
    }

    /// `2026-11-25T00:01:42Z` — oslo.versionedobjects' `isotime`, the DateTime field primitive.
    public var isoPrimitive: String {
        let c = components
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day))T\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))Z"
    }

    /// `2026-11-25 00:01:42.123456` — oslo.messaging's notification timestamp (always six digits).
    public var notificationFormat: String {
        let c = components
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day)) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second)).\(pad(Int(c.microsecond), 6))"
    }

    /// `2026-11-25 00:01:42` or with `.ffffff` when there is a fractional part — how SQLAlchemy
    /// stores a `DateTime` in SQLite and how MariaDB prints `DATETIME(6)`.
    public var sqlFormat: String {
        let c = components
        let base = "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day)) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))"
        return c.microsecond == 0 ? base : base + ".\(pad(Int(c.microsecond), 6))"
    }

    public var description: String { isoPrimitive }

    /// Parses the ISO 8601 forms oslo's `parse_isotime` meets in practice:
    /// `YYYY-MM-DD[T| ]HH:MM[:SS[.ffffff]][Z|±HH:MM|±HHMM]`. No zone means UTC.
    public init?(parsing text: String) {
        var bytes = Array(text.utf8)[...]
        func number(_ count: Int) -> Int? {
            guard bytes.count >= count else { return nil }
            var value = 0
            for b in bytes.prefix(count) {
                guard (48...57).contains(b) else { return nil }
                value = value * 10 + Int(b - 48)
            }
            bytes = bytes.dropFirst(count)
            return value
        }
        func take(_ byte: UInt8) -> Bool {
            guard bytes.first == byte else { return false }
            bytes = bytes.dropFirst()
            return true
        }
        guard let year = number(4), take(45), let month = number(2), take(45), let day = number(2) else { return nil }
        var hour = 0, minute = 0, second = 0, micro = 0
        if take(84) || take(116) || take(32) {  // 'T', 't', ' '
            guard let h = number(2), take(58), let m = number(2) else { return nil }
            hour = h
            minute = m
            if take(58) {
                guard let s = number(2) else { return nil }
                second = s
                if take(46) || take(44) {
                    var digits = 0
                    var value = 0
                    while let b = bytes.first, (48...57).contains(b) {
                        if digits < 6 {
                            value = value * 10 + Int(b - 48)
                            digits += 1
                        }
                        bytes = bytes.dropFirst()
                    }
                    guard digits > 0 else { return nil }
                    while digits < 6 {
                        value *= 10
                        digits += 1
                    }
                    micro = value
                }
            }
        }
        var offsetSeconds = 0
        if take(90) || take(122) {  // 'Z'
        } else if let sign = bytes.first, sign == 43 || sign == 45 {  // '+' '-'
            bytes = bytes.dropFirst()
            guard let oh = number(2) else { return nil }
            _ = take(58)
            let om = number(2) ?? 0
            offsetSeconds = (oh * 3600 + om * 60) * (sign == 45 ? -1 : 1)
        }
        guard bytes.isEmpty,
              let local = Timestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second, microsecond: micro)
        else { return nil }
        self.microsecondsSinceEpoch = local.microsecondsSinceEpoch - Int64(offsetSeconds) * 1_000_000
    }

    // Howard Hinnant's civil-calendar algorithms.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

private func pad(_ value: Int, _ width: Int = 2) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
