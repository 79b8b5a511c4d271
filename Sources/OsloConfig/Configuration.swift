import Foundation

/// A bad value or a file problem, with the file, line and accepted form an operator needs.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let option: OptionName?
    public let location: ConfigLocation?
    public let message: String

    public init(option: OptionName?, location: ConfigLocation?, message: String) {
        self.option = option
        self.location = location
        self.message = message
    }

    public var description: String {
        var parts: [String] = []
        if let location { parts.append("\(location)") }
        if let option { parts.append("\(option)") }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}

/// Something worth telling the operator that does not stop the service (an unknown option).
public struct ConfigWarning: Sendable, Equatable, CustomStringConvertible {
    public let location: ConfigLocation
    public let message: String
    public var description: String { "\(location): \(message)" }
}

/// A magnum.conf as oslo.config reads it: files in order (later ones win), then `--config-dir`
/// files sorted by name; `$name`/`${group.name}` interpolation falling back to `[DEFAULT]`; typed
/// values checked against an `OptionRegistry`.
public struct Configuration: Sendable {
    public let registry: OptionRegistry
    public let files: [ConfigFile]
    /// Every assignment by option, in read order (last one wins for single-valued options).
    private var assignments: [OptionName: [ConfigAssignment]] = [:]

    public init(registry: OptionRegistry, files: [ConfigFile]) {
        self.registry = registry
        self.files = files
        for file in files {
            for (section, list) in file.sections {
                for a in list { assignments[OptionName(section, a.key), default: []].append(a) }
            }
        }
    }

