/// How a `JSONValue` is turned into text.
///
/// `.python` reproduces `json.dumps(obj)` as oslo.messaging calls it (separators `", "` and
/// `": "`, every non-ASCII character escaped), so what we put on the bus reads like what a Python
/// service sends. `.compact` is the smallest form; `.canonical` sorts keys for output that must
/// be byte-identical between runs (golden files, replay results).
public struct JSONWriterOptions: Sendable, Equatable {
    public var itemSeparator: String
    public var keySeparator: String
    public var escapeNonASCII: Bool
    public var sortKeys: Bool
    /// Spaces per level; `nil` writes everything on one line.
    public var indent: Int?

    public init(itemSeparator: String, keySeparator: String, escapeNonASCII: Bool, sortKeys: Bool, indent: Int? = nil) {
        self.itemSeparator = itemSeparator
        self.keySeparator = keySeparator
        self.escapeNonASCII = escapeNonASCII
        self.sortKeys = sortKeys
        self.indent = indent
    }

    public static let python = JSONWriterOptions(itemSeparator: ", ", keySeparator: ": ", escapeNonASCII: true, sortKeys: false)
    public static let compact = JSONWriterOptions(itemSeparator: ",", keySeparator: ":", escapeNonASCII: false, sortKeys: false)
    public static let canonical = JSONWriterOptions(itemSeparator: ",", keySeparator: ":", escapeNonASCII: false, sortKeys: true)
    /// Sorted, indented by two spaces: for files people read and diff.
    public static let pretty = JSONWriterOptions(itemSeparator: ",", keySeparator: ": ", escapeNonASCII: false, sortKeys: true, indent: 2)
}

extension JSONValue {
    /// The UTF-8 bytes of this value written with `options`.
    public func serialized(_ options: JSONWriterOptions = .python) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        var writer = JSONWriter(options: options)
        writer.write(self, into: &out, level: 0)
        return out
    }

    /// This value as JSON text.
    public func jsonString(_ options: JSONWriterOptions = .python) -> String {
        String(decoding: serialized(options), as: UTF8.self)
    }
}

extension String {
    /// This string as a JSON string literal (with quotes), escaped like Python's `json.dumps`.
    public func jsonQuoted(escapeNonASCII: Bool = true) -> String {
        var out: [UInt8] = []
        JSONWriter.writeString(self, into: &out, escapeNonASCII: escapeNonASCII)
        return String(decoding: out, as: UTF8.self)
    }
}

struct JSONWriter {
    let options: JSONWriterOptions
    let itemSeparator: [UInt8]
    let keySeparator: [UInt8]

    init(options: JSONWriterOptions) {
        self.options = options
        // With an indent Python drops the trailing space of the item separator, and so do we.
        var item = Array(options.itemSeparator.utf8)
        if options.indent != nil, item.last == 0x20 { item.removeLast() }
        self.itemSeparator = item
        self.keySeparator = Array(options.keySeparator.utf8)
    }

    func newline(_ out: inout [UInt8], level: Int) {
        guard let indent = options.indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: indent * level))
    }

    mutating func write(_ value: JSONValue, into out: inout [UInt8], level: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: Self.pythonRepr(d).utf8)
        case .string(let s): Self.writeString(s, into: &out, escapeNonASCII: options.escapeNonASCII)
        case .array(let array):
            if array.isEmpty {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for (i, element) in array.enumerated() {
                if i > 0 { out.append(contentsOf: itemSeparator) }
                newline(&out, level: level + 1)
                write(element, into: &out, level: level + 1)
            }
            newline(&out, level: level)
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            if object.isEmpty {
                out.append(contentsOf: "{}".utf8)
                return
            }
            out.append(UInt8(ascii: "{"))
            var first = true
            func member(_ key: String, _ value: JSONValue, _ out: inout [UInt8], _ writer: inout JSONWriter) {
                if !first { out.append(contentsOf: writer.itemSeparator) }
                first = false
                writer.newline(&out, level: level + 1)
                Self.writeString(key, into: &out, escapeNonASCII: writer.options.escapeNonASCII)
                out.append(contentsOf: writer.keySeparator)
                writer.write(value, into: &out, level: level + 1)
            }
            if options.sortKeys {
                for key in object.keys.sorted() {
                    member(key, object[key] ?? .null, &out, &self)
                }
            } else {
                for (key, value) in object { member(key, value, &out, &self) }
            }
            newline(&out, level: level)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Python's `repr(float)` as `json.dumps` writes it.
    static func pythonRepr(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return d.description
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeEscapedUnit(_ unit: UInt16, into out: inout [UInt8]) {
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
        out.append(hexDigits[Int(unit >> 12) & 0xF])
        out.append(hexDigits[Int(unit >> 8) & 0xF])
        out.append(hexDigits[Int(unit >> 4) & 0xF])
        out.append(hexDigits[Int(unit) & 0xF])
    }

    static func writeString(_ string: String, into out: inout [UInt8], escapeNonASCII: Bool) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            // Copy runs of bytes that need no escaping in one go.
            var runStart = 0
            var i = 0
            func flush(_ end: Int) {
                if end > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<end])) }
            }
            while i < utf8.count {
                let byte = utf8[i]
                if byte >= 0x20 && byte != 0x22 && byte != 0x5C && (byte < 0x80 || !escapeNonASCII) {
                    i += 1
                    continue
                }
                flush(i)
                switch byte {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                case 0..<0x20: writeEscapedUnit(UInt16(byte), into: &out)
                default:
                    // Non-ASCII with escaping on: decode one scalar, write UTF-16 escapes.
                    var length = 1
                    var scalar: UInt32
                    if byte & 0xE0 == 0xC0 { length = 2; scalar = UInt32(byte & 0x1F) }
                    else if byte & 0xF0 == 0xE0 { length = 3; scalar = UInt32(byte & 0x0F) }
                    else { length = 4; scalar = UInt32(byte & 0x07) }
                    for k in 1..<length where i + k < utf8.count {
                        scalar = scalar << 6 | UInt32(utf8[i + k] & 0x3F)
                    }
                    if scalar >= 0x10000 {
                        let v = scalar - 0x10000
                        writeEscapedUnit(UInt16(0xD800 + (v >> 10)), into: &out)
                        writeEscapedUnit(UInt16(0xDC00 + (v & 0x3FF)), into: &out)
                    } else {
                        writeEscapedUnit(UInt16(scalar), into: &out)
                    }
                    i += length
                    runStart = i
                    continue
                }
                i += 1
                runStart = i
            }
            flush(utf8.count)
        }
        out.append(UInt8(ascii: "\""))
    }
}
