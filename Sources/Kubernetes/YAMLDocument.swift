import JSON
import Yams

/// YAML (kubeconfigs, apply bodies) as `JSONValue`, via Yams' node tree so that key order and the
/// int/float/string distinction survive. Scalars follow YAML 1.1 core resolution as Yams does
/// (`true`, `1`, `1.5`, `null`/`~`); quoted scalars stay strings.
enum YAMLDocument {
    struct Error: Swift.Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    static func parse(_ text: String) throws -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Error(message: YAMLDocument.describe(error))
        }
        guard let node else { return .null }
        return convert(node)
    }

    /// Yams' errors quote the offending line of the document; for kubeconfigs that line may hold a
    /// token or key, so only the position and the problem are kept.
    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _):
            return "YAML syntax error at line \(mark.line), column \(mark.column): \(problem)\(context.map { " (\($0.text))" } ?? "")"
        case .parser(let context, let problem, let mark, _):
            return "YAML syntax error at line \(mark.line), column \(mark.column): \(problem)\(context.map { " (\($0.text))" } ?? "")"
        case .composer(let context, let problem, let mark, _):
            return "YAML structure error at line \(mark.line), column \(mark.column): \(problem)\(context.map { " (\($0.text))" } ?? "")"
        default:
            return "YAML could not be read"
        }
    }

    static func convert(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if node.null != nil { return .null }
            if let bool = node.bool { return .bool(bool) }
            if let int = node.int { return .int(Int64(int)) }
            if let double = node.float { return .double(double) }
            return .string(scalar.string)
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                object[key.string ?? String(describing: key)] = convert(value)
            }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.map(convert))
        case .alias:
            return .null
        }
    }
}
