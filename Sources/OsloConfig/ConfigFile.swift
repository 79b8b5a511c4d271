import Foundation

/// Where a value came from, so an operator is told which file and line to fix.
public struct ConfigLocation: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// One `key = value` occurrence in a file (multi-line values already joined with newlines).
public struct ConfigAssignment: Sendable, Equatable {
    public let key: String
    public let value: String
    public let location: ConfigLocation
}

/// A syntax error in an INI file, reported like oslo.config does ("at line N, <what>: '<line>'").
public struct ConfigParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let location: ConfigLocation
    public let reason: String
    public let text: String

    public var description: String { "\(location.file): at line \(location.line), \(reason): \(PythonQuote.repr(text))" }
}

/// A parsed INI file with oslo.config's syntax rules (`oslo_config/iniparser.py`): `key = value`
/// or `key: value`, continuation lines indented, blank lines end a value, `#`/`;` comments only at
/// the start of a line, one pair of matching quotes stripped, section names lower-cased except
/// `DEFAULT`, repeated keys kept in order (multi-valued options use all of them).
public struct ConfigFile: Sendable {
    public let path: String
    /// Section (normalised) → assignments in file order.
    public private(set) var sections: [String: [ConfigAssignment]] = [:]
    /// Sections in the order they first appear.
    public private(set) var sectionOrder: [String] = []

    public init(path: String, contents: String) throws(ConfigParseError) {
        self.path = path
        var section: String?
        var key: String?
        var keyLine = 0
        var value: [String] = []
        var lineNumber = 0

        func flush(_ file: inout ConfigFile) throws(ConfigParseError) {
            guard let k = key else { return }
            guard let s = section else {
                throw ConfigParseError(location: ConfigLocation(file: path, line: keyLine), reason: "Section must be started before assignment", text: k)
            }
            file.sections[s, default: []].append(
                ConfigAssignment(key: k, value: value.joined(separator: "\n"), location: ConfigLocation(file: path, line: keyLine)))
            key = nil
            value = []
        }

        for rawLine in contents.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            while let last = line.last, last.isWhitespace { line = line.dropLast() }
            let location = ConfigLocation(file: path, line: lineNumber)
            if line.isEmpty {
                try flush(&self)
                continue
            }
            if line.first == " " || line.first == "\t" {
                guard key != nil else {
                    throw ConfigParseError(location: location, reason: "Unexpected continuation line", text: String(line))
                }
                value.append(String(line.drop { $0 == " " || $0 == "\t" }))
                continue
            }
            try flush(&self)
            if line.first == "[" {
                guard line.last == "]" else {
                    throw ConfigParseError(location: location, reason: "Invalid section (must end with ])", text: String(line))
                }
                guard line.count > 2 else {
                    throw ConfigParseError(location: location, reason: "Empty section name", text: String(line))
                }
                let name = String(line.dropFirst().dropLast())
                let normalized = name == "DEFAULT" ? name : name.lowercased()
                section = normalized
                if sections[normalized] == nil {
                    sections[normalized] = []
                    sectionOrder.append(normalized)
                }
            } else if line.first == "#" || line.first == ";" {
                continue
            } else {
                let colon = line.firstIndex(of: ":")
                let equal = line.firstIndex(of: "=")
                let split: Substring.Index
                switch (colon, equal) {
                case (nil, nil):
                    throw ConfigParseError(location: location, reason: "No ':' or '=' found in assignment", text: String(line))
                case (nil, let e?): split = e
                case (let c?, nil): split = c
                case (let c?, let e?): split = e < c ? e : c
                }
                let k = line[..<split].trimmingCharacters()
                var v = line[line.index(after: split)...].trimmingCharacters()
                if v.count >= 2, let f = v.first, f == v.last, f == "\"" || f == "'" {
                    v = String(v.dropFirst().dropLast())
                } else if v.count == 1, v == "\"" || v == "'" {
                    v = ""
                }
                guard !k.isEmpty else {
                    throw ConfigParseError(location: location, reason: "Key cannot be empty", text: String(line))
                }
                key = k
                keyLine = lineNumber
                value = [v]
            }
        }
        try flush(&self)
    }
}

extension Substring {
    func trimmingCharacters() -> String { String(self).trimmingCharacters(in: .whitespaces) }
}

enum PythonQuote {
    static func repr(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        return String(quote) + s.replacingOccurrences(of: "\\", with: "\\\\") + String(quote)
    }
}
