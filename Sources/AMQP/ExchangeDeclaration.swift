/// An exchange to declare; recorded by the connection and declared again after a reconnect.
public struct ExchangeDeclaration: Sendable, Hashable {
    public var name: String
    public var type: ExchangeType
    public var durable: Bool
    public var autoDelete: Bool
    /// Only reachable through exchange-to-exchange bindings, not by publishers.
    public var `internal`: Bool
    public var arguments: AMQPFieldTable

    public init(
        name: String, type: ExchangeType = .direct, durable: Bool = false, autoDelete: Bool = false,
        internal: Bool = false, arguments: AMQPFieldTable = [:]
    ) {
        self.name = name
        self.type = type
        self.durable = durable
        self.autoDelete = autoDelete
        self.internal = `internal`
        self.arguments = arguments
    }
}

/// An exchange type: the four built-in ones, or a plugin's (e.g. `x-consistent-hash`).
public struct ExchangeType: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let direct = ExchangeType(rawValue: "direct")
    public static let fanout = ExchangeType(rawValue: "fanout")
    public static let topic = ExchangeType(rawValue: "topic")
    public static let headers = ExchangeType(rawValue: "headers")
}
