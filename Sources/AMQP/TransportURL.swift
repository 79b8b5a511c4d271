/// oslo.messaging's `transport_url` for RabbitMQ, parsed the way oslo reads it.
///
/// `rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost?ssl=1` gives one `Host` per
/// comma-separated entry (credentials per host, percent-decoded), the virtual host
/// (percent-decoded; `/` when the path is empty) and the query options. As in oslo, empty host
/// entries are skipped, a URL without any host means `localhost` with `guest`/`guest`, and a
/// host without credentials logs in as `guest`/`guest`.
///
/// Errors name the part that is wrong (`AMQPError.urlPart`) and never repeat any text from the
/// user/password/host section: a password with an unescaped `/`, `?`, `#`, `@` or `,` spills into
/// the other parts, so those are described, not quoted.
public struct TransportURL: Sendable, Hashable, CustomStringConvertible {
    /// One `user:password@host:port` entry.
    public struct Host: Sendable, Hashable {
        public var hostname: String
        public var port: Int?
        public var username: String?
        public var password: Password?

        public init(hostname: String, port: Int? = nil, username: String? = nil, password: Password? = nil) {
            self.hostname = hostname
            self.port = port
            self.username = username
            self.password = password
        }
    }

    public var scheme: String
    public var hosts: [Host]
    /// The RabbitMQ virtual host (`/` when the URL has no path or an empty one).
    public var virtualHost: String
    /// Query options in order; a name given several times has its values joined with `,` (as oslo does).
    public var query: [(name: String, value: String)] {
        get { queryItems.map { ($0.name, $0.value) } }
        set { queryItems = newValue.map { QueryItem(name: $0.name, value: $0.value) } }
    }
    /// `ssl` from the query (`1/true/yes/on` or `0/false/no/off`), nil when absent.
    public var ssl: Bool?

    private var queryItems: [QueryItem]
    private struct QueryItem: Sendable, Hashable {
        var name: String
        var value: String
    }

    /// The schemes this module serves (oslo's name for its RabbitMQ driver).
    public static let supportedSchemes: Set<String> = ["rabbit"]

