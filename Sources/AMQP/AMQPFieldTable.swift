/// One value of an AMQP field table (message headers, queue and exchange arguments).
///
/// Every AMQP 0-9-1 field type RabbitMQ knows is here, so headers survive a round trip
/// unchanged. A long string ('S') that is not valid UTF-8 is read as `.bytes`.
public indirect enum AMQPFieldValue: Sendable, Hashable {
    case boolean(Bool)
    case int8(Int8)
    case uint8(UInt8)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case float(Float)
    case double(Double)
    case decimal(AMQPDecimal)
    /// Long string ('S').
    case string(String)
    /// Byte array ('x').
    case bytes([UInt8])
    /// Seconds since the Unix epoch ('T').
    case timestamp(UInt64)
    case array([AMQPFieldValue])
    case table(AMQPFieldTable)
    case void

    /// The value as a string, when it is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value as an integer, when it is one of the integer types and fits.
    public var intValue: Int? {
        switch self {
        case .int8(let v): Int(v)
        case .uint8(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int64(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        default: nil
        }
    }
}

/// AMQP's decimal: `value × 10^-scale`.
public struct AMQPDecimal: Sendable, Hashable {
    public var scale: UInt8
    public var value: UInt32
    public init(scale: UInt8, value: UInt32) {
        self.scale = scale
        self.value = value
    }
}

extension AMQPFieldValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    /// Integer literals become `.int64` ('l'), which RabbitMQ accepts for every numeric argument.
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: AMQPFieldValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, AMQPFieldValue)...) {
        self = .table(AMQPFieldTable(elements.map { AMQPFieldTable.Entry(key: $0.0, value: $0.1) }))
    }
}

/// An AMQP field table: ordered `key → value` entries (keys are short strings, at most 255 bytes).
///
/// Order is kept as received; the subscript finds the first entry with a key.
public struct AMQPFieldTable: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: AMQPFieldValue
        public init(key: String, value: AMQPFieldValue) {
            self.key = key
            self.value = value
        }
    }

    public var entries: [Entry]

    public init() { entries = [] }
    public init(_ entries: [Entry]) { self.entries = entries }
    public init(dictionaryLiteral elements: (String, AMQPFieldValue)...) {
        entries = elements.map { Entry(key: $0.0, value: $0.1) }
    }

    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }
    public subscript(position: Int) -> Entry { entries[position] }

    /// The value of the first entry named `key`; setting replaces it (or appends), nil removes it.
    public subscript(key: String) -> AMQPFieldValue? {
        get { entries.first(where: { $0.key == key })?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }

    public var keys: [String] { entries.map(\.key) }
}
