internal import Foundation
public import Logging

/// Hides secrets in everything a log handler writes: the message, every metadata value (at any
/// depth) and the error text. The log handlers of this module apply it to every record, so no
/// caller has to remember to.
///
/// Stricter than oslo_utils' `mask_password`, which it extends. In order:
/// 1. registered secret values (`KnownSecrets`), verbatim, percent-encoded, JSON-escaped, base64;
/// 2. PEM private-key blocks (also truncated ones and their JSON-escaped form);
/// 3. URL passwords, `scheme://user:password@host`, in every host of a multi-host URL;
/// 4. HTTP credentials: `Authorization`, `X-Auth-Token`, `X-Subject-Token`, `Cookie` headers
///    (to the end of the header value) and `Bearer`/`Basic` credentials;
/// 5. values under secret-looking keys (`password`, `secret`, `token`, `credential`,
///    `private_key`, `client-key-data`, ...) in `key=value`, `key: value` (YAML), `"key": "value"`
///    (JSON, Python reprs, JSON escaped inside JSON), `--key value`, `<key>value</key>` and
///    `| key | value |` (openstack CLI tables) forms;
/// 6. Keystone Fernet tokens (`gAAAAA...`) and JWTs (`eyJ...`: Keystone JWS, Kubernetes service
///    account tokens) wherever they appear;
/// 7. base64-encoded PEM blocks other than certificates and public keys (kubeconfig
///    `client-key-data`), and long opaque tokens: 40+ characters of the base64 alphabet mixing
///    upper case, lower case and digits (application-credential secrets, API keys).
///
/// Secrets are replaced by `***`, as oslo.utils does. Keys whose names end in `_id`, `_name`,
/// `_file`, `_path`, `_type`, `_url`, ... (`application_credential_id`, `token_file`) are not
/// treated as secret.
public struct LogRedactor: Sendable {
    public static let mask = "***"

    public let knownSecrets: KnownSecrets

    public init(knownSecrets: KnownSecrets = KnownSecrets()) {
        self.knownSecrets = knownSecrets
    }

    // MARK: Text

    /// The text with every secret replaced by `***`.
    public func redact(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        var result = redactKnownSecrets(text)
        // A single word (ids, names, numbers: most metadata values) can only hold a token by its
        // shape; the key, URL and header rules need punctuation or spaces.
        let singleWord = result.utf8.allSatisfy(Self.isWordByte)
        let lowered = Array(result.lowercased().utf8)
        for rule in Self.rules where !(singleWord && rule.needsPunctuation)
            && rule.triggers.allSatisfy({ group in group.contains { Self.contains(lowered, $0) } }) {
            result = rule.regex.stringByReplacingMatches(
                in: result, range: NSRange(result.startIndex..., in: result), withTemplate: rule.template)
        }
        return Self.maskOpaqueRuns(result)
    }

    /// Only the registered secrets (the last pass over a formatted line).
    func redactKnownSecrets(_ text: String) -> String {
        let literals = knownSecrets.entries
        guard !literals.isEmpty else { return text }
        var result = text
        var bytes = Array(result.utf8)
        for literal in literals where Self.contains(bytes, literal.bytes) {
            result = result.replacingOccurrences(of: literal.text, with: Self.mask)
            bytes = Array(result.utf8)
        }
        return result
    }

    // MARK: Metadata

