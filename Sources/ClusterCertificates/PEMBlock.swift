import Foundation

/// One PEM block (`-----BEGIN LABEL-----` … `-----END LABEL-----`), read the way OpenSSL reads
/// them: text around the block is ignored, RFC 1421 headers (`Proc-Type`, `DEK-Info`) are kept,
/// and the body is base64 over any number of lines.
struct PEMBlock: Sendable {
    let label: String
    /// RFC 1421 headers in order (legacy OpenSSL encryption uses them).
    let headers: [(name: String, value: String)]
    let der: [UInt8]

    /// Every well-formed block in `text`, in order. A block whose base64 does not decode, or
    /// that has no END line, ends the scan (as OpenSSL stops at the first broken block).
    static func blocks(in text: String) -> [PEMBlock] {
        var result: [PEMBlock] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        var i = 0
        while i < lines.count {
            guard let label = boundary(lines[i], "BEGIN") else {
                i += 1
                continue
            }
            i += 1
            var headers: [(String, String)] = []
            var body = ""
            var ended = false
            // Headers: "Name: value" lines up to a blank line, only right after BEGIN.
            if i < lines.count, lines[i].contains(":") {
                while i < lines.count, !lines[i].trimmingCharacters(in: .whitespaces).isEmpty {
                    if let colon = lines[i].firstIndex(of: ":") {
                        let name = lines[i][..<colon].trimmingCharacters(in: .whitespaces)
                        let value = lines[i][lines[i].index(after: colon)...].trimmingCharacters(in: .whitespaces)
                        headers.append((name, value))
                    }
                    i += 1
                }
            }
            while i < lines.count {
                if let end = boundary(lines[i], "END") {
                    guard end == label else { return result }
                    ended = true
                    i += 1
                    break
                }
                body += lines[i].trimmingCharacters(in: .whitespaces)
                i += 1
            }
            guard ended, let data = Data(base64Encoded: body) else { return result }
            result.append(PEMBlock(label: label, headers: headers, der: Array(data)))
        }
        return result
    }

    /// The first block whose label is one of `labels`.
    static func first(in text: String, labels: Set<String>) -> PEMBlock? {
        blocks(in: text).first { labels.contains($0.label) }
    }

    /// `-----BEGIN label-----`, base64 in lines of 64, `-----END label-----`, each line ended by
    /// a newline: the layout OpenSSL (and so Python's `cryptography`) writes.
    static func encode(label: String, der: some Collection<UInt8>) -> String {
        let base64 = Data(der).base64EncodedString()
        var out = "-----BEGIN \(label)-----\n"
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            out += base64[index..<next]
            out += "\n"
            index = next
        }
        out += "-----END \(label)-----\n"
        return out
    }

    private static func boundary(_ line: String, _ kind: String) -> String? {
        let prefix = "-----\(kind) "
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix(prefix), trimmed.hasSuffix("-----"), trimmed.count > prefix.count + 5 else { return nil }
        return String(trimmed.dropFirst(prefix.count).dropLast(5))
    }
}
