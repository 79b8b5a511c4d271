import AMQP
import Testing

@Suite("transport_url parsing")
struct TransportURLTests {
    @Test("oslo's multi-host form: per-host credentials, ports, virtual host, query")
    func multiHost() throws {
        let url = try TransportURL(parsing: "rabbit://user:pass@host1:5672,user2:p%40ss%2Fw0rd@host2:5673/vhost?ssl=1")
        #expect(url.scheme == "rabbit")
        #expect(url.hosts == [
            TransportURL.Host(hostname: "host1", port: 5672, username: "user", password: "pass"),
            TransportURL.Host(hostname: "host2", port: 5673, username: "user2", password: "p@ss/w0rd"),
        ])
        #expect(url.virtualHost == "vhost")
        #expect(url.ssl == true)
        #expect(url.queryValue("ssl") == "1")
        #expect(url.endpoints() == [
            Endpoint(host: "host1", port: 5672, username: "user", password: "pass"),
            Endpoint(host: "host2", port: 5673, username: "user2", password: "p@ss/w0rd"),
        ])
    }

    @Test("default ports: 5672, or 5671 with TLS")
    func defaultPorts() throws {
        let plain = try TransportURL(parsing: "rabbit://u:p@rabbit.example.org/")
        #expect(plain.endpoints().map(\.port) == [5672])
        let tls = try TransportURL(parsing: "rabbit://u:p@rabbit.example.org/?ssl=true")
        #expect(tls.endpoints().map(\.port) == [5671])
        #expect(plain.endpoints(tls: true).map(\.port) == [5671])
        let configuration = AMQPConfiguration(transportURL: tls)
        #expect(configuration.tls != nil)
        #expect(configuration.tls?.verifyPeer == false, "ssl=1 without a CA encrypts without verifying, as oslo does")
        #expect(configuration.endpoints.map(\.port) == [5671])
        let verified = AMQPConfiguration(transportURL: plain, tls: TLSConfiguration(caCertificateFile: "/etc/ca.pem"))
        #expect(verified.endpoints.map(\.port) == [5671])
        #expect(verified.tls?.verifyPeer == true && verified.tls?.verifyHostname == true)
    }

    @Test(
        "virtual host: percent-decoded, '/' when the path is empty",
        arguments: [
            ("rabbit://u@h", "/"),
            ("rabbit://u@h/", "/"),
            ("rabbit://u@h/%2F", "/"),
            ("rabbit://u@h/magnum", "magnum"),
            ("rabbit://u@h/my%20vhost", "my vhost"),
            ("rabbit://u@h/a/b", "a/b"),
            ("rabbit://u@h?ssl=0", "/"),
        ])
    func virtualHost(text: String, expected: String) throws {
        #expect(try TransportURL(parsing: text).virtualHost == expected)
    }

    @Test("IPv6 hosts in brackets, with and without port")
    func ipv6() throws {
        let url = try TransportURL(parsing: "rabbit://u:p@[::1]:5673,u:p@[fd00::12:1]/")
        #expect(url.hosts.map(\.hostname) == ["::1", "fd00::12:1"])
        #expect(url.hosts.map(\.port) == [5673, nil])
        #expect(url.endpoints().map(\.address) == ["[::1]:5673", "[fd00::12:1]:5672"])
        // oslo's parse_host_port also takes a bare IPv6 address (no port).
        #expect(try TransportURL(parsing: "rabbit://u:p@fe80::1/").hosts.first?.hostname == "fe80::1")
    }

    @Test("credentials: percent-decoded, '@' in a password (last '@' wins), missing ones mean guest")
    func credentials() throws {
        let url = try TransportURL(parsing: "rabbit://us%3Aer:pa:ss@w@h1,h2:1234/")
        #expect(url.hosts[0].username == "us:er")
        #expect(url.hosts[0].password == "pa:ss@w")
        #expect(url.hosts[1].username == nil)
        #expect(url.endpoints()[1] == Endpoint(host: "h2", port: 1234, username: "guest", password: "guest"))
        let userOnly = try TransportURL(parsing: "rabbit://alice@h/")
        #expect(userOnly.endpoints()[0].username == "alice")
        #expect(userOnly.endpoints()[0].password.isEmpty)
    }

    @Test("empty host entries are skipped and no host at all means localhost, as in oslo")
    func hostDefaults() throws {
        #expect(try TransportURL(parsing: "rabbit://u:p@a,,u:p@b/").hosts.map(\.hostname) == ["a", "b"])
        let none = try TransportURL(parsing: "rabbit:///")
        #expect(none.hosts.isEmpty)
        #expect(none.endpoints() == [Endpoint(host: "localhost", port: 5672, username: "guest", password: "guest")])
    }

    @Test("query: repeated options are joined with ',', '+' is a space")
    func query() throws {
        let url = try TransportURL(parsing: "rabbit://h/?a=1&b=x+y&a=2&ssl=off")
        #expect(url.queryValue("a") == "1,2")
        #expect(url.queryValue("b") == "x y")
        #expect(url.ssl == false)
        #expect(url.query.map(\.name) == ["a", "b", "ssl"])
    }

    @Test("the description hides passwords")
    func description() throws {
        let url = try TransportURL(parsing: "rabbit://user:topsecret@h1:5672,other:alsosecret@[::1]/vh?ssl=1")
        let text = "\(url)"
        #expect(text == "rabbit://user:****@h1:5672,other:****@[::1]/vh?ssl=1")
        #expect(!String(reflecting: url).contains("secret"))
        #expect(!"\(url.hosts)".contains("secret"))
        #expect("\(url.endpoints())".contains("user@h1:5672"))
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        let url: String
        let part: AMQPError.URLPart
        let mentions: String
        /// The report names the case, never the URL (it holds the password; the suite's output is
        /// scanned for secrets).
        var testDescription: String { "\(part): \(mentions)" }
    }

    static let password = "Sup3rS3cret"

    @Test(
        "malformed URLs name the bad part and never echo the password",
        arguments: [
            Malformed(url: "user:\(password)@host:5672/", part: .scheme, mentions: "no scheme"),
            Malformed(url: "://user:\(password)@host/", part: .scheme, mentions: "scheme"),
            Malformed(url: "kafka://user:\(password)@host/", part: .scheme, mentions: "'kafka'"),
            Malformed(url: "amqp://user:\(password)@host/", part: .scheme, mentions: "'amqp'"),
            Malformed(url: "1abc://user:\(password)@host/", part: .scheme, mentions: "scheme"),
            Malformed(url: "rabbit://user:\(password)@:5672/", part: .host, mentions: "empty host name"),
            Malformed(url: "rabbit://user:\(password)@/", part: .host, mentions: "empty host name"),
            Malformed(url: "rabbit://user:\(password)@ho st/", part: .host, mentions: "not allowed in a host name"),
            Malformed(url: "rabbit://user:\(password)@[::1/", part: .host, mentions: "closing ']'"),
            Malformed(url: "rabbit://user:\(password)@[]:5672/", part: .host, mentions: "invalid IPv6"),
            Malformed(url: "rabbit://user:\(password)@[::1]x/", part: .host, mentions: "after its IPv6 address"),
            Malformed(url: "rabbit://user:\(password)@h1,user:\(password)@ho$t/", part: .host, mentions: "host 2 of 2"),
            Malformed(url: "rabbit://user:\(password)@host:/", part: .port, mentions: "empty port"),
            Malformed(url: "rabbit://user:\(password)@host:abc/", part: .port, mentions: "not a number"),
            Malformed(url: "rabbit://user:\(password)@host:0/", part: .port, mentions: "1 to 65535"),
            Malformed(url: "rabbit://user:\(password)@host:65536/", part: .port, mentions: "1 to 65535"),
            Malformed(url: "rabbit://user:\(password)@host:-1/", part: .port, mentions: "not a number"),
            Malformed(url: "rabbit://user:\(password)@[::1]:99999/", part: .port, mentions: "1 to 65535"),
            // An unescaped '/' in the password: the rest of it lands in the port.
            Malformed(url: "rabbit://user:Sup3r/S3cret@host/", part: .port, mentions: "percent"),
            Malformed(url: "rabbit://user:\(password)%zz@host/", part: .userinfo, mentions: "percent-encoding"),
            Malformed(url: "rabbit://us%4@host/", part: .userinfo, mentions: "user name"),
            Malformed(url: "rabbit://:\(password)@host/", part: .userinfo, mentions: "empty user name"),
            Malformed(url: "rabbit://user:\(password)%C3%28@host/", part: .userinfo, mentions: "percent-encoding"),
            Malformed(url: "rabbit://user:\(password)@host/v%zzh", part: .virtualHost, mentions: "percent-encoding"),
            // An unescaped '/' in a password with digits after it: host "user", port 1234, and the rest in the path.
            Malformed(url: "rabbit://user:1234/\(password)@host/", part: .virtualHost, mentions: "'@'"),
            Malformed(url: "rabbit://user:\(password)@host/?ssl", part: .query, mentions: "'ssl' has no value"),
            Malformed(url: "rabbit://user:\(password)@host/?ssl=maybe", part: .query, mentions: "boolean"),
            Malformed(url: "rabbit://user:\(password)@host/?=1", part: .query, mentions: "empty name"),
            Malformed(url: "rabbit://user:\(password)@host/?a=%zz", part: .query, mentions: "percent-encoding"),
            Malformed(url: "rabbit://user:1234?\(password)@host/", part: .query, mentions: "name not shown"),
            Malformed(url: "rabbit://user:Sup3r#S3cret@host/", part: .fragment, mentions: "%23"),
        ])
    func malformed(_ case_: Malformed) throws {
        do {
            let url = try TransportURL(parsing: case_.url)
            Issue.record("parsed into \(url)")
        } catch {
            #expect(error.kind == .invalidTransportURL)
            #expect(error.urlPart == case_.part, "\(error)")
            #expect(error.message.contains(case_.mentions), "\(error)")
            #expect(error.message.contains("transport_url \(case_.part)"))
            for fragment in ["Sup3r", "S3cret", "1234"] where case_.url.contains(fragment) {
                #expect(!"\(error)".contains(fragment), "\(error)")
            }
        }
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults match oslo.messaging's [oslo_messaging_rabbit]")
    func defaults() {
        let configuration = AMQPConfiguration(endpoints: [Endpoint(host: "h")])
        #expect(configuration.heartbeat == .seconds(60))
        #expect(configuration.reconnect.initialDelay == .seconds(1))
        #expect(configuration.reconnect.step == .seconds(2))
        #expect(configuration.reconnect.maximumDelay == .seconds(30))
        #expect(configuration.virtualHost == "/")
        #expect(configuration.tls == nil)
        #expect(configuration.frameMax == 131_072)
    }

    @Test("reconnect delays grow and stop at the maximum")
    func backoff() {
        let exponential = ReconnectBackoff()
        #expect((1...7).map { exponential.delay(beforeRound: $0) } == [1, 3, 7, 15, 30, 30, 30].map { .seconds($0) })
        #expect(exponential.delay(beforeRound: 1_000) == .seconds(30))
        let linear = ReconnectBackoff(growth: .linear)
        #expect((1...5).map { linear.delay(beforeRound: $0) } == [1, 3, 5, 7, 9].map { .seconds($0) })
        #expect(linear.delay(beforeRound: 100) == .seconds(30))
        let fast = ReconnectBackoff(initialDelay: .milliseconds(200), step: .milliseconds(100), maximumDelay: .seconds(1))
        #expect(fast.delay(beforeRound: 1) == .milliseconds(200))
        #expect(fast.delay(beforeRound: 2) == .milliseconds(300))
        #expect(fast.delay(beforeRound: 5) == .seconds(1))
    }

    @Test("passwords print as stars everywhere")
    func passwordRedaction() {
        let password = Password("hunter2")
        let endpoint = Endpoint(host: "h", port: 1, username: "u", password: password)
        for text in ["\(password)", String(reflecting: password), "\(endpoint)", String(reflecting: endpoint),
                     "\(AMQPConfiguration(endpoints: [endpoint]))", String(reflecting: AMQPConfiguration(endpoints: [endpoint]))] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
        var dumped = ""
        dump(endpoint, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect(password == Password("hunter2"))
    }

    @Test("field tables: literals, lookup, replacement and removal")
    func fieldTable() {
        var table: AMQPFieldTable = ["a": 1, "b": "two", "c": [true, 1.5], "d": ["nested": "yes"]]
        #expect(table["a"] == .int64(1))
        #expect(table["b"]?.stringValue == "two")
        #expect(table["c"] == .array([.boolean(true), .double(1.5)]))
        #expect(table["d"] == .table(["nested": .string("yes")]))
        table["a"] = .int32(5)
        table["b"] = nil
        table["e"] = .void
        #expect(table.keys == ["a", "c", "d", "e"])
        #expect(table["a"]?.intValue == 5)
    }
}