    /// Metadata with every value (and key) redacted; the whole value of a secret-looking key is
    /// hidden.
    public func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var out: Logger.Metadata = [:]
        for (key, value) in metadata { out[redact(key)] = redact(value, key: key) }
        return out
    }

    /// One metadata value, redacted (`.stringConvertible` values are rendered to text first, so
    /// a type's `description` cannot smuggle a secret past the redactor).
    public func redact(_ value: Logger.MetadataValue, key: String?) -> Logger.MetadataValue {
        if let key, Self.isSecretKey(key) { return .string(Self.mask) }
        switch value {
        case .string(let text): return .string(redact(text))
        case .stringConvertible(let convertible): return .string(redact(convertible.description))
        case .array(let items): return .array(items.map { redact($0, key: nil) })
        case .dictionary(let dict):
            var out: Logger.Metadata = [:]
            for (k, v) in dict { out[redact(k)] = redact(v, key: k) }
            return .dictionary(out)
        }
    }

    /// Whether a key (metadata key, JSON field, header) names a secret.
    public static func isSecretKey(_ key: String) -> Bool {
        guard let regex = secretKeyRegex else { return true }
        return regex.firstMatch(in: key, range: NSRange(key.startIndex..., in: key)) != nil
    }

    // MARK: Rules

    /// Substrings of a secret-looking key (case-insensitive), with the characters allowed around them.
    static let keyStems =
        #"(?:password|passwd|passphrase|pswd|pwd|secret|token|credential|private[_.-]?key|client[_.-]?key|key[_.-]?data|api[_.-]?key|access[_.-]?key|auth[_.-]?key|ssl[_.-]?key|tls[_.-]?key|fernet[_.-]?key|encrypted[_.-]?key|admin[_.-]?pass|new[_.-]?pass|configdrive|cookie|authorization)"#
    /// Key suffixes that name something about a secret, not the secret.
    static let keyExclusions =
        #"(?<![_.-]id|[_.-]ids|name|names|[_.-]file|[_.-]files|[_.-]path|[_.-]dir|[_.-]type|[_.-]url|[_.-]uri|[_.-]ref|[_.-]refs|[_.-]expiry|[_.-]expires|[_.-]expires_at|[_.-]ttl|[_.-]count|[_.-]length|[_.-]size|[_.-]format|[_.-]endpoint|[_.-]enabled|[_.-]total)"#
    /// A whole key word that contains a stem and does not end in an exclusion. The lookahead
    /// finds the stem, the possessive run takes the whole word without backtracking: each word is
    /// looked at once, so long lines cost linear time.
    static let keyBody = #"(?=[A-Za-z0-9_.-]*?"# + keyStems + #")[A-Za-z0-9_.-]++"# + keyExclusions
    /// `keyBody` starting at the beginning of a word.
    static let key = #"(?<![A-Za-z0-9_.-])"# + keyBody

    static let secretKeyRegex = try? NSRegularExpression(
        pattern: "^" + key + "$", options: [.caseInsensitive])

    struct Rule: @unchecked Sendable {
        let name: String
        let regex: NSRegularExpression
        let template: String
        /// Groups of lower-case substrings: the rule is tried only when every group has one of
        /// its substrings in the lower-cased text (most lines skip most rules).
        let triggers: [[[UInt8]]]
        /// Whether a match needs a character other than letters, digits, `_`, `.` and `-`.
        var needsPunctuation: Bool { name != "fernet-token" && name != "jwt" }
    }

    static func isWordByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static let stemTriggers = ["pass", "pwd", "pswd", "secret", "token", "credential", "key", "cookie",
                               "authorization", "configdrive"]

    /// (name, pattern, template, trigger groups)
    static let ruleSpecs: [(String, String, String, [[String]])] = [
        ("pem-private-key",
         #"-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|\z)"#,
         "***", [["private key"]]),
        ("url-password",
         #"((?:(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://|,)[^\s:/?#@,"'<>\\]*):[^\s/?#,"'<>\\]*@"#,
         "$1:***@", [["@"], [":"]]),
        ("http-credential-header",
         #"(?i)\b((?:proxy-)?authorization|x-auth-token|x-subject-token|x-service-token|x-auth-key|set-cookie|cookie)(["']?[ \t]*[:=][ \t]*["']?)(?!\*\*\*)[^\r\n"']+"#,
         "$1$2***", [["authorization", "x-auth", "x-subject", "x-service", "cookie"]]),
        ("http-credential-scheme",
         #"\b(Bearer|bearer|BEARER|Basic|Negotiate)([ \t]+)(?![a-z]+\b)[A-Za-z0-9._~+/=-]{8,}"#,
         "$1$2***", [["bearer", "basic", "negotiate"]]),
        ("quoted-value-double",
         #"(?i)(["']?"# + key + #"["']?[ \t]*[:=][ \t]*u?)"(?:[^"\\\r\n]|\\.)*""#,
         "$1\"***\"", [stemTriggers, ["\""], [":", "="]]),
        ("quoted-value-single",
         #"(?i)(["']?"# + key + #"["']?[ \t]*[:=][ \t]*u?)'(?:[^'\\\r\n]|\\.)*'"#,
         "$1'***'", [stemTriggers, ["'"], [":", "="]]),
        ("escaped-json-value",
         #"(?i)(\\+""# + key + #"\\+"[ \t]*:[ \t]*\\+")[^"]*?(?=\\+")"#,
         "$1***", [stemTriggers, ["\\\""]]),
        ("table-cell",
         #"(?i)(\|[ \t]*"# + key + #"[ \t]*\|[ \t]*)[^|\r\n]*?([ \t]*\|)"#,
         "$1***$2", [stemTriggers, ["|"]]),
        ("cli-option",
         #"(?i)((?<![A-Za-z0-9_])--"# + keyBody + #"[ \t]+)(?!-)("(?:[^"\\]|\\.)*"|'[^']*'|\S+)"#,
         "$1***", [stemTriggers, ["--"]]),
        ("key-equals-value",
         #"(?i)("# + key + #"[ \t]*=[ \t]*)(?!["'\s])(?!\*\*\*)[^\s"'&]+"#,
         "$1***", [stemTriggers, ["="]]),
        ("yaml-block-scalar",
         #"(?im)(^([ \t]*)(?:-[ \t]+)?"# + key + #"[ \t]*:[ \t]*[|>][-+0-9]*[ \t]*\r?\n)(?:\2[ \t]+[^\r\n]*(?:\r?\n|\z))+"#,
         "$1$2  ***\n", [stemTriggers, [":"], ["|", ">"], ["\n"]]),
        ("yaml-value",
         #"(?im)(^[ \t]*(?:-[ \t]+)?"# + key + #"[ \t]*:[ \t]*)(?!["'|>\s])(?!\*\*\*)[^\r\n]+"#,
         "$1***", [stemTriggers, [":"]]),
        ("flow-mapping-value",
         #"(?i)([{,][ \t]*"# + key + #"[ \t]*:[ \t]*)(?!["'\s])(?!\*\*\*)[^,}\r\n]+"#,
         "$1***", [stemTriggers, [":"], ["{", ","]]),
        ("xml-element",
         #"(?i)(<("# + key + #")(?:\s[^>]*)?>)[^<]*(</\2\s*>)"#,
         "$1***$3", [stemTriggers, ["<"]]),
        ("fernet-token",
         #"(?<![A-Za-z0-9_-])gAAAAA[A-Za-z0-9_-]{32,}={0,2}"#,
         "***", [["gaaaaa"]]),
        ("jwt",
         #"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*"#,
         "***", [["eyj"]]),
    ]

    static let rules: [Rule] = ruleSpecs.compactMap { name, pattern, template, triggers in
        (try? NSRegularExpression(pattern: pattern)).map {
            Rule(name: name, regex: $0, template: template, triggers: triggers.map { $0.map { Array($0.utf8) } })
        }
    }

    /// Whether `needle` occurs in `haystack` (memchr + memcmp: this runs for every rule on every
    /// line, and must stay cheap even in debug builds).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBytes { h -> Bool in
            needle.withUnsafeBytes { n -> Bool in
                guard let hBase = h.baseAddress, let nBase = n.baseAddress else { return false }
                let first = Int32(n[0])
                let lastStart = h.count - n.count
                var start = 0
                while start <= lastStart {
                    guard let found = memchr(hBase + start, first, lastStart - start + 1) else { return false }
                    let index = hBase.distance(to: UnsafeRawPointer(found))
                    if memcmp(hBase + index, nBase, n.count) == 0 { return true }
                    start = index + 1
                }
                return false
            }
        }
    }

    /// Whether every rule compiled (a test checks it: a rule that failed to compile would
    /// silently stop masking).
    public static var allRulesCompiled: Bool { rules.count == ruleSpecs.count && secretKeyRegex != nil }

    // MARK: Opaque tokens and base64 PEM

    static func isRunByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="),
             UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Masks runs of base64-alphabet characters that are private-key PEM in base64, or opaque
    /// tokens (see the type's documentation).
    static func maskOpaqueRuns(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 40 else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var changed = false
        var i = 0
        while i < bytes.count {
            guard isRunByte(bytes[i]) else {
                out.append(bytes[i])
                i += 1
                continue
            }
            var j = i
            while j < bytes.count, isRunByte(bytes[j]) { j += 1 }
            let run = bytes[i..<j]
            if run.count >= 20, shouldMask(run) {
                out.append(contentsOf: mask.utf8)
                changed = true
            } else {
                out.append(contentsOf: run)
            }
            i = j
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    /// "-----BEGIN" in base64, at the three possible alignments it takes in a base64 PEM.
    static let base64PEMPrefix = Array("LS0tLS1CRUdJTi".utf8)

    static func shouldMask(_ run: ArraySlice<UInt8>) -> Bool {
        if run.starts(with: base64PEMPrefix) {
            let prefix = Array(run.prefix(min(run.count, 96) / 4 * 4))
            guard let decoded = Data(base64Encoded: Data(prefix)) else { return true }
            let header = String(decoding: decoded, as: UTF8.self)
            if header.contains("PRIVATE") { return true }
            return !(header.contains("CERTIFICATE") || header.contains("PUBLIC KEY"))
        }
        guard run.count >= 40 else { return false }
        var upper = 0, lower = 0, digit = 0
        var longestSegment = 0, segment = 0, slashes = 0
        for b in run {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): upper += 1; segment += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"): lower += 1; segment += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit += 1; segment += 1
            case UInt8(ascii: "+"), UInt8(ascii: "="): segment += 1
            default:
                if b == UInt8(ascii: "/") { slashes += 1 }
                longestSegment = max(longestSegment, segment)
                segment = 0
            }
        }
        longestSegment = max(longestSegment, segment)
        // Paths (/var/lib/...) and hyphenated names are made of short segments; random tokens are not.
        if run.first == UInt8(ascii: "/") && slashes >= 2 { return false }
        guard longestSegment >= 16 else { return false }
        return upper >= 3 && lower >= 3 && digit >= 3
    }
}
