/// A strict reader of the Prometheus text exposition format (version 0.0.4), so tests check that
/// `/metrics` is valid, not just that it contains some words.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Family {
        var name: String
        var type: String
        var help: String?
        var samples: [Sample] = []
    }

    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    var families: [String: Family] = [:]

    init(_ text: String) throws {
        var helps: [String: String] = [:]
        var types: [String: String] = [:]
        guard text.isEmpty || text.hasSuffix("\n") else { throw ParseError(line: 0, message: "no final newline") }
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = String(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                guard let space = rest.firstIndex(of: " ") else { throw ParseError(line: lineNumber, message: "HELP without text") }
                helps[String(rest[..<space])] = String(rest[rest.index(after: space)...])
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[1])) else {
                    throw ParseError(line: lineNumber, message: "bad TYPE line")
                }
                let name = String(parts[0])
                guard types[name] == nil else { throw ParseError(line: lineNumber, message: "second TYPE for \(name)") }
                types[name] = String(parts[1])
                families[name] = Family(name: name, type: String(parts[1]), help: helps[name])
                continue
            }
            if line.hasPrefix("#") { continue }
            let sample = try Self.parseSample(line, lineNumber: lineNumber)
            guard let familyName = Self.family(of: sample.name, types: types) else {
                throw ParseError(line: lineNumber, message: "sample \(sample.name) before its TYPE")
            }
            families[familyName]?.samples.append(sample)
        }
        for (name, help) in helps { families[name]?.help = help }
        try checkHistograms()
    }

    static func family(of sample: String, types: [String: String]) -> String? {
        if types[sample] != nil { return sample }
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return nil
    }

    static func isName(_ s: Substring) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" || first == ":" else { return false }
        return s.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == ":" }
    }

    static func parseSample(_ line: String, lineNumber: Int) throws -> Sample {
        var i = line.startIndex
        while i < line.endIndex, line[i] != "{", line[i] != " " { i = line.index(after: i) }
        let name = line[..<i]
        guard isName(name) else { throw ParseError(line: lineNumber, message: "bad metric name \(name)") }
        var labels: [String: String] = [:]
        if i < line.endIndex, line[i] == "{" {
            i = line.index(after: i)
            while i < line.endIndex, line[i] != "}" {
                var j = i
                while j < line.endIndex, line[j] != "=" { j = line.index(after: j) }
                let labelName = line[i..<j]
                guard isName(labelName), j < line.endIndex else { throw ParseError(line: lineNumber, message: "bad label name") }
                j = line.index(after: j)
                guard j < line.endIndex, line[j] == "\"" else { throw ParseError(line: lineNumber, message: "unquoted label value") }
                j = line.index(after: j)
                var value = ""
                while j < line.endIndex, line[j] != "\"" {
                    if line[j] == "\\" {
                        j = line.index(after: j)
                        guard j < line.endIndex else { throw ParseError(line: lineNumber, message: "bad escape") }
                        switch line[j] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: throw ParseError(line: lineNumber, message: "bad escape \\\(line[j])")
                        }
                    } else {
                        value.append(line[j])
                    }
                    j = line.index(after: j)
                }
                guard j < line.endIndex else { throw ParseError(line: lineNumber, message: "unterminated label value") }
                guard labels[String(labelName)] == nil else { throw ParseError(line: lineNumber, message: "duplicate label") }
                labels[String(labelName)] = value
                j = line.index(after: j)
                if j < line.endIndex, line[j] == "," { j = line.index(after: j) }
                i = j
            }
            guard i < line.endIndex else { throw ParseError(line: lineNumber, message: "unterminated labels") }
            i = line.index(after: i)
        }
        guard i < line.endIndex, line[i] == " " else { throw ParseError(line: lineNumber, message: "no value") }
        let rest = line[line.index(after: i)...].split(separator: " ")
        guard rest.count == 1 || rest.count == 2 else { throw ParseError(line: lineNumber, message: "bad value part") }
        let valueText = String(rest[0])
        let value: Double
        switch valueText {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let v = Double(valueText) else { throw ParseError(line: lineNumber, message: "bad value \(valueText)") }
            value = v
        }
        return Sample(name: String(name), labels: labels, value: value)
    }

    /// Buckets are cumulative, end with +Inf, and +Inf equals _count, for every label set.
    func checkHistograms() throws {
        for family in families.values where family.type == "histogram" {
            var series: [[String: String]: [(Double, Double)]] = [:]
            var counts: [[String: String]: Double] = [:]
            for sample in family.samples {
                var labels = sample.labels
                if sample.name == family.name + "_bucket" {
                    guard let le = labels.removeValue(forKey: "le") else { throw ParseError(line: 0, message: "bucket without le") }
                    let bound = le == "+Inf" ? Double.infinity : (Double(le) ?? .nan)
                    series[labels, default: []].append((bound, sample.value))
                } else if sample.name == family.name + "_count" {
                    counts[labels] = sample.value
                }
            }
            for (labels, buckets) in series {
                let sorted = buckets.sorted { $0.0 < $1.0 }
                guard sorted.last?.0 == .infinity else { throw ParseError(line: 0, message: "\(family.name) without +Inf") }
                for (a, b) in zip(sorted, sorted.dropFirst()) where b.1 < a.1 {
                    throw ParseError(line: 0, message: "\(family.name) buckets not cumulative")
                }
                guard counts[labels] == sorted.last?.1 else { throw ParseError(line: 0, message: "\(family.name) +Inf != count") }
            }
        }
    }

    /// The value of the sample `name` with exactly `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        for family in families.values {
            if let sample = family.samples.first(where: { $0.name == name && $0.labels == labels }) { return sample.value }
        }
        return nil
    }
}
