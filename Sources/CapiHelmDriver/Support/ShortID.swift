import Foundation
public import MagnumObjects

/// Magnum's `short_id.generate_id()`: 12 lower-case base32 characters carrying 60 random bits
/// (the random part of new release names).
public enum ShortID {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".unicodeScalars)

    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return generate(using: &rng)
    }

    public static func generate(using rng: inout some RandomNumberGenerator) -> String {
        let bits = rng.next() >> 4  // 60 bits
        var out = String.UnicodeScalarView()
        for i in stride(from: 55, through: 0, by: -5) {
            out.append(alphabet[Int((bits >> UInt64(i)) & 0x1F)])
        }
        return String(out)
    }
}

/// The wall clock, as Magnum timestamps.
public enum SystemClock {
    public static func now() -> Timestamp {
        Timestamp(microsecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
