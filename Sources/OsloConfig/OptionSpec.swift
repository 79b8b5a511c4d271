/// The type of an option, with oslo.config's parsing rules (`oslo_config/types.py`).
public enum OptionType: Sendable, Equatable {
    case string(choices: [String]?)
    case integer(min: Int?, max: Int?)
    case float(min: Double?, max: Double?)
    case boolean
    /// Comma-separated (`a, b,c`); optional surrounding brackets.
    case list
    /// `key:value` pairs separated by commas.
    case dict
    /// Repeated `key = value` lines, all of them (MultiStrOpt).
    case multiString
    case port
    /// A URL; `schemes` limits the accepted schemes when given.
    case uri(schemes: [String]?)

    public static let string = OptionType.string(choices: nil)
    public static let integer = OptionType.integer(min: nil, max: nil)
    public static let float = OptionType.float(min: nil, max: nil)
    public static let uri = OptionType.uri(schemes: nil)

    /// How the accepted form is described to an operator who wrote a bad value.
    public var acceptedForm: String {
        switch self {
        case .string(let choices?): return "one of: \(choices.joined(separator: ", "))"
        case .string: return "a string"
        case .integer(let min, let max):
            switch (min, max) {
            case (let lo?, let hi?): return "an integer from \(lo) to \(hi)"
            case (let lo?, nil): return "an integer ≥ \(lo)"
            case (nil, let hi?): return "an integer ≤ \(hi)"
            default: return "an integer"
            }
        case .float: return "a number"
        case .boolean: return "a boolean (true/false, yes/no, on/off, 1/0)"
        case .list: return "a comma-separated list"
        case .dict: return "comma-separated key:value pairs"
        case .multiString: return "one value per line, the option repeated"
        case .port: return "a port number from 0 to 65535"
        case .uri(let schemes?): return "a URL with scheme \(schemes.joined(separator: " or "))"
        case .uri: return "a URL"
        }
    }
}

/// A group and option name (`[group] name`). Groups are lower case except `DEFAULT`.
public struct OptionName: Sendable, Hashable, CustomStringConvertible {
    public let group: String
    public let name: String

    public init(_ group: String, _ name: String) {
        self.group = group == "DEFAULT" ? group : group.lowercased()
        self.name = name
    }

    public var description: String { "[\(group)] \(name)" }
}

/// One option we read: its name, type, default, help and whether its value is a secret.
public struct OptionSpec: Sendable {
    public let name: OptionName
    public let type: OptionType
    /// The default as text, parsed with the option's type (nil: no default, value is unset).
    public let defaultText: String?
    public let help: String
    /// Passwords, tokens, URLs with credentials: masked wherever values are shown.
    public let secret: Bool
    /// Older names still read when the current name is absent (oslo's `deprecated_opts`).
    public let deprecatedNames: [OptionName]

    public init(_ group: String, _ name: String, _ type: OptionType, default defaultText: String? = nil,
                secret: Bool = false, deprecatedNames: [OptionName] = [], help: String) {
        self.name = OptionName(group, name)
        self.type = type
        self.defaultText = defaultText
        self.help = help
        self.secret = secret
        self.deprecatedNames = deprecatedNames
    }
}

/// The set of options a program reads, so unknown ones can be warned about and every value can
/// be type-checked before the service starts.
public struct OptionRegistry: Sendable {
    public private(set) var specs: [OptionName: OptionSpec] = [:]
    public private(set) var order: [OptionName] = []
    /// Groups whose options we do not know but which are legitimately present in a shared
    /// magnum.conf (keystone_authtoken, oslo_policy, ...): not warned about.
    public private(set) var ignoredGroups: Set<String> = []

    public init(_ specs: [OptionSpec] = [], ignoringGroups: [String] = []) {
        for s in specs { register(s) }
        for g in ignoringGroups { ignoredGroups.insert(g == "DEFAULT" ? g : g.lowercased()) }
    }

    public mutating func register(_ spec: OptionSpec) {
        if specs[spec.name] == nil { order.append(spec.name) }
        specs[spec.name] = spec
    }

    public mutating func ignoreGroup(_ group: String) { ignoredGroups.insert(group.lowercased()) }

    public func spec(_ name: OptionName) -> OptionSpec? { specs[name] }

    /// The spec a file key belongs to, directly or through a deprecated name.
    func owner(of name: OptionName) -> OptionSpec? {
        if let s = specs[name] { return s }
        return specs.values.first { $0.deprecatedNames.contains(name) }
    }
}
