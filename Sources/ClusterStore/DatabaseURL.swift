public import MariaDB

/// Magnum's `[database] connection` URL, read the way SQLAlchemy reads it:
/// `mysql+pymysql://user:password@host:port/magnum?charset=utf8&ssl_ca=/etc/ssl/ca.pem` or
/// `sqlite:///var/lib/magnum/magnum.sqlite` (`sqlite://` alone is an in-memory database).
///
/// `description` and every error leave the password out.
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case mariadb(MariaDBOptions)

    /// Query parameters we understand for MySQL URLs. Others are reported by `ignoredParameters`.
    public static let mysqlParameters: Set<String> = [
        "charset", "ssl_ca", "ssl_cert", "ssl_key", "ssl_cipher", "ssl_check_hostname", "ssl_verify_cert",
        "connect_timeout", "read_timeout", "write_timeout", "unix_socket", "sql_mode",
    ]

    public init(_ text: String) throws(StoreError) {
        self = try Self.parse(text).url
    }

    /// The URL and the query parameters it carried that we do not use (for a warning).
    public static func parse(_ text: String) throws(StoreError) -> (url: DatabaseURL, ignoredParameters: [String]) {
        let redacted = redact(text)
        guard let schemeEnd = text.range(of: "://") else {
            throw StoreError(.invalidConnectionURL, "Could not parse SQLAlchemy URL from string '\(redacted)'")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        let rest = String(text[schemeEnd.upperBound...])
        let dialect = scheme.split(separator: "+", maxSplits: 1).first.map(String.init) ?? scheme
        switch dialect {
        case "sqlite":
            // sqlite:///relative, sqlite:////absolute, sqlite:// (memory)
            var path = rest
            if let q = path.firstIndex(of: "?") { path = String(path[..<q]) }
            if path.isEmpty || path == "/" || path == "/:memory:" { return (.sqlite(path: ":memory:"), []) }
            guard path.hasPrefix("/") else {
                throw StoreError(.invalidConnectionURL, "an SQLite URL has no host: use sqlite:///relative/path or sqlite:////absolute/path (got '\(redacted)')")
            }
            return (.sqlite(path: percentDecoded(String(path.dropFirst()))), [])
        case "mysql", "mariadb":
            return try parseMySQL(rest, redacted: redacted)
        default:
            throw StoreError(.invalidConnectionURL, "unsupported database '\(scheme)' in '\(redacted)': use mysql+pymysql:// (MariaDB/MySQL) or sqlite://")
        }
    }

    private static func parseMySQL(_ rest: String, redacted: String) throws(StoreError) -> (url: DatabaseURL, ignoredParameters: [String]) {
        var authority = rest
        var path = ""
        var query = ""
        if let q = authority.firstIndex(of: "?") {
            query = String(authority[authority.index(after: q)...])
            authority = String(authority[..<q])
        }
        if let slash = authority.firstIndex(of: "/") {
            path = String(authority[authority.index(after: slash)...])
            authority = String(authority[..<slash])
        }
        var user = ""
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            authority = String(authority[authority.index(after: at)...])
            if let colon = credentials.firstIndex(of: ":") {
                user = percentDecoded(String(credentials[..<colon]))
                password = percentDecoded(String(credentials[credentials.index(after: colon)...]))
            } else {
                user = percentDecoded(String(credentials))
            }
        }
        var host = authority.isEmpty ? "localhost" : authority
        var port = 3306
        if host.hasPrefix("[") , let close = host.firstIndex(of: "]") {  // [::1]:3306
            let after = host[host.index(after: close)...]
            let inner = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { throw StoreError(.invalidConnectionURL, "invalid port in '\(redacted)'") }
                port = p
            }
            host = inner
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                throw StoreError(.invalidConnectionURL, "invalid port in '\(redacted)'")
            }
            port = p
            host = String(host[..<colon])
        }
        var options = MariaDBOptions(host: host, port: port, user: user, password: password,
                                     database: path.isEmpty ? nil : percentDecoded(path))
        var tls = MariaDBOptions.TLS()
        var wantsTLS = false
        var verify: Bool?
        var ignored: [String] = []
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecoded(String(parts[0]))
            let value = parts.count > 1 ? percentDecoded(String(parts[1])) : ""
            func int() throws(StoreError) -> Int {
                guard let i = Int(value), i >= 0 else { throw StoreError(.invalidConnectionURL, "\(key) must be a number of seconds in '\(redacted)'") }
                return i
            }
            func bool() throws(StoreError) -> Bool {
                switch value.lowercased() {
                case "1", "true", "yes", "on": return true
                case "0", "false", "no", "off": return false
                default: throw StoreError(.invalidConnectionURL, "\(key) must be true or false in '\(redacted)'")
                }
            }
            switch key {
            case "charset": options.charset = value
            case "ssl_ca": tls.caFile = value; wantsTLS = true
            case "ssl_cert": tls.certificateFile = value; wantsTLS = true
            case "ssl_key": tls.keyFile = value; wantsTLS = true
            case "ssl_cipher": tls.cipher = value; wantsTLS = true
            case "ssl_check_hostname", "ssl_verify_cert":
                // Connector/C verifies chain and host name together: either flag set to false
                // turns verification off.
                let flag = try bool()
                verify = (verify ?? true) && flag
                wantsTLS = true
            case "connect_timeout": options.connectTimeout = try int()
            case "read_timeout": options.readTimeout = try int()
            case "write_timeout": options.writeTimeout = try int()
            case "unix_socket": options.unixSocket = value
            case "sql_mode": options.sqlMode = value
            default: ignored.append(key)
            }
        }
        if wantsTLS {
            // As PyMySQL: the server certificate is verified when a CA is given, unless turned off.
            tls.verifyServerCertificate = verify ?? (tls.caFile != nil)
            if tls.verifyServerCertificate && tls.caFile == nil {
                throw StoreError(.invalidConnectionURL, "verifying the server certificate needs ssl_ca in '\(redacted)'")
            }
            options.tls = tls
        }
        return (.mariadb(options), ignored)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:///\(path)"
        case .mariadb(let options): return "mysql://\(options)"
        }
    }

    /// The URL with the password replaced by `***`.
    public static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"),
              let colon = rest[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<rest.index(after: colon)]) + "***" + String(rest[at...])
    }

    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") || text.contains("+") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let b = utf8.first {
            utf8 = utf8.dropFirst()
            if b == UInt8(ascii: "%"), utf8.count >= 2,
               let v = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
