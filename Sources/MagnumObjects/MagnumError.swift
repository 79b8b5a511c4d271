public import JSON
public import OrderedCollections

/// One of Magnum's own exceptions (`magnum.common.exception`), carried with the class name,
/// message and keyword arguments Python would put in an RPC failure, so magnum-api re-raises the
/// same class and answers with the same HTTP status (`kwargs["code"]`).
public struct MagnumError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Python module magnum-api allows remote exceptions from.
    public static let module = "magnum.common.exception"

    struct Definition: Sendable {
        let parent: String?
        let template: String
        let code: Int
    }

    /// The exception class name, e.g. `ClusterNotFound`.
    public let className: String
    /// `str(exception)`: the formatted message.
    public let message: String
    /// The keyword arguments, with `code` added as Magnum does.
    public let kwargs: JSONObject

    /// Builds the exception Python's `exception.<className>(**kwargs)` (or `(message, **kwargs)`)
    /// would build. An unknown class name is treated like `MagnumException`.
    public init(_ className: String, _ kwargs: JSONObject = [:], message: String? = nil) {
        let definition = MagnumError.catalog[className]
        var kwargs = kwargs
        var message = message
        // Python's signature is `__init__(self, message=None, **kwargs)`: a `message` keyword is
        // the message itself, not a format argument.
        if message == nil, let given = kwargs.removeValue(forKey: "message") {
            message = given.isNull ? nil : PythonFormat.str(given)
        }
        if kwargs["code"] == nil { kwargs["code"] = .int(Int64(definition?.code ?? 500)) }
        let template = message ?? definition?.template ?? "An unknown exception occurred."
        self.className = className
        self.kwargs = kwargs
        // Magnum formats `message % kwargs` and keeps the template when that fails.
        self.message = PythonFormat.percent(template, kwargs) ?? template
    }

    /// HTTP status magnum-api returns for it.
    public var code: Int { kwargs["code"]?.intValue ?? 500 }

    public var description: String { "\(className): \(message)" }

    /// Whether this exception is `ancestor` or a subclass of it (Python's `isinstance`).
    public func isKind(of ancestor: String) -> Bool {
        var current: String? = className
        while let name = current {
            if name == ancestor { return true }
            current = MagnumError.catalog[name]?.parent
        }
        return ancestor == "MagnumException"
    }

    /// Whether Magnum defines an exception class of that name.
    public static func isKnownClass(_ name: String) -> Bool { catalog[name] != nil }

    // The ones the worker raises most, by name so call sites read like Magnum's.
    public static func clusterNotFound(_ cluster: String) -> MagnumError {
        MagnumError("ClusterNotFound", ["cluster": .string(cluster)])
    }
    public static func clusterTemplateNotFound(_ template: String) -> MagnumError {
        MagnumError("ClusterTemplateNotFound", ["clustertemplate": .string(template)])
    }
    public static func nodeGroupNotFound(_ nodegroup: String) -> MagnumError {
        MagnumError("NodeGroupNotFound", ["nodegroup": .string(nodegroup)])
    }
    public static func invalidParameterValue(_ err: String) -> MagnumError {
        MagnumError("InvalidParameterValue", ["err": .string(err)])
    }
    public static func notSupported(_ operation: String) -> MagnumError {
        MagnumError("NotSupported", ["operation": .string(operation)])
    }
}

/// Python's `%` string formatting with a mapping, and `str()` / `repr()` of decoded JSON — what
/// Magnum's messages are made of.
public enum PythonFormat {
    /// `template % kwargs` for `%(name)s`, `%(name)d`, `%(name)r` and `%%`; `nil` when a key is
    /// missing or the template is malformed (Python raises).
    public static func percent(_ template: String, _ kwargs: JSONObject) -> String? {
        var out = ""
        var i = template.startIndex
        while i < template.endIndex {
            let c = template[i]
            guard c == "%" else {
                out.append(c)
                i = template.index(after: i)
                continue
            }
            let next = template.index(after: i)
            guard next < template.endIndex else { return nil }
            if template[next] == "%" {
                out.append("%")
                i = template.index(after: next)
                continue
            }
            guard template[next] == "(", let close = template[next...].firstIndex(of: ")") else { return nil }
            let key = String(template[template.index(after: next)..<close])
            let conv = template.index(after: close)
            guard conv < template.endIndex, let value = kwargs[key] else { return nil }
            switch template[conv] {
            case "s": out += str(value)
            case "r": out += repr(value)
            case "d", "i":
                guard let n = value.intValue else { return nil }
                out += String(n)
            default: return nil
            }
            i = template.index(after: conv)
        }
        return out
    }

    /// Python's `str()` of a decoded JSON value.
    public static func str(_ value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return repr(value)
    }

    /// Python's `repr()` of a decoded JSON value (`None`, `True`, `'text'`, `{'a': 1}`).
    public static func repr(_ value: JSONValue) -> String {
        switch value {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d < 0 ? "-inf" : "inf" }
            return JSONValue.double(d).jsonString()
        case .string(let s): return reprString(s)
        case .array(let a): return "[" + a.map(repr).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.map { "\(reprString($0.key)): \(repr($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    static func reprString(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\\(quote)"
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }
}
