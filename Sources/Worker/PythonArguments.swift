import JSON

/// Binds positional and keyword arguments to a remotable method's parameters the way Python
/// does, with Python's `TypeError` messages, so a bad call fails like it would in magnum.
struct PythonSignature: Sendable {
    /// `Cluster.get_by_uuid` — Python 3.10+ prefixes messages with the qualified name.
    let qualifiedName: String
    /// Parameters after `cls`/`self` and `context`, with their defaults (`nil`: required).
    let parameters: [(name: String, defaultValue: JSONValue?)]
    /// `context` has a default (`save(self, context=None)`) rather than being required
    /// (`get_by_uuid(cls, context, uuid)`).
    let contextOptional: Bool

    init(_ qualifiedName: String, _ parameters: [(String, JSONValue?)], contextOptional: Bool = false) {
        self.qualifiedName = qualifiedName
        self.parameters = parameters.map { (name: $0.0, defaultValue: $0.1) }
        self.contextOptional = contextOptional
    }

    static func required(_ names: String...) -> [(String, JSONValue?)] { names.map { ($0, nil) } }

    func bind(_ args: [JSONValue], _ kwargs: JSONObject) throws(IndirectionFailure) -> [String: JSONValue] {
        if args.count > parameters.count {
            // Python counts `cls`/`self` and `context` too; the handler always passes context.
            let maximum = parameters.count + 2
            let minimum = parameters.filter { $0.defaultValue == nil }.count + (contextOptional ? 1 : 2)
            let takes = minimum == maximum ? "\(maximum)" : "from \(minimum) to \(maximum)"
            let noun = maximum == 1 && minimum == maximum ? "argument" : "arguments"
            throw .typeError("\(qualifiedName)() takes \(takes) positional \(noun) but \(args.count + 2) were given")
        }
        var bound: [String: JSONValue] = [:]
        for (i, value) in args.enumerated() { bound[parameters[i].name] = value }
        for (key, value) in kwargs {
            guard parameters.contains(where: { $0.name == key }) else {
                throw .typeError("\(qualifiedName)() got an unexpected keyword argument '\(key)'")
            }
            if bound[key] != nil { throw .typeError("\(qualifiedName)() got multiple values for argument '\(key)'") }
            bound[key] = value
        }
        let missing = parameters.filter { bound[$0.name] == nil && $0.defaultValue == nil }.map(\.name)
        if !missing.isEmpty {
            let quoted = missing.map { "'\($0)'" }
            let list = quoted.count == 1 ? quoted[0]
                : quoted.dropLast().joined(separator: ", ") + (quoted.count > 2 ? "," : "") + " and " + quoted[quoted.count - 1]
            throw .typeError("\(qualifiedName)() missing \(missing.count) required positional argument\(missing.count == 1 ? "" : "s"): \(list)")
        }
        for p in parameters where bound[p.name] == nil { bound[p.name] = p.defaultValue ?? .null }
        return bound
    }
}
