internal import Foundation
public import OsloConfig
import Synchronization

/// Secret values the worker knows at run time (the configured broker, database and Keystone
/// passwords, application-credential secrets it handles, kubeconfig tokens): hidden verbatim
/// wherever they appear in a log record, whatever shape the surrounding text has.
///
/// Shared by every log handler of the process; registering is cheap and may happen at any time
/// (the configuration at startup, a cluster's credentials when they are first read).
public final class KnownSecrets: Sendable {
    /// Shorter values are not registered: hiding every "abc" in every line would garble the log
    /// without protecting anything (the key=value and URL rules still hide them in context).
    public static let minimumLength = 4

    /// A registered form, with its UTF-8 bytes for a fast presence check.
    struct Literal: Sendable {
        let text: String
        let bytes: [UInt8]
    }

    private let literals = Mutex<[Literal]>([])

    public init(_ values: [String] = []) {
        register(contentsOf: values)
    }

    /// Registers a secret and the forms it takes when quoted in a URL or in JSON. A URL is not
    /// registered whole: the passwords in its user-info parts are (so its hosts stay readable).
    public func register(_ secret: String) {
        var forms: [String] = []
        if secret.contains("://") {
            for password in Self.urlPasswords(in: secret) {
                forms.append(contentsOf: Self.forms(of: password))
            }
        } else {
            forms = Self.forms(of: secret)
        }
        guard !forms.isEmpty else { return }
        literals.withLock { list in
            var changed = false
            for form in forms where !list.contains(where: { $0.text == form }) {
                list.append(Literal(text: form, bytes: Array(form.utf8)))
                changed = true
            }
            if changed { list.sort { $0.bytes.count > $1.bytes.count } }
        }
    }

    public func register(contentsOf secrets: some Sequence<String>) {
        for secret in secrets { register(secret) }
    }

    /// Registers the effective value of every option the registry marks `secret`
    /// (`transport_url`, `[database] connection`, `[keystone_authtoken] password`, ...).
    public func registerSecrets(of configuration: Configuration) {
        for name in configuration.registry.order {
            guard let spec = configuration.registry.spec(name), spec.secret else { continue }
            if spec.type == .multiString {
                register(contentsOf: (try? configuration.multi(name.group, name.name)) ?? [])
            } else if let value = (try? configuration.text(name)) ?? nil {
                register(value)
            }
        }
    }

    /// The registered literals, longest first.
    public var values: [String] { literals.withLock { $0.map(\.text) } }

    /// The registered literals with their bytes, longest first.
    var entries: [Literal] { literals.withLock { $0 } }

    public var isEmpty: Bool { literals.withLock { $0.isEmpty } }

    // MARK: Forms

    static func forms(of secret: String) -> [String] {
        guard secret.count >= minimumLength else { return [] }
        var forms = [secret]
        // As it appears percent-encoded in a URL.
        if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != secret {
            forms.append(encoded)
        }
        // As it appears inside a JSON string (both with and without non-ASCII escapes).
        for escapeNonASCII in [false, true] {
            let quoted = secret.jsonEscapedBody(escapeNonASCII: escapeNonASCII)
            if quoted != secret, !forms.contains(quoted) { forms.append(quoted) }
        }
        // As it appears base64-encoded (Kubernetes secrets, kubeconfig data fields, Basic auth).
        if secret.utf8.count >= 6 {
            let b64 = Data(secret.utf8).base64EncodedString()
            forms.append(b64.trimmingCharacters(in: CharacterSet(charactersIn: "=")))
        }
        return forms
    }

    /// The passwords of every `user:password@` part of a (possibly multi-host) URL, raw and
    /// percent-decoded.
    static func urlPasswords(in url: String) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [] }
        let rest = url[schemeEnd.upperBound...]
        // The last '@' before the path separates user-info from hosts; hosts are comma-separated.
        let authorityEnd = rest.lastIndex(of: "@").flatMap { at in
            rest[at...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" })
        } ?? rest.endIndex
        var passwords: [String] = []
        for part in rest[..<authorityEnd].split(separator: ",") {
            guard let at = part.lastIndex(of: "@") else { continue }
            let userinfo = part[..<at]
            guard let colon = userinfo.firstIndex(of: ":") else { continue }
            let password = String(userinfo[userinfo.index(after: colon)...])
            guard !password.isEmpty else { continue }
            passwords.append(password)
            if let decoded = password.removingPercentEncoding, decoded != password { passwords.append(decoded) }
        }
        return passwords
    }
}

extension String {
    /// The string as it appears between the quotes of a JSON string literal.
    func jsonEscapedBody(escapeNonASCII: Bool) -> String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (escapeNonASCII && scalar.value > 0x7E) {
                    for unit in String(scalar).utf16 { out += String(format: "\\u%04x", unit) }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
