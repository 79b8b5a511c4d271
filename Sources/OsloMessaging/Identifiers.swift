public import Foundation
import Glibc
import Synchronization

/// The identifiers oslo.messaging puts on the wire: `uuid4().hex` for `_msg_id`, `_unique_id`,
/// reply and fanout queue names, and `str(uuid4())` for a notification's `message_id`.
public enum Identifiers {
    /// 32 lower-case hex digits, like Python's `uuid.uuid4().hex` (version 4, RFC 4122 variant),
    /// from the kernel's generator (`RandomBytes`) without Foundation's `UUID` (which reads
    /// /dev/urandom anew for each one; every reply carries a fresh id).
    public static func uuidHex() -> String {
        var words = RandomBytes.shared.next16()
        return withUnsafeMutableBytes(of: &words) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40  // version 4
            raw[8] = (raw[8] & 0x3F) | 0x80  // variant 10xx
            return String(unsafeUninitializedCapacity: 32) { out in
                let digits: StaticString = "0123456789abcdef"
                let hex = digits.utf8Start
                for i in 0..<16 {
                    out[2 * i] = hex[Int(raw[i] >> 4)]
                    out[2 * i + 1] = hex[Int(raw[i] & 0x0F)]
                }
                return 32
            }
        }
    }

    /// `xxxxxxxx-xxxx-4xxx-...` in lower case, like Python's `str(uuid.uuid4())`.
    public static func uuidString() -> String {
        let hex = Array(uuidHex().utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, digit) in hex.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            out.append(digit)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Random bytes from the kernel (glibc's `arc4random_buf` is one `getrandom` call, the source
/// of `SystemRandomNumberGenerator` and of Python's `os.urandom`), read 4 KiB at a time: one
/// system call per 256 identifiers instead of two per identifier. The bytes are handed out once
/// each, under a lock.
final class RandomBytes: Sendable {
    static let shared = RandomBytes()
    private static let size = 4096

    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: RandomBytes.size)
        var offset = RandomBytes.size
    }
    private let pool = Mutex(Pool())

    func next16() -> (UInt64, UInt64) {
        pool.withLock { p in
            if p.offset + 16 > p.bytes.count {
                p.bytes.withUnsafeMutableBytes { Self.fill($0) }
                p.offset = 0
            }
            defer { p.offset += 16 }
            return p.bytes.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: p.offset, as: UInt64.self),
                 raw.loadUnaligned(fromByteOffset: p.offset + 8, as: UInt64.self))
            }
        }
    }

    private static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        arc4random_buf(base, buffer.count)
    }
}

/// oslo's notification timestamp: `str(datetime.utcnow())`, i.e. `YYYY-MM-DD HH:MM:SS.ffffff`
/// in UTC, with the fraction left out when it is zero (as Python prints it).
public enum OsloTimestamp {
    public static func string(from date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var micros = Int64(totalMicros)
        var seconds = micros / 1_000_000
        micros -= seconds * 1_000_000
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secOfDay = seconds - days * 86_400
        if secOfDay < 0 { secOfDay += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        let hh = secOfDay / 3600, mm = (secOfDay % 3600) / 60, ss = secOfDay % 60
        func pad(_ v: Int64, _ w: Int) -> String { String(v).leftPadded(to: w) }
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2)) \(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2))"
        if micros != 0 { text += "." + pad(micros, 6) }
        return text
    }

    public static func now() -> String { string(from: Date()) }

    /// Howard Hinnant's days-from-civil inverse (proleptic Gregorian).
    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
