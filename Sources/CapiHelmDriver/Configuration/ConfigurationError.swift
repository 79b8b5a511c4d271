/// A `magnum.conf` option the driver cannot use, with where it was found, so an operator can fix
/// the file (oslo.config refuses the same values at start-up).
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let section: String
    public let option: String
    public let message: String

    public init(section: String, option: String, _ message: String) {
        self.section = section
        self.option = option
        self.message = message
    }

    public var description: String { "[\(section)] \(option): \(message)" }
}
