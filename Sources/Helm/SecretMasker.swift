internal import Foundation
public import JSON

/// Masks secrets in text that leaves the executor (error details, log lines): what must never reach
/// Magnum's `status_reason` or a log even when helm echoes it back.
///
/// It replaces with `***`: given literal secrets (from the values under secret-looking keys, from
/// a kubeconfig's tokens and keys, or whatever the caller adds); PEM blocks; passwords in URLs;
/// the value after a secret-looking key (`password: x`, `"token": "x"`, `secret=x`, `Bearer x`);
/// long opaque tokens (mixed-case letters with digits, the shape of application credential
/// secrets, bearer tokens and base64 keys); and any verbatim copy of the values document.
public struct SecretMasker: Sendable {
    public static let mask = "***"

    /// Exact strings to hide, longest first.
    public private(set) var literals: [String]

    public init(literals: [String] = []) {
        self.literals = []
        add(literals)
    }

    /// Adds literal secrets (strings shorter than 4 characters are ignored: masking them would
    /// garble ordinary words without protecting anything).
    public mutating func add(_ secrets: [String]) {
        let fresh = secrets.filter { $0.count >= 4 && !literals.contains($0) }
        literals = (literals + fresh).sorted { $0.count > $1.count }
    }

    /// A masker for one helm call: the values' secret-looking strings and their serialized forms.
    public func adding(values: JSONValue?) -> SecretMasker {
        guard let values else { return self }
        var copy = self
        copy.add(Self.sensitiveStrings(in: values))
        if case .object(let object) = values, !object.isEmpty {
            copy.add([values.jsonString(.python), values.jsonString(.compact)])
        }
        return copy
    }

    public func adding(kubeconfig: HelmKubeconfig?) -> SecretMasker {
        guard case .content(let text) = kubeconfig else { return self }
        var copy = self
        copy.add(Self.sensitiveStrings(inKubeconfig: text) + [text])
        return copy
    }

    /// The text with every secret replaced by `***`.
    public func mask(_ text: String) -> String {
        var result = text
        for literal in literals where result.contains(literal) {
            result = result.replacingOccurrences(of: literal, with: Self.mask)
        }
        for (pattern, template) in Self.patterns {
            result = pattern.stringByReplacingMatches(
                in: result, range: NSRange(result.startIndex..., in: result), withTemplate: template)
        }
        return result
    }

    /// Keys whose values are secrets, in values documents, kubeconfigs and messages.
    static let sensitiveKey =
        #"(?:password|passwd|passphrase|secret|token|credential|api[_-]?key|private[_-]?key|client[_-]?key|key[_-]?data|authorization|cookie)"#

    /// String leaves of `values` that sit under a secret-looking key (at any depth) or look like
    /// opaque tokens.
    public static func sensitiveStrings(in values: JSONValue) -> [String] {
        var found: [String] = []
        func walk(_ value: JSONValue, sensitive: Bool) {
            switch value {
            case .string(let text):
                if sensitive || looksOpaque(text) { found.append(text) }
            case .array(let items):
                for item in items { walk(item, sensitive: sensitive) }
            case .object(let object):
                for (key, child) in object {
                    walk(child, sensitive: sensitive || isSensitiveKey(key))
                }
            default:
                break
            }
        }
        walk(values, sensitive: false)
        return found
    }

    /// `token`, `password`, `client-key-data`, ... values of a kubeconfig.
    public static func sensitiveStrings(inKubeconfig text: String) -> [String] {
        var found: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingWhitespace().trimmingCharacters(in: CharacterSet(charactersIn: "-\"' "))
            guard isSensitiveKey(key) else { continue }
            let value = line[line.index(after: colon)...].trimmingWhitespace()
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if !value.isEmpty { found.append(value) }
        }
        return found
    }

    static func isSensitiveKey(_ key: String) -> Bool {
        key.range(of: sensitiveKey, options: [.regularExpression, .caseInsensitive]) != nil
            && !key.lowercased().hasSuffix("secretname")
    }

    /// Mixed-case letters and digits, 24 characters or more, no spaces: a token, not a name
    /// (Kubernetes names, UUIDs and digests are lower-case).
    static func looksOpaque(_ text: String) -> Bool {
        guard text.count >= 24, !text.contains(" ") else { return false }
        var upper = false, lower = false, digit = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "A"..."Z": upper = true
            case "a"..."z": lower = true
            case "0"..."9": digit = true
            case "+", "/", "=", "_", "-", ".": continue
            default: return false
            }
        }
        return upper && lower && digit
    }

    static let patterns: [(NSRegularExpression, String)] = {
        let specs: [(String, String)] = [
            // PEM blocks (private keys, certificates with keys).
            (#"-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----"#, "***"),
            // user:password@ in URLs.
            (#"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+):[^@\s/]+@"#, "$1:***@"),
            // Authorization headers.
            (#"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"#, "$1 ***"),
            // key: value, "key": "value", key=value for secret-looking keys.
            (#"(?i)([A-Za-z0-9_.-]*"# + sensitiveKey + #"[A-Za-z0-9_.-]*["']?\s*[:=]\s*["']?)([^\s"',}\]]+)"#, "$1***"),
            // Opaque tokens: 24+ characters mixing upper case, lower case and digits.
            (#"(?<![A-Za-z0-9+/=_.-])(?=[A-Za-z0-9+/=_.-]*[A-Z])(?=[A-Za-z0-9+/=_.-]*[a-z])(?=[A-Za-z0-9+/=_.-]*[0-9])[A-Za-z0-9+/=_.-]{24,}(?![A-Za-z0-9+/=_.-])"#, "***"),
        ]
        return specs.compactMap { pattern, template in
            (try? NSRegularExpression(pattern: pattern)).map { ($0, template) }
        }
    }()
}