    public init(parsing text: String) throws(AMQPError) {
        let bytes = Array(text.utf8)
        guard let schemeEnd = Self.find(bytes, [0x3A, 0x2F, 0x2F]) else {  // "://"
            throw Self.error(.scheme, "no scheme: expected rabbit://user:password@host:port/virtual_host")
        }
        let schemeText = String(decoding: bytes[..<schemeEnd], as: UTF8.self)
        guard let first = schemeText.utf8.first, Self.isAlpha(first),
              schemeText.utf8.allSatisfy({ Self.isAlpha($0) || Self.isDigit($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        else {
            throw Self.error(.scheme, "no valid scheme before '://': expected rabbit://")
        }
        let scheme = schemeText.lowercased()
        guard Self.supportedSchemes.contains(scheme) else {
            throw Self.error(.scheme, "unsupported scheme '\(scheme)': this worker speaks RabbitMQ (rabbit://)")
        }
        self.scheme = scheme

        var rest = bytes[(schemeEnd + 3)...]
        if rest.contains(0x23) {  // '#'
            throw Self.error(
                .fragment,
                "contains '#', which ends the URL early; percent-encode it as %23 if it is part of a password")
        }
        // netloc ends at the first '/' or '?', as in Python's urlsplit.
        let netlocEnd = rest.firstIndex(where: { $0 == 0x2F || $0 == 0x3F }) ?? rest.endIndex
        let netloc = rest[rest.startIndex..<netlocEnd]
        rest = rest[netlocEnd...]

        var path = rest
        var queryText: ArraySlice<UInt8>? = nil
        if let q = rest.firstIndex(of: 0x3F) {
            path = rest[rest.startIndex..<q]
            queryText = rest[(q + 1)...]
        }

        // Hosts.
        var hosts: [Host] = []
        let entries = netloc.split(separator: 0x2C, omittingEmptySubsequences: false)  // ','
        let count = entries.filter { !$0.isEmpty }.count
        var position = 0
        for entry in entries where !entry.isEmpty {
            position += 1
            let label = count > 1 ? "host \(position) of \(count)" : "the host"
            hosts.append(try Self.parseHost(entry, label: label))
        }
        self.hosts = hosts

        // Virtual host.
        if path.isEmpty || path.count == 1 {
            virtualHost = "/"
        } else {
            let raw = path.dropFirst()
            if raw.contains(0x40) {  // '@'
                throw Self.error(
                    .virtualHost,
                    "contains '@': a password with '/' in it must be percent-encoded (%2F), otherwise the rest of it ends up here")
            }
            guard let decoded = Self.percentDecode(raw, plusIsSpace: false) else {
                throw Self.error(.virtualHost, "invalid percent-encoding (write '%' as %25)")
            }
            virtualHost = decoded.isEmpty ? "/" : decoded
        }

        // Query.
        var items: [QueryItem] = []
        var ssl: Bool? = nil
        if let queryText, !queryText.isEmpty {
            for pair in queryText.split(separator: 0x26) {  // '&'
                guard let eq = pair.firstIndex(of: 0x3D) else {  // '='
                    throw Self.error(.query, "option \(Self.quotedIfPlain(pair)) has no value (expected name=value)")
                }
                let rawName = pair[pair.startIndex..<eq]
                guard !rawName.isEmpty else { throw Self.error(.query, "an option has an empty name") }
                guard let name = Self.percentDecode(rawName, plusIsSpace: true),
                      let value = Self.percentDecode(pair[(eq + 1)...], plusIsSpace: true)
                else {
                    throw Self.error(.query, "option \(Self.quotedIfPlain(rawName)) has invalid percent-encoding")
                }
                if let i = items.firstIndex(where: { $0.name == name }) {
                    items[i].value += "," + value
                } else {
                    items.append(QueryItem(name: name, value: value))
                }
            }
            if let raw = items.first(where: { $0.name == "ssl" })?.value {
                switch raw.lowercased() {
                case "1", "true", "yes", "on": ssl = true
                case "0", "false", "no", "off": ssl = false
                default: throw Self.error(.query, "option 'ssl' must be a boolean (1/0, true/false, yes/no, on/off)")
                }
            }
        }
        self.queryItems = items
        self.ssl = ssl
    }

    public init(scheme: String = "rabbit", hosts: [Host], virtualHost: String = "/", ssl: Bool? = nil) {
        self.scheme = scheme
        self.hosts = hosts
        self.virtualHost = virtualHost
        self.ssl = ssl
        self.queryItems = ssl.map { [QueryItem(name: "ssl", value: $0 ? "1" : "0")] } ?? []
    }

    /// The value of a query option (values of a repeated option joined with `,`).
    public func queryValue(_ name: String) -> String? {
        queryItems.first(where: { $0.name == name })?.value
    }

    /// The endpoints to try, in URL order. The port defaults to 5671 with TLS and 5672 without;
    /// a host without credentials logs in as `guest`/`guest` (kombu's default), and a URL
    /// without hosts means `localhost`.
    public func endpoints(tls: Bool? = nil) -> [Endpoint] {
        let useTLS = tls ?? ssl ?? false
        let defaultPort = useTLS ? 5671 : 5672
        let list = hosts.isEmpty ? [Host(hostname: "localhost")] : hosts
        return list.map { host in
            Endpoint(
                host: host.hostname,
                port: host.port ?? defaultPort,
                username: host.username ?? "guest",
                password: host.username == nil ? "guest" : (host.password ?? ""))
        }
    }

    /// The URL with every password replaced by `****`: safe for logs.
    public var description: String {
        var text = scheme + "://"
        text += hosts.map { host in
            var part = ""
            if let username = host.username {
                part += Self.percentEncode(username)
                if host.password != nil { part += ":****" }
                part += "@"
            }
            part += host.hostname.contains(":") ? "[\(host.hostname)]" : host.hostname
            if let port = host.port { part += ":\(port)" }
            return part
        }.joined(separator: ",")
        text += "/" + (virtualHost == "/" ? "" : Self.percentEncode(virtualHost))
        if !queryItems.isEmpty {
            text += "?" + queryItems.map { "\(Self.percentEncode($0.name))=\(Self.percentEncode($0.value))" }
                .joined(separator: "&")
        }
        return text
    }

    public static func == (a: TransportURL, b: TransportURL) -> Bool {
        a.scheme == b.scheme && a.hosts == b.hosts && a.virtualHost == b.virtualHost
            && a.queryItems == b.queryItems && a.ssl == b.ssl
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(scheme)
        hasher.combine(hosts)
        hasher.combine(virtualHost)
        hasher.combine(queryItems)
    }

    // MARK: - Parsing helpers

    private static func parseHost(_ entry: ArraySlice<UInt8>, label: String) throws(AMQPError) -> Host {
        var hostPort = entry
        var username: String? = nil
        var password: Password? = nil
        if let at = entry.lastIndex(of: 0x40) {  // '@' (rsplit, as oslo does)
            let userinfo = entry[entry.startIndex..<at]
            hostPort = entry[(at + 1)...]
            let userPart: ArraySlice<UInt8>
            if let colon = userinfo.firstIndex(of: 0x3A) {
                userPart = userinfo[userinfo.startIndex..<colon]
                guard let decoded = percentDecode(userinfo[(colon + 1)...], plusIsSpace: false) else {
                    throw error(.userinfo, "the password of \(label) has invalid percent-encoding (write '%' as %25)")
                }
                password = Password(decoded)
            } else {
                userPart = userinfo
            }
            guard let user = percentDecode(userPart, plusIsSpace: false) else {
                throw error(.userinfo, "the user name of \(label) has invalid percent-encoding (write '%' as %25)")
            }
            guard !user.isEmpty else {
                throw error(.userinfo, "\(label) has credentials with an empty user name")
            }
            username = user
        }

        var hostname: String
        var portText: ArraySlice<UInt8>? = nil
        if hostPort.first == 0x5B {  // '['
            guard let close = hostPort.firstIndex(of: 0x5D) else {
                throw error(.host, "\(label) has an IPv6 address without its closing ']'")
            }
            let inner = hostPort[(hostPort.startIndex + 1)..<close]
            guard !inner.isEmpty, inner.allSatisfy(isIPv6Character), inner.contains(0x3A) else {
                throw error(.host, "\(label) has an invalid IPv6 address between '[' and ']'")
            }
            hostname = String(decoding: inner, as: UTF8.self)
            let after = hostPort[(close + 1)...]
            if !after.isEmpty {
                guard after.first == 0x3A else {
                    throw error(.host, "\(label) has unexpected text after its IPv6 address (expected ':port')")
                }
                portText = after.dropFirst()
            }
        } else {
            let colons = hostPort.filter { $0 == 0x3A }.count
            if colons > 1 {
                // An IPv6 address without brackets and without a port (oslo's parse_host_port).
                guard hostPort.allSatisfy(isIPv6Character) else {
                    throw error(.host, "\(label) has more than one ':'; write an IPv6 address as [address]:port")
                }
                hostname = String(decoding: hostPort, as: UTF8.self)
            } else if colons == 1, let colon = hostPort.firstIndex(of: 0x3A) {
                hostname = String(decoding: hostPort[hostPort.startIndex..<colon], as: UTF8.self)
                portText = hostPort[(colon + 1)...]
            } else {
                hostname = String(decoding: hostPort, as: UTF8.self)
            }
            guard !hostname.isEmpty else { throw error(.host, "\(label) has an empty host name") }
            guard colons > 1 || hostname.utf8.allSatisfy(isHostNameCharacter) else {
                throw error(
                    .host,
                    "\(label) has a character that is not allowed in a host name (letters, digits, '-', '.', '_'); "
                        + "a password with '/', '?', '#', '@' or ',' in it must be percent-encoded")
            }
        }

        var port: Int? = nil
        if let portText {
            guard !portText.isEmpty else { throw error(.port, "\(label) has an empty port after ':'") }
            guard portText.count <= 5, portText.allSatisfy(isDigit),
                  let value = Int(String(decoding: portText, as: UTF8.self)), (1...65535).contains(value)
            else {
                throw error(
                    .port,
                    "\(label) has a port that is not a number from 1 to 65535 (a password with '/', '?', '#' or ',' "
                        + "in it must be percent-encoded, or the rest of it ends up here)")
            }
            port = value
        }
        return Host(hostname: hostname, port: port, username: username, password: password)
    }

    private static func error(_ part: AMQPError.URLPart, _ message: String) -> AMQPError {
        AMQPError(.invalidTransportURL, "transport_url \(part): \(message)", urlPart: part)
    }

    /// Names a query option in an error only when it looks like an option name (never a password fragment).
    private static func quotedIfPlain(_ bytes: ArraySlice<UInt8>) -> String {
        let plain = !bytes.isEmpty && bytes.count <= 40
            && bytes.allSatisfy { isAlpha($0) || isDigit($0) || $0 == 0x5F || $0 == 0x2D || $0 == 0x2E }
        return plain ? "'\(String(decoding: bytes, as: UTF8.self))'" : "(name not shown)"
    }

    private static func find(_ bytes: [UInt8], _ needle: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for i in 0...(bytes.count - needle.count) where bytes[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }

    static func percentDecode(_ bytes: ArraySlice<UInt8>, plusIsSpace: Bool) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == 0x25 {  // '%'
                guard i + 2 < bytes.endIndex, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
                else { return nil }
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(plusIsSpace && b == 0x2B ? 0x20 : b)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            if isAlpha(b) || isDigit(b) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    private static func isAlpha(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
    private static func isDigit(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) }
    private static func isHostNameCharacter(_ b: UInt8) -> Bool {
        isAlpha(b) || isDigit(b) || b == 0x2D || b == 0x2E || b == 0x5F
    }
    private static func isIPv6Character(_ b: UInt8) -> Bool {
        // hex digits, ':', '.' (embedded IPv4), '%' and a zone name.
        isAlpha(b) || isDigit(b) || b == 0x3A || b == 0x2E || b == 0x25
    }
}
