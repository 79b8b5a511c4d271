import OrderedCollections
/// Why a document could not be parsed, with the byte offset an operator can look at.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidNumber
        case invalidEscape
        case invalidUTF8
        case controlCharacterInString
        case trailingData
        case tooDeep(limit: Int)
    }

    public let reason: Reason
    public let offset: Int

    public init(reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let b):
            what = (0x20..<0x7F).contains(b)
                ? "unexpected character '\(Character(UnicodeScalar(b)))'" : "unexpected byte 0x\(String(b, radix: 16))"
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence"
        case .invalidUTF8: what = "invalid UTF-8"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .trailingData: what = "extra data after the JSON value"
        case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
        }
        return "invalid JSON at byte \(offset): \(what)"
    }
}

extension JSONValue {
    /// Nesting limit that keeps a hostile message from exhausting the stack.
    public static let defaultDepthLimit = 512

    /// Parses a complete JSON document (what Python's `json.loads` accepts, including `NaN`,
    /// `Infinity` and `-Infinity`). Strings must be valid UTF-8; a lone surrogate escape becomes
    /// U+FFFD because Swift strings cannot hold one. Object keys found in `keys` share its
    /// strings instead of being allocated (the result is the same).
    public init(
        parsing bytes: some Collection<UInt8>, depthLimit: Int = JSONValue.defaultDepthLimit, keys: JSONKeyTable = .empty
    ) throws(JSONParseError) {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(buffer, depthLimit: depthLimit, keys: keys)
            return Result { () throws(JSONParseError) in try parser.parseDocument() }
        }
        if let result {
            self = try result.get()
        } else {
            let array = Array(bytes)
            self = try array.withUnsafeBufferPointer { buffer throws(JSONParseError) in
                var parser = JSONParser(buffer, depthLimit: depthLimit, keys: keys)
                return try parser.parseDocument()
            }
        }
    }

    public init(
        parsing string: String, depthLimit: Int = JSONValue.defaultDepthLimit, keys: JSONKeyTable = .empty
    ) throws(JSONParseError) {
        var string = string
        let result: Result<JSONValue, JSONParseError> = string.withUTF8 { buffer in
            var parser = JSONParser(buffer, depthLimit: depthLimit, keys: keys)
            return Result { () throws(JSONParseError) in try parser.parseDocument() }
        }
        self = try result.get()
    }
}

extension Result where Failure == JSONParseError {
    fileprivate init(_ body: () throws(JSONParseError) -> Success) {
        do { self = .success(try body()) } catch { self = .failure(error) }
    }
}

struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    let depthLimit: Int
    var depth = 0
    /// Whether the last string parsed had no escapes (its value is its bytes).
    var lastStringWasVerbatim = false
    /// The key signatures of the objects being parsed, innermost last (one buffer for all).
    var signatureStack: [UInt64] = []
    /// Keys whose strings are shared rather than allocated.
    let keys: JSONKeyTable

    init(_ bytes: UnsafeBufferPointer<UInt8>, depthLimit: Int, keys: JSONKeyTable = .empty) {
        self.bytes = bytes
        self.depthLimit = depthLimit
        self.keys = keys
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw error(.trailingData) }
        return value
    }

    func error(_ reason: JSONParseError.Reason) -> JSONParseError {
        JSONParseError(reason: reason, offset: index)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    @inline(__always)
    func peek() throws(JSONParseError) -> UInt8 {
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        return bytes[index]
    }

    mutating func expect(_ literal: StaticString, value: JSONValue) throws(JSONParseError) -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw JSONParseError(reason: .unexpectedEnd, offset: bytes.count) }
        let start = literal.utf8Start
        for i in 0..<count where bytes[index + i] != start[i] {
            index += i
            throw error(.unexpectedByte(bytes[index]))
        }
        index += count
        return value
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", value: .null)
        case UInt8(ascii: "N"): return try expect("NaN", value: .double(.nan))
        case UInt8(ascii: "I"): return try expect("Infinity", value: .double(.infinity))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case let other: throw error(.unexpectedByte(other))
        }
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > depthLimit { throw error(.tooDeep(limit: depthLimit)) }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        // Members are collected first and the dictionary is built from them at once: inserting
        // one key at a time looks each one up. Duplicate keys (legal, rare) are found from a cheap
        // per-key signature, and only then do keys get compared.
        var keys: [String] = []
        var values: [JSONValue] = []
        let signaturesStart = signatureStack.count
        defer { signatureStack.removeSubrange(signaturesStart...) }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw error(.unexpectedByte(bytes[index])) }
            let (key, signature) = try parseKey()
            keys.append(key)
            signatureStack.append(signature)
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw error(.unexpectedByte(bytes[index])) }
            index += 1
            skipWhitespace()
            values.append(try parseValue())
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                let hasDuplicate = signatureStack.withUnsafeBufferPointer {
                    Self.hasDuplicate(keys, UnsafeBufferPointer(rebasing: $0[signaturesStart...]))
                }
                if !hasDuplicate {
                    return .object(JSONObject(uncheckedUniqueKeys: keys, values: values))
                }
                var object = JSONObject(minimumCapacity: keys.count)
                for i in keys.indices {
                    object[keys[i]] = values[i]  // Python keeps the last duplicate, at the first one's position
                }
                return .object(object)
            case let other: throw error(.unexpectedByte(other))
            }
        }
    }

    /// Whether any two of `keys` are equal. `signatures` are the keys' `signature`s: equal keys
    /// have equal signatures, so keys are only compared when their signatures match.
    static func hasDuplicate(_ keys: [String], _ signatures: UnsafeBufferPointer<UInt64>) -> Bool {
        // A 128-bit filter on each signature's top bits; only keys that hit a set bit are
        // compared with the earlier keys.
        var filter: (UInt64, UInt64) = (0, 0)
        for i in signatures.indices {
            let s = signatures[i]
            let bit: UInt64 = 1 << (s >> 58 & 63)
            let seen = s >> 57 & 1 == 0 ? filter.0 & bit : filter.1 & bit
            if seen != 0 {
                for j in 0..<i where signatures[j] == s && keys[j] == keys[i] { return true }
            }
            if s >> 57 & 1 == 0 { filter.0 |= bit } else { filter.1 |= bit }
        }
        return false
    }

    /// A key and its signature: its length and its first and last (up to) eight bytes, mixed.
    /// A key of plain ASCII (no escape) that is in the key table is the table's string; any
    /// other key is read as a string value is.
    mutating func parseKey() throws(JSONParseError) -> (String, UInt64) {
        let start = index + 1
        let end = plainRunEnd(from: start)
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
            let raw = UnsafeRawBufferPointer(slice)
            let signature = Self.signature(raw)
            index = end + 1
            if let shared = keys.storage.string(for: raw, signature: signature) {
                return (shared, signature)
            }
            return (String(decoding: slice, as: UTF8.self), signature)
        }
        let key = try parseString()
        if lastStringWasVerbatim {
            return (key, Self.signature(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)]))))
        }
        // Escapes: the signature of the unescaped bytes, as an unescaped duplicate would have.
        var copy = key
        let signature = copy.withUTF8 { Self.signature(UnsafeRawBufferPointer($0)) }
        return (key, signature)
    }

    @inline(__always)
    static func signature(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        let count = raw.count
        var head: UInt64 = 0
        var tail: UInt64 = 0
        if count >= 8 {
            head = raw.loadUnaligned(as: UInt64.self)
            tail = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        } else {
            for i in 0..<count { head = head << 8 | UInt64(raw[i]) }
        }
        return (head &* 0x9E37_79B9_7F4A_7C15) ^ (tail &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(truncatingIfNeeded: count)
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try parseValue())
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(array)
            case let other: throw error(.unexpectedByte(other))
            }
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "I") {
                return try expect("Infinity", value: .double(-.infinity))
            }
        }
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        let intStart = index
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]) {
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        } else {
            throw error(.invalidNumber)
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let fracStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > fracStart else { throw error(.invalidNumber) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let expStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > expStart else { throw error(.invalidNumber) }
        }
        if isInteger, index - intStart <= 18 {
            var value: Int64 = 0
            for i in intStart..<index { value = value &* 10 &+ Int64(bytes[i] &- UInt8(ascii: "0")) }
            return .int(negative ? -value : value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let value = Int64(text) { return .int(value) }
        guard let value = Double(text) else { throw JSONParseError(reason: .invalidNumber, offset: start) }
        return .double(value)
    }

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes, ASCII or valid UTF-8 up to the closing quote.
        var sawHighBit = false
        while true {
            index = plainRunEnd(from: index)
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                lastStringWasVerbatim = true
                if !sawHighBit { return String(decoding: slice, as: UTF8.self) }
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw JSONParseError(reason: .invalidUTF8, offset: start)
                }
                return s
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error(.controlCharacterInString) }
            sawHighBit = true
            index += 1
        }
        lastStringWasVerbatim = false
        return try parseEscapedString(start: start, sawHighBit: sawHighBit)
    }

    /// The index of the first byte at or after `from` that ends a run of plain string bytes: a
    /// quote, a backslash, a control character or a non-ASCII byte (`bytes.count` if none).
    /// Eight bytes at a time.
    @inline(__always)
    func plainRunEnd(from: Int) -> Int {
        var i = from
        let n = bytes.count
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= n {
                let special = Self.specialBytes(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                if special != 0 { return i + special.trailingZeroBitCount / 8 }
                i += 8
            }
        }
        while i < n {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { return i }
            i += 1
        }
        return i
    }

    /// The high bit of each of the eight bytes of `word` (little-endian) that is a quote, a
    /// backslash, below 0x20 or above 0x7F (the classic "has a zero byte" bit trick). Bits above
    /// the lowest may be false positives, so only the lowest one is meaningful: the first special
    /// byte is `trailingZeroBitCount / 8`.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let quoteZero = (quote &- ones) & ~quote & highs
        let backslashZero = (backslash &- ones) & ~backslash & highs
        let control = (word &- ones &* 0x20) & ~word & highs
        return quoteZero | backslashZero | control | (word & highs)
    }

    /// The rest of a string with escapes, from `start` (after its opening quote); `index` is at
    /// its first backslash. One sequential pass into a buffer that grows by doubling (the
    /// unescaped text is never longer than the rest of the document), copying plain bytes eight
    /// at a time: oslo's double-encoded messages are long strings with an escape every few bytes.
    mutating func parseEscapedString(start: Int, sawHighBit: Bool) throws(JSONParseError) -> String {
        guard let base = bytes.baseAddress else { throw error(.unexpectedEnd) }
        let raw = UnsafeRawPointer(base)
        let n = bytes.count
        var sawHighBit = sawHighBit
        let limit = n - start + 8
        var capacity = Swift.min(limit, Swift.max(1024, 4 * (index - start) + 8))
        var out = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { out.deallocate() }
        var o = index - start
        out.copyMemory(from: raw + start, byteCount: o)
        var i = index
        while true {
            if o + 8 > capacity {
                let grown = Swift.min(limit, 2 * capacity)
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
                bigger.copyMemory(from: out, byteCount: o)
                out.deallocate()
                out = bigger
                capacity = grown
            }
            // Plain bytes, a word at a time: the whole word is stored, and the part after the
            // first special byte is overwritten by what follows.
            if i + 8 <= n {
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let special = Self.specialBytes(UInt64(littleEndian: word))
                out.storeBytes(of: word, toByteOffset: o, as: UInt64.self)
                if special == 0 {
                    i += 8
                    o += 8
                    continue
                }
                let plain = special.trailingZeroBitCount / 8
                i += plain
                o += plain
            } else if i >= n {
                index = i
                throw error(.unexpectedEnd)
            }
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "\""):
                index = i + 1
                let text = UnsafeRawBufferPointer(start: out, count: o)
                if !sawHighBit { return String(decoding: text, as: UTF8.self) }
                guard let s = String(validating: text, as: UTF8.self) else {
                    throw JSONParseError(reason: .invalidUTF8, offset: start)
                }
                return s
            case UInt8(ascii: "\\"):
                index = i + 1
                let escaped = try peek()
                i += 2
                let unescaped: UInt8
                switch escaped {
                case UInt8(ascii: "\""): unescaped = 0x22
                case UInt8(ascii: "\\"): unescaped = 0x5C
                case UInt8(ascii: "/"): unescaped = 0x2F
                case UInt8(ascii: "b"): unescaped = 0x08
                case UInt8(ascii: "f"): unescaped = 0x0C
                case UInt8(ascii: "n"): unescaped = 0x0A
                case UInt8(ascii: "r"): unescaped = 0x0D
                case UInt8(ascii: "t"): unescaped = 0x09
                case UInt8(ascii: "u"):
                    index = i
                    let scalar = try parseUnicodeEscape()
                    i = index
                    if scalar >= 0x80 { sawHighBit = true }
                    o += writeUTF8(scalar, to: (out + o).assumingMemoryBound(to: UInt8.self))
                    continue
                default:
                    index = i - 1
                    throw error(.invalidEscape)
                }
                out.storeBytes(of: unescaped, toByteOffset: o, as: UInt8.self)
                o += 1
            case 0..<0x20:
                index = i
                throw error(.controlCharacterInString)
            default:
                // Plain: non-ASCII, or a byte of the document's last seven.
                if byte >= 0x80 { sawHighBit = true }
                out.storeBytes(of: byte, toByteOffset: o, as: UInt8.self)
                o += 1
                i += 1
            }
        }
    }

    /// The scalar of a `\u` escape whose four hex digits start at `index` (a surrogate pair when
    /// one follows; a lone surrogate becomes U+FFFD); `index` moves past it.
    mutating func parseUnicodeEscape() throws(JSONParseError) -> UInt32 {
        var scalar = try parseHex4()
        if (0xD800...0xDBFF).contains(scalar) {
            if bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                let save = index
                index += 2
                let low = try parseHex4()
                if (0xDC00...0xDFFF).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    index = save
                    scalar = 0xFFFD
                }
            } else {
                scalar = 0xFFFD
            }
        } else if (0xDC00...0xDFFF).contains(scalar) {
            scalar = 0xFFFD
        }
        return scalar
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {

        guard bytes.count - index >= 4 else { throw error(.unexpectedEnd) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error(.invalidEscape)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}

/// Writes `scalar` as UTF-8 at `out` (room for four bytes); returns the number of bytes written.
@inline(__always)
func writeUTF8(_ scalar: UInt32, to out: UnsafeMutablePointer<UInt8>) -> Int {
    switch scalar {
    case 0..<0x80:
        out[0] = UInt8(scalar)
        return 1
    case 0x80..<0x800:
        out[0] = UInt8(0xC0 | (scalar >> 6))
        out[1] = UInt8(0x80 | (scalar & 0x3F))
        return 2
    case 0x800..<0x10000:
        out[0] = UInt8(0xE0 | (scalar >> 12))
        out[1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
        out[2] = UInt8(0x80 | (scalar & 0x3F))
        return 3
    default:
        out[0] = UInt8(0xF0 | (scalar >> 18))
        out[1] = UInt8(0x80 | ((scalar >> 12) & 0x3F))
        out[2] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
        out[3] = UInt8(0x80 | (scalar & 0x3F))
        return 4
    }
}
