public import JSON

/// The oslo.versionedobjects field types Magnum's objects use, with the same coercion rules
/// (`StringField` accepts numbers and stringifies them, `IntegerField` accepts numeric strings,
/// `BooleanField` takes Python truthiness, `DateTimeField` normalises to `isotime`...).
public indirect enum FieldType: Sendable, Equatable {
    case integer
    case float
    case string
    case uuid
    case boolean
    case dateTime
    case dictOfStrings
    case listOfStrings
    /// `ListOfDictsField`: a list of JSON objects (Magnum's `node_taints`).
    case listOfDicts
    /// An enum field with its valid values (`ClusterStatusField`, ...).
    case enumeration([String])
    /// `ObjectField('ClusterTemplate')`: a nested object primitive.
    case object(String)
    /// Any JSON (`FlexibleDictField`-like), kept as is.
    case any
}

/// One field of a versioned object: its name, type, whether it may be null and its default.
public struct FieldSpec: Sendable, Equatable {
    public let name: String
    public let type: FieldType
    public let nullable: Bool
    /// The oslo field default, used when the field is set to null but is not nullable.
    public let defaultValue: JSONValue?

    public init(_ name: String, _ type: FieldType, nullable: Bool = false, default defaultValue: JSONValue? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.defaultValue = defaultValue
    }

    /// Turns `value` into this field's primitive form, or explains why it cannot be.
    public func coerce(_ value: JSONValue, objectName: String) throws(ObjectError) -> JSONValue {
        if value.isNull {
            if nullable { return .null }
            if let defaultValue { return try coerceNonNull(defaultValue, objectName: objectName) }
            throw ObjectError(.invalidFieldValue, objectName: objectName, "Field `\(name)' cannot be None")
        }
        return try coerceNonNull(value, objectName: objectName)
    }

    func invalid(_ what: String, _ value: JSONValue, _ objectName: String) -> ObjectError {
        ObjectError(.invalidFieldValue, objectName: objectName,
                    "\(what) is required in field \(name), not a \(value.pythonTypeName)")
    }

    func coerceNonNull(_ value: JSONValue, objectName: String) throws(ObjectError) -> JSONValue {
        switch type {
        case .any:
            return value
        case .integer:
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d):
                guard d.isFinite else { throw invalid("An integer", value, objectName) }
                return .int(Int64(d.rounded(.towardZero)))
            case .string(let s):
                guard let i = Int64(s.trimmingWhitespace()) else {
                    throw ObjectError(.invalidFieldValue, objectName: objectName,
                                      "invalid literal for int() with base 10: '\(s)'")
                }
                return .int(i)
            default: throw invalid("An integer", value, objectName)
            }
        case .float:
            switch value {
            case .int(let i): return .double(Double(i))
            case .double: return value
            case .string(let s):
                guard let d = Double(s.trimmingWhitespace()) else { throw invalid("A float", value, objectName) }
                return .double(d)
            default: throw invalid("A float", value, objectName)
            }
        case .string, .uuid:
            return .string(try Self.pythonStr(value, field: name, objectName: objectName))
        case .boolean:
            return .bool(value.pythonTruthiness)
        case .dateTime:
            guard case .string(let s) = value, let t = Timestamp(parsing: s) else {
                throw ObjectError(.invalidFieldValue, objectName: objectName,
                                  "A datetime.datetime is required in field \(name), not a \(value.pythonTypeName)")
            }
            return .string(t.isoPrimitive)
        case .dictOfStrings:
            guard case .object(let o) = value else { throw invalid("A dict", value, objectName) }
            var out = JSONObject(minimumCapacity: o.count)
            for (k, v) in o {
                // oslo coerces each element as the field `name[key]`, non-nullable.
                guard !v.isNull else {
                    throw ObjectError(.invalidFieldValue, objectName: objectName, "Field `\(name)[\(k)]' cannot be None")
                }
                out[k] = .string(try Self.pythonStr(v, field: "\(name)[\(k)]", objectName: objectName))
            }
            return .object(out)
        case .listOfStrings:
            guard case .array(let a) = value else { throw invalid("A list", value, objectName) }
            var out: [JSONValue] = []
            out.reserveCapacity(a.count)
            for v in a { out.append(.string(try Self.pythonStr(v, field: name, objectName: objectName))) }
            return .array(out)
        case .listOfDicts:
            guard case .array(let a) = value else { throw invalid("A list", value, objectName) }
            for v in a where v.objectValue == nil { throw invalid("A dict", v, objectName) }
            return value
        case .enumeration(let valid):
            let s = try Self.pythonStr(value, field: name, objectName: objectName)
            guard valid.contains(s) else {
                throw ObjectError(.invalidFieldValue, objectName: objectName,
                                  "Field value \(s) is invalid")
            }
            return .string(s)
        case .object(let expected):
            guard case .object(let o) = value, let name = o[PrimitiveKey.name]?.stringValue else {
                throw ObjectError(.invalidFieldValue, objectName: objectName,
                                  "An object of type \(expected) is required in field \(self.name), not a \(value.pythonTypeName)")
            }
            guard name == expected else {
                throw ObjectError(.invalidFieldValue, objectName: objectName,
                                  "An object of type \(expected) is required in field \(self.name), not a \(name)")
            }
            return value
        }
    }

    /// Python's `str()` for the types oslo's StringField accepts (int, float, str).
    static func pythonStr(_ value: JSONValue, field: String, objectName: String) throws(ObjectError) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "True" : "False"
        case .double(let d): return JSONValue.double(d).jsonString()
        default:
            throw ObjectError(.invalidFieldValue, objectName: objectName,
                              "A string is required in field \(field), not a \(value.pythonTypeName)")
        }
    }
}

extension JSONValue {
    /// The Python type name of the decoded value, for messages that match oslo's.
    public var pythonTypeName: String {
        switch self {
        case .null: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        }
    }

    /// Python's `bool(value)`.
    public var pythonTruthiness: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
