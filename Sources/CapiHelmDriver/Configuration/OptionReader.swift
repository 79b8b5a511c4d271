import JSON

/// Reads one `magnum.conf` section given as JSON values (strings from an INI file, or typed values
/// from a case file) with oslo.config's conversions for `StrOpt`, `IntOpt`, `BoolOpt` and
/// `ListOpt`.
struct OptionReader {
    let section: String
    let values: [String: JSONValue]

    func has(_ option: String) -> Bool { values[option] != nil }

    func error(_ option: String, _ message: String) -> ConfigurationError {
        ConfigurationError(section: section, option: option, message)
    }

    /// `StrOpt`; a JSON null means "unset" (`None`).
    func string(_ option: String) throws(ConfigurationError) -> String?? {
        guard let v = values[option] else { return .none }
        switch v {
        case .null: return .some(nil)
        case .string(let s): return .some(s)
        case .int, .double, .bool: return .some(PythonStr.of(v))
        case .array, .object: throw error(option, "expected a string, got \(v.typeName)")
        }
    }

    func string(_ option: String, choices: [String]) throws(ConfigurationError) -> String?? {
        let v = try string(option)
        if case .some(.some(let s)) = v, !choices.contains(s) {
            throw error(option, "Valid values are [\(choices.joined(separator: ", "))], but found '\(s)'")
        }
        return v
    }

    /// `IntOpt`.
    func int(_ option: String) throws(ConfigurationError) -> Int?? {
        guard let v = values[option] else { return .none }
        switch v {
        case .null: return .some(nil)
        case .int(let i): return .some(Int(i))
        case .double(let d):
            guard let i = Int(exactly: d) else { throw error(option, "expected an integer, got \(d)") }
            return .some(i)
        case .bool(let b): return .some(b ? 1 : 0)
        case .string(let s):
            guard let i = PythonText.int(s) else { throw error(option, "invalid literal for int() with base 10: '\(s)'") }
            return .some(i)
        case .array, .object: throw error(option, "expected an integer, got \(v.typeName)")
        }
    }

    /// `BoolOpt` (oslo accepts true/false, yes/no, on/off, 1/0, any case).
    func bool(_ option: String) throws(ConfigurationError) -> Bool?? {
        guard let v = values[option] else { return .none }
        switch v {
        case .null: return .some(nil)
        case .bool(let b): return .some(b)
        case .int(let i) where i == 0 || i == 1: return .some(i == 1)
        case .string(let s):
            let l = PythonText.strip(Substring(s)).lowercased()
            if ["true", "1", "on", "yes"].contains(l) { return .some(true) }
            if ["false", "0", "off", "no"].contains(l) { return .some(false) }
            throw error(option, "Unexpected boolean value '\(s)'")
        default: throw error(option, "expected a boolean, got \(v.typeName)")
        }
    }

    /// `ListOpt`: a JSON list, or a comma-separated string.
    func list(_ option: String) throws(ConfigurationError) -> [String]?? {
        guard let v = values[option] else { return .none }
        switch v {
        case .null: return .some(nil)
        case .array(let a): return .some(a.map { $0.stringValue ?? PythonStr.of($0) })
        case .string(let s):
            if PythonText.strip(Substring(s)).isEmpty { return .some([]) }
            return .some(s.split(separator: ",", omittingEmptySubsequences: false).map { String(PythonText.strip($0)) })
        default: throw error(option, "expected a list, got \(v.typeName)")
        }
    }
}

/// Python's `str()` of a decoded JSON scalar.
enum PythonStr {
    static func of(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        default: return v.jsonString()
        }
    }
}