    /// Reads `--config-file` paths (in order) and every `*.conf` in `--config-dir` (sorted).
    public init(registry: OptionRegistry, configFiles: [String], configDirs: [String] = []) throws {
        var paths = configFiles
        for dir in configDirs {
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".conf") }.sorted()
            paths += names.map { (dir as NSString).appendingPathComponent($0) }
        }
        var files: [ConfigFile] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(option: nil, location: nil, message: "cannot read config file \(path)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigError(option: nil, location: nil, message: "config file \(path) is not valid UTF-8")
            }
            files.append(try ConfigFile(path: path, contents: text))
        }
        self.init(registry: registry, files: files)
    }

    // MARK: Raw access

    /// The assignments that set `name` (through its current or deprecated names).
    func raw(_ name: OptionName) -> [ConfigAssignment] {
        if let a = assignments[name], !a.isEmpty { return a }
        for old in registry.spec(name)?.deprecatedNames ?? [] {
            if let a = assignments[old], !a.isEmpty { return a }
        }
        return []
    }

    /// Whether the files set this option at all.
    public func isSet(_ name: OptionName) -> Bool { !raw(name).isEmpty }

    /// Where the effective value of `name` was set, if in a file.
    public func location(of name: OptionName) -> ConfigLocation? { raw(name).last?.location }

    // MARK: Interpolation

    func interpolate(_ text: String, group: String, location: ConfigLocation?, depth: Int = 0) throws -> String {
        guard text.contains("$") else { return text }
        guard depth < 16 else {
            throw ConfigError(option: nil, location: location, message: "interpolation of \(text) is recursive")
        }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            guard c == "$" else {
                out.append(c)
                i = text.index(after: i)
                continue
            }
            var j = text.index(after: i)
            guard j < text.endIndex else {
                out.append("$")
                break
            }
            if text[j] == "$" {
                out.append("$")
                i = text.index(after: j)
                continue
            }
            var key = ""
            if text[j] == "{" {
                j = text.index(after: j)
                guard let close = text[j...].firstIndex(of: "}") else {
                    throw ConfigError(option: nil, location: location, message: "unterminated ${ in \(text)")
                }
                key = String(text[j..<close])
                i = text.index(after: close)
            } else {
                var k = j
                while k < text.endIndex, text[k].isLetter || text[k].isNumber || text[k] == "_" { k = text.index(after: k) }
                key = String(text[j..<k])
                i = k
                if key.isEmpty {
                    out.append("$")
                    continue
                }
            }
            out += try lookupForInterpolation(key, group: group, location: location, depth: depth)
        }
        return out
    }

    func lookupForInterpolation(_ key: String, group: String, location: ConfigLocation?, depth: Int) throws -> String {
        var candidates: [OptionName] = []
        if let dot = key.firstIndex(of: ".") {
            candidates = [OptionName(String(key[..<dot]), String(key[key.index(after: dot)...]))]
        } else {
            candidates = [OptionName(group, key), OptionName("DEFAULT", key)]
        }
        for name in candidates {
            if let a = raw(name).last {
                return try interpolate(a.value, group: name.group, location: a.location, depth: depth + 1)
            }
            if let d = registry.spec(name)?.defaultText {
                return try interpolate(d, group: name.group, location: location, depth: depth + 1)
            }
        }
        throw ConfigError(option: nil, location: location, message: "$\(key) refers to an option that has no value")
    }

    // MARK: Typed values

    /// The effective text of an option (file value or default), interpolated; nil when unset.
    public func text(_ name: OptionName) throws -> String? {
        if let a = raw(name).last { return try interpolate(a.value, group: name.group, location: a.location) }
        guard let spec = registry.spec(name) else {
            throw ConfigError(option: name, location: nil, message: "option is not registered")
        }
        return try spec.defaultText.map { try interpolate($0, group: name.group, location: nil) }
    }

    func spec(_ name: OptionName) throws -> OptionSpec {
        guard let spec = registry.spec(name) else {
            throw ConfigError(option: name, location: nil, message: "option is not registered")
        }
        return spec
    }

    func bad(_ spec: OptionSpec, _ value: String) -> ConfigError {
        ConfigError(option: spec.name, location: location(of: spec.name),
                    message: "invalid value \(spec.secret ? "(hidden)" : PythonQuote.repr(value)), expected \(spec.type.acceptedForm)")
    }

    public func string(_ group: String, _ name: String) throws -> String? {
        let n = OptionName(group, name)
        let s = try spec(n)
        guard let v = try text(n) else { return nil }
        if case .string(let choices?) = s.type, !choices.contains(v) { throw bad(s, v) }
        if case .uri(let schemes) = s.type {
            guard let scheme = v.split(separator: ":", maxSplits: 1).first, v.contains("://"),
                  schemes.map({ $0.contains(String(scheme)) }) ?? true else { throw bad(s, v) }
        }
        return v
    }

    public func int(_ group: String, _ name: String) throws -> Int? {
        let n = OptionName(group, name)
        let s = try spec(n)
        guard let v = try text(n) else { return nil }
        guard let i = Int(v.trimmingCharacters(in: .whitespaces)) else { throw bad(s, v) }
        switch s.type {
        case .integer(let min, let max):
            if let min, i < min { throw bad(s, v) }
            if let max, i > max { throw bad(s, v) }
        case .port:
            if !(0...65535).contains(i) { throw bad(s, v) }
        default: break
        }
        return i
    }

    public func double(_ group: String, _ name: String) throws -> Double? {
        let n = OptionName(group, name)
        let s = try spec(n)
        guard let v = try text(n) else { return nil }
        guard let d = Double(v.trimmingCharacters(in: .whitespaces)) else { throw bad(s, v) }
        if case .float(let min, let max) = s.type {
            if let min, d < min { throw bad(s, v) }
            if let max, d > max { throw bad(s, v) }
        }
        return d
    }

    public func bool(_ group: String, _ name: String) throws -> Bool? {
        let n = OptionName(group, name)
        let s = try spec(n)
        guard let v = try text(n) else { return nil }
        switch v.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "on", "yes": return true
        case "false", "0", "off", "no": return false
        default: throw bad(s, v)
        }
    }

    public func list(_ group: String, _ name: String) throws -> [String]? {
        let n = OptionName(group, name)
        _ = try spec(n)
        guard var v = try text(n)?.trimmingCharacters(in: .whitespaces) else { return nil }
        if v.hasPrefix("[") && v.hasSuffix("]") { v = String(v.dropFirst().dropLast()) }
        if v.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
        return v.split(separator: ",", omittingEmptySubsequences: false).map { part in
            var p = part.trimmingCharacters(in: .whitespaces)
            if p.count >= 2, let f = p.first, f == p.last, f == "\"" || f == "'" { p = String(p.dropFirst().dropLast()) }
            return p
        }
    }

    public func dict(_ group: String, _ name: String) throws -> [(key: String, value: String)]? {
        let n = OptionName(group, name)
        let s = try spec(n)
        guard let items = try list(group, name) else { return nil }
        var out: [(key: String, value: String)] = []
        for item in items where !item.isEmpty {
            guard let colon = item.firstIndex(of: ":") else { throw bad(s, item) }
            out.append((item[..<colon].trimmingCharacters(in: .whitespaces),
                        item[item.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return out
    }

    /// Every value of a multi-valued option across all files, in order (or its default).
    public func multi(_ group: String, _ name: String) throws -> [String] {
        let n = OptionName(group, name)
        let s = try spec(n)
        let assignments = raw(n)
        if assignments.isEmpty { return s.defaultText.map { [$0] } ?? [] }
        return try assignments.map { try interpolate($0.value, group: n.group, location: $0.location) }
    }

    // MARK: Validation

    /// Checks every registered option's value. Returns the errors (bad values: the service must
    /// not start) and warnings (unknown options, deprecated names in use).
    public func validate() -> (errors: [ConfigError], warnings: [ConfigWarning]) {
        var errors: [ConfigError] = []
        var warnings: [ConfigWarning] = []
        for name in registry.order {
            guard let spec = registry.spec(name) else { continue }
            do {
                switch spec.type {
                case .string, .uri: _ = try string(name.group, name.name)
                case .integer, .port: _ = try int(name.group, name.name)
                case .float: _ = try double(name.group, name.name)
                case .boolean: _ = try bool(name.group, name.name)
                case .list: _ = try list(name.group, name.name)
                case .dict: _ = try dict(name.group, name.name)
                case .multiString: _ = try multi(name.group, name.name)
                }
            } catch let e as ConfigError {
                errors.append(e)
            } catch {
                errors.append(ConfigError(option: name, location: location(of: name), message: "\(error)"))
            }
            if assignments[name] == nil, let old = spec.deprecatedNames.first(where: { assignments[$0] != nil }),
               let loc = assignments[old]?.last?.location {
                warnings.append(ConfigWarning(location: loc, message: "\(old) is deprecated, use \(name) instead"))
            }
        }
        for file in files {
            for section in file.sectionOrder where !registry.ignoredGroups.contains(section) {
                for a in file.sections[section] ?? [] where registry.owner(of: OptionName(section, a.key)) == nil {
                    warnings.append(ConfigWarning(location: a.location,
                                                  message: "unknown option [\(section)] \(a.key) is ignored"))
                }
            }
        }
        return (errors, warnings)
    }

    /// Effective values as text for `check-config`, secrets masked, in registry order.
    public func effectiveValues() -> [(name: OptionName, value: String, source: String)] {
        registry.order.compactMap { name in
            guard let spec = registry.spec(name) else { return nil }
            let shown: String
            if spec.type == .multiString {
                let values = (try? multi(name.group, name.name)) ?? []
                shown = spec.secret ? (values.isEmpty ? "" : "****") : values.joined(separator: " | ")
            } else {
                let v = (try? text(name)) ?? nil
                shown = v.map { spec.secret ? Secrets.mask($0) : $0 } ?? "<None>"
            }
            return (name, shown, location(of: name).map(\.description) ?? "default")
        }
    }
}

/// Masking of secret values for anything shown to people.
public enum Secrets {
    /// `****`, except that a URL keeps its shape with the password hidden
    /// (`rabbit://user:****@host:5672/`) so operators can still see where it points.
    public static func mask(_ value: String) -> String {
        if value.isEmpty { return "" }
        if value.contains("://") { return maskURLPasswords(value) }
        return "****"
    }

    /// Hides every `user:password@` password in a URL-ish string (several hosts allowed).
    public static func maskURLPasswords(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        var out = String(text[..<schemeEnd.upperBound])
        var rest = text[schemeEnd.upperBound...]
        // The authority part ends at the first '/', '?' or '#'.
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let hosts = authority.split(separator: ",", omittingEmptySubsequences: false).map { host -> String in
            guard let at = host.lastIndex(of: "@") else { return String(host) }
            let userinfo = host[..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                return String(userinfo[..<colon]) + ":****" + String(host[at...])
            }
            return String(host)
        }
        out += hosts.joined(separator: ",")
        rest = rest[authorityEnd...]
        // Query strings may carry passwords too (?password=...).
        var query = String(rest)
        for key in ["password=", "passwd=", "secret=", "token="] {
            while let r = query.range(of: key), !query[r.upperBound...].hasPrefix("****") {
                let end = query[r.upperBound...].firstIndex(where: { $0 == "&" || $0 == "#" }) ?? query.endIndex
                query.replaceSubrange(r.upperBound..<end, with: "****")
            }
        }
        return out + query
    }
}
