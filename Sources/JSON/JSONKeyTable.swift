/// Object keys whose `String`s the parser reuses instead of allocating one per occurrence.
///
/// Swift keeps strings of up to 15 UTF-8 bytes inline, but every longer key costs an allocation
/// and a copy each time a document is parsed; oslo.messaging's messages repeat the same few dozen
/// keys (`_context_*`, `<ns>_object.*`, field names) in every request. The table is immutable and
/// shared: a key is looked up by its bytes (a hash of its length and its first and last eight
/// bytes, then a full comparison), without allocating. Short keys are in the table too: copying
/// the table's inline string is cheaper than making one from bytes, which checks them.
///
/// Only keys written without escapes are looked up; a key with escapes is unescaped and
/// allocated as before, so a table entry is never matched by raw bytes that mean something else.
/// Using a table never changes what is parsed, only whether the key's storage is shared.
public struct JSONKeyTable: Sendable, Equatable {
    /// The keys, in the order given (repeats and the empty key left out).
    public var keys: [String] { storage.keys }
    let storage: Storage

    /// A table of `keys`.
    public init(_ keys: some Sequence<String>) {
        storage = Storage(keys)
    }

    /// No keys: every key is allocated.
    public static let empty = JSONKeyTable([String]())

    /// This table and `other`'s keys.
    public func adding(_ other: some Sequence<String>) -> JSONKeyTable {
        JSONKeyTable(keys + Array(other))
    }

    /// The table's string whose UTF-8 bytes are `utf8`, if any; nothing is allocated.
    public func string(matchingUTF8 utf8: UnsafeRawBufferPointer) -> String? {
        storage.string(for: utf8, signature: JSONParser.signature(utf8))
    }

    public static func == (lhs: JSONKeyTable, rhs: JSONKeyTable) -> Bool {
        lhs.storage === rhs.storage || lhs.keys == rhs.keys
    }

    /// One slot of the open-addressing table: a key's signature and where its bytes are.
    struct Slot {
        var signature: UInt64 = 0
        var offset: Int32 = 0
        /// The key's length in bytes; 0 marks an empty slot (the empty key is not in the table).
        var length: Int32 = 0
        var key: Int32 = 0
    }

    /// The table's memory, written once by `init` and only read afterwards (hence `Sendable`).
    final class Storage: @unchecked Sendable {
        let keys: [String]
        let slots: UnsafeMutableBufferPointer<Slot>
        let bytes: UnsafeMutableRawBufferPointer
        let shift: UInt64
        /// Bit `n - 1` is set when some key is `n` bytes long (`n` <= 64); longer keys always look up.
        let lengths: UInt64

        init(_ keys: some Sequence<String>) {
            var unique: [String] = []
            var seen = Set<String>()
            for key in keys where !key.isEmpty && seen.insert(key).inserted {
                var copy = key
                copy.makeContiguousUTF8()  // native storage: shared copies need no bridging
                unique.append(copy)
            }
            var bits: UInt64 = 4
            while (1 << bits) < 2 * unique.count { bits += 1 }
            shift = 64 - bits
            slots = .allocate(capacity: 1 << bits)
            slots.initialize(repeating: Slot())
            let total = unique.reduce(0) { $0 + $1.utf8.count }
            bytes = .allocate(byteCount: Swift.max(total, 1), alignment: 8)
            var offset = 0
            var lengths: UInt64 = 0
            for (i, key) in unique.enumerated() {
                let length = key.utf8.count
                _ = UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + length)]).copyBytes(from: key.utf8)
                let signature = JSONParser.signature(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
                var slot = Int(truncatingIfNeeded: signature >> shift)
                while slots[slot].length != 0 { slot = (slot + 1) & (slots.count - 1) }
                slots[slot] = Slot(signature: signature, offset: Int32(offset), length: Int32(length), key: Int32(i))
                if length <= 64 { lengths |= 1 << UInt64(length - 1) }
                offset += length
            }
            self.keys = unique
            self.lengths = lengths
        }

        deinit {
            slots.deallocate()
            bytes.deallocate()
        }

        /// The table's string for the key whose UTF-8 bytes are `key` (with its `signature`).
        @inline(__always)
        func string(for key: UnsafeRawBufferPointer, signature: UInt64) -> String? {
            let count = key.count
            guard count > 0 else { return nil }
            if count <= 64, lengths & (1 << UInt64(count - 1)) == 0 { return nil }
            guard let slotBase = slots.baseAddress, let byteBase = bytes.baseAddress, let keyBase = key.baseAddress else {
                return nil
            }
            let mask = slots.count - 1
            var slot = Int(truncatingIfNeeded: signature >> shift)
            while true {
                let entry = slotBase[slot]
                if entry.length == 0 { return nil }
                if entry.signature == signature, Int(entry.length) == count,
                   Self.equalBytes(UnsafeRawPointer(byteBase + Int(entry.offset)), UnsafeRawPointer(keyBase), count) {
                    return keys[Int(entry.key)]
                }
                slot = (slot + 1) & mask
            }
        }

        /// Whether `count` bytes at `a` and `b` are the same; eight at a time.
        @inline(__always)
        static func equalBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
            var i = 0
            while i + 8 <= count {
                if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                    return false
                }
                i += 8
            }
            while i < count {
                if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
                i += 1
            }
            return true
        }
    }
}
