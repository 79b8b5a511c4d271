import Crypto
import Foundation
import Synchronization

/// A seeded source of random bits (SplitMix64), shared by the hooks of one replay so the
/// made-up application credentials come out the same on every run.
final class DeterministicRandom: Sendable {
    private let state: Mutex<UInt64>

    init(seed: UInt64) { state = Mutex(seed) }

    func next() -> UInt64 {
        state.withLock { s in
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

/// Release-name suffixes for a replay: `short_id`-shaped (12 lower-case base32 characters), the
/// n-th one derived from n, so a recording replays to the same release names every time.
final class DeterministicReleaseSuffixes: Sendable {
    private let counter = Mutex<Int>(0)

    func next() -> String {
        let n = counter.withLock { c in
            c += 1
            return c
        }
        let digest = Array(SHA256.hash(data: Array("magnum-capi-worker replay release \(n)".utf8)))
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var bits: UInt64 = 0
        for byte in digest.prefix(8) { bits = bits << 8 | UInt64(byte) }
        return String((0..<12).map { i in alphabet[Int((bits >> UInt64(i * 5)) & 31)] })
    }
}
