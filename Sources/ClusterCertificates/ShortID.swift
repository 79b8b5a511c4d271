public import Foundation

/// Magnum's `magnum.common.short_id`: 12 lower-case base32 characters made from the 60 random
/// bits of a version-4 UUID's time field. Magnum uses one as each private key's passphrase.
public enum ShortID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")

    /// `short_id.get_id(uuid)`; `nil` when `uuid` is not a version-4 UUID (Python raises).
    public static func id(from uuid: UUID) -> String? {
        let b = uuid.uuid
        guard b.6 >> 4 == 4 else { return nil }
        let timeLow = UInt64(b.0) << 24 | UInt64(b.1) << 16 | UInt64(b.2) << 8 | UInt64(b.3)
        let timeMid = UInt64(b.4) << 8 | UInt64(b.5)
        let timeHi = (UInt64(b.6) << 8 | UInt64(b.7)) & 0x0FFF
        let time = timeHi << 48 | timeMid << 32 | timeLow
        // base32 of the 60 bits, most significant first: exactly the first 12 characters of
        // b32encode(time << 4 as 8 bytes).
        return String((0..<12).map { i in alphabet[Int((time >> UInt64(55 - 5 * i)) & 31)] })
    }

    /// `short_id.generate_id()`.
    public static func generate() -> String {
        // Foundation's UUID() is a random version-4 UUID, as uuid.uuid4() is.
        id(from: UUID()) ?? ""
    }
}
