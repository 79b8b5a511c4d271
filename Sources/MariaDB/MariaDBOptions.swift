/// Where and how to connect to MariaDB: server, credentials, database, character set, timeouts
/// and TLS. `description` never shows the password.
public struct MariaDBOptions: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// A Unix socket path; when set it is used instead of host and port.
    public var unixSocket: String?
    public var user: String
    public var password: String?
    public var database: String?
    /// Connection character set (`?charset=utf8` in Magnum's URL).
    public var charset: String
    /// Seconds to wait for the TCP connection and handshake.
    public var connectTimeout: Int
    /// Seconds to wait for a reply to a statement; `nil` waits as long as the server works.
    public var readTimeout: Int?
    public var writeTimeout: Int?
    /// `SET SESSION sql_mode` on every new connection; oslo.db's default is `TRADITIONAL`.
    public var sqlMode: String?
    public var tls: TLS?

    /// TLS settings: the CA that signs the server certificate, an optional client certificate
    /// and key, and whether to verify the server certificate (chain and host name).
    public struct TLS: Sendable, Equatable {
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        public var cipher: String?
        public var verifyServerCertificate: Bool

        public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
                    cipher: String? = nil, verifyServerCertificate: Bool = true) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.cipher = cipher
            self.verifyServerCertificate = verifyServerCertificate
        }
    }

    public init(host: String = "127.0.0.1", port: Int = 3306, unixSocket: String? = nil, user: String,
                password: String? = nil, database: String? = nil, charset: String = "utf8",
                connectTimeout: Int = 10, readTimeout: Int? = nil, writeTimeout: Int? = nil,
                sqlMode: String? = "TRADITIONAL", tls: TLS? = nil) {
        self.host = host
        self.port = port
        self.unixSocket = unixSocket
        self.user = user
        self.password = password
        self.database = database
        self.charset = charset
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.sqlMode = sqlMode
        self.tls = tls
    }

    /// `magnum@127.0.0.1:3306/magnum` (with `TLS` when enabled) — safe to log.
    public var description: String {
        let place = unixSocket.map { "unix:\($0)" } ?? "\(host):\(port)"
        return "\(user)@\(place)/\(database ?? "")\(tls == nil ? "" : " (TLS)")"
    }
}
