/// Where RPC messages go and who listens, like `oslo_messaging.Target`.
public struct RPCTarget: Sendable, Equatable, CustomStringConvertible {
    /// The control exchange (Magnum: `magnum`; oslo's default `openstack`).
    public var exchange: String
    public var topic: String
    /// A specific server (`<topic>.<server>` queue); `nil` for the shared topic queue.
    public var server: String?
    /// Casts to every server of the topic (`<topic>_fanout` exchange).
    public var fanout: Bool
    public var namespace: String?
    /// The version clients ask for (`"x.y"`).
    public var version: String?

    public init(exchange: String, topic: String, server: String? = nil, fanout: Bool = false,
                namespace: String? = nil, version: String? = nil) {
        self.exchange = exchange
        self.topic = topic
        self.server = server
        self.fanout = fanout
        self.namespace = namespace
        self.version = version
    }

    public var description: String {
        var parts = ["exchange=\(exchange)", "topic=\(topic)"]
        if let server { parts.append("server=\(server)") }
        if fanout { parts.append("fanout=True") }
        if let namespace { parts.append("namespace=\(namespace)") }
        if let version { parts.append("version=\(version)") }
        return "<Target \(parts.joined(separator: ", "))>"
    }
}
