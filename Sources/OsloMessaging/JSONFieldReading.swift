import JSON

/// Typed reads of message keys that report wrong types as `MessageDecodingError`s.
extension JSONObject {
    /// A string key; absent or `null` is `nil`, any other type is an error.
    func optionalString(_ key: String) throws(MessageDecodingError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw .wrongType(field: key, expected: "string", actual: other.typeName)
        }
    }

    func requiredString(_ key: String) throws(MessageDecodingError) -> String {
        guard let value = self[key] else { throw .missingField(key) }
        guard case .string(let s) = value else { throw .wrongType(field: key, expected: "string", actual: value.typeName) }
        return s
    }

    func optionalBool(_ key: String) throws(MessageDecodingError) -> Bool? {
        switch self[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let other?: throw .wrongType(field: key, expected: "boolean", actual: other.typeName)
        }
    }
}

/// Typed reads of the values `RequestContext.partition` returns for a list of key names.
extension Array where Element == JSONValue? {
    /// The value at `i` (for key `names[i]`) as a string; absent or `null` is `nil`.
    func optionalString(_ i: Int, names: [String]) throws(MessageDecodingError) -> String? {
        switch self[i] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw .wrongType(field: names[i], expected: "string", actual: other.typeName)
        }
    }

    /// The value at `i` (for key `names[i]`), which must be a string.
    func requiredString(_ i: Int, names: [String]) throws(MessageDecodingError) -> String {
        guard let value = self[i] else { throw .missingField(names[i]) }
        guard case .string(let s) = value else { throw .wrongType(field: names[i], expected: "string", actual: value.typeName) }
        return s
    }
}
