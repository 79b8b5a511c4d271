/// An `X509KeyPair` holds a private key and the passphrase that opens it: printing one (in a
/// log line, an error, a debugger dump) shows which key pair it is, never those two fields.
extension X509KeyPair: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let redactedFields: Set<String> = ["private_key", "private_key_passphrase"]

    public var description: String {
        var parts: [String] = []
        for spec in Self.schema.fields {
            guard let value = base[spec.name] else { continue }
            if Self.redactedFields.contains(spec.name) {
                parts.append("\(spec.name): \(value.isNull ? "None" : "<redacted>")")
            } else if spec.name == "certificate" {
                parts.append("certificate: \(value.isNull ? "None" : "<\(value.stringValue?.count ?? 0) characters>")")
            } else {
                parts.append("\(spec.name): \(value.stringValue ?? value.jsonString())")
            }
        }
        return "X509KeyPair(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description], displayStyle: .struct)
    }
}
