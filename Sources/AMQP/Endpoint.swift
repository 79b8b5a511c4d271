/// One broker node to connect to: where it is and who to log in as.
///
/// `description` is `user@host:port` (IPv6 hosts in brackets); the password never appears.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: Password

    public init(host: String, port: Int = 5672, username: String = "guest", password: Password = "guest") {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// `host:port`, with an IPv6 host in brackets: what operators see in logs and errors.
    public var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public var description: String { "\(username)@\(address)" }
}
