import ClusterStore
import MariaDB
import Testing

@Suite("[database] connection URLs")
struct DatabaseURLTests {
    @Test func magnumsMySQLURL() throws {
        let (url, ignored) = try DatabaseURL.parse("mysql+pymysql://magnum:s%40cr%3At@db.example:3307/magnum?charset=utf8&ssl_ca=/etc/ca.pem&read_timeout=30&unknown=1")
        guard case .mariadb(let o) = url else { Issue.record("not MySQL"); return }
        #expect(o.host == "db.example")
        #expect(o.port == 3307)
        #expect(o.user == "magnum")
        #expect(o.password == "s@cr:t")
        #expect(o.database == "magnum")
        #expect(o.charset == "utf8")
        #expect(o.readTimeout == 30)
        #expect(o.tls == MariaDBOptions.TLS(caFile: "/etc/ca.pem", verifyServerCertificate: true))
        #expect(ignored == ["unknown"])
        #expect(!url.description.contains("s@cr:t"))
    }

    @Test func tlsOptions() throws {
        guard case .mariadb(let o) = try DatabaseURL("mysql://u:p@h/db?ssl_ca=/ca&ssl_cert=/c&ssl_key=/k&ssl_check_hostname=false") else {
            Issue.record("not MySQL"); return
        }
        #expect(o.tls == MariaDBOptions.TLS(caFile: "/ca", certificateFile: "/c", keyFile: "/k", verifyServerCertificate: false))
        guard case .mariadb(let plain) = try DatabaseURL("mysql+pymysql://u@localhost/db") else { return }
        #expect(plain.tls == nil)
        #expect(plain.port == 3306)
        #expect(plain.password == nil)
        // Client certificate without a CA: TLS without verification, as PyMySQL does.
        guard case .mariadb(let clientOnly) = try DatabaseURL("mysql://u:p@h/db?ssl_cert=/c&ssl_key=/k") else { return }
        #expect(clientOnly.tls?.verifyServerCertificate == false)
        #expect(throws: StoreError.self) { try DatabaseURL("mysql://u:p@h/db?ssl_verify_cert=true") }
    }

    @Test func sqliteURLs() throws {
        #expect(try DatabaseURL("sqlite:///var/lib/magnum.sqlite") == .sqlite(path: "var/lib/magnum.sqlite"))
        #expect(try DatabaseURL("sqlite:////var/lib/magnum.sqlite") == .sqlite(path: "/var/lib/magnum.sqlite"))
        #expect(try DatabaseURL("sqlite://") == .sqlite(path: ":memory:"))
    }

    @Test func badURLsNeverEchoThePassword() {
        for text in ["postgresql://u:hunter2@h/db", "mysql://u:hunter2@h:notaport/db", "nonsense-hunter2"] {
            do {
                _ = try DatabaseURL(text)
                Issue.record("\(DatabaseURL.redact(text)) was accepted")
            } catch {
                #expect(error.kind == .invalidConnectionURL)
                #expect(!error.message.contains("hunter2") || text == "nonsense-hunter2")
            }
        }
        #expect(DatabaseURL.redact("mysql+pymysql://magnum:hunter2@h:3306/magnum?x=1") == "mysql+pymysql://magnum:***@h:3306/magnum?x=1")
    }
}
