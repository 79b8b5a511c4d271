internal import Foundation

/// Turns helm's standard error into a ``HelmError/Kind`` and a clean message.
///
/// The patterns are helm's real messages (helm 3.17 and 4.1, checked against the real binaries in
/// `HelmErrorClassifierTests` and `HelmRealBinaryTests`), matched case-insensitively because
/// helm 4 lower-cased some of them ("kubernetes cluster unreachable").
public enum HelmErrorClassifier {
    /// The kind for a failed helm run's standard error.
    public static func kind(of stderr: String) -> HelmError.Kind {
        let text = stderr.lowercased()
        for rule in rules where rule.matches(text) {
            return rule.kind
        }
        return .failed
    }

    /// helm's message without `Error: ` prefixes, client-go log lines, warnings and the
    /// `--debug` hint; empty lines dropped. Not masked: mask it before showing it.
    public static func message(from stderr: String) -> String {
        var lines: [String] = []
        var warnings: [String] = []
        for raw in stderr.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("Use --debug flag") { continue }
            if isClientGoLogLine(line) { continue }
            if line.hasPrefix("WARNING: ") || line.hasPrefix("walk.go:") {
                warnings.append(line)
                continue
            }
            if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
            lines.append(line)
        }
        return (lines.isEmpty ? warnings : lines).joined(separator: "\n")
    }

    /// `E1126 04:53:15.000032   15646 memcache.go:265] ...` (klog, from client-go).
    static func isClientGoLogLine(_ line: String) -> Bool {
        let scalars = Array(line.unicodeScalars.prefix(6))
        guard scalars.count == 6, "IWEF".unicodeScalars.contains(scalars[0]) else { return false }
        return scalars[1...4].allSatisfy { ("0"..."9").contains($0) } && scalars[5] == " "
    }

    struct Rule: Sendable {
        var kind: HelmError.Kind
        var substrings: [String] = []
        var patterns: [String] = []

        func matches(_ text: String) -> Bool {
            if substrings.contains(where: { text.contains($0) }) { return true }
            return patterns.contains { text.range(of: $0, options: .regularExpression) != nil }
        }
    }

    /// Most specific first: a repository error mentions "dial tcp" too, a pending release
    /// "UPGRADE FAILED".
    static let rules: [Rule] = [
        Rule(kind: .operationInProgress, substrings: ["another operation (install/upgrade/rollback) is in progress"]),
        Rule(kind: .schemaValidationFailed, substrings: ["values don't meet the specifications of the schema"]),
        Rule(kind: .invalidValues, substrings: ["failed to parse -:", "failed to parse values"]),
        Rule(
            kind: .chartNotFound,
            substrings: ["no chart version found for", "no chart name found", "no cached repo found"],
            patterns: [
                #"chart "[^"]*"( version "[^"]*")? not found in "#,
                #"path "[^"]*" not found"#,
                #"failed to fetch https?://"#,
                #"failed to download ""#,
                #"oci://[^ ]*: not found"#,
                #": (manifest unknown|name unknown)"#,
            ]),
        Rule(
            kind: .repositoryUnreachable,
            substrings: ["is not a valid chart repository or cannot be reached"],
            patterns: [
                #"get "https?://[^"]*/v2/[^"]*": "#,
                #"could not find protocol handler for"#,
            ]),
        Rule(
            kind: .kubernetesUnreachable,
            substrings: [
                "kubernetes cluster unreachable",
                "could not get apiversions from kubernetes",
                "unable to connect to the server",
            ]),
        Rule(kind: .releaseNotFound, substrings: ["release: not found"]),
        Rule(kind: .namespaceNotFound, patterns: [#"namespaces "[^"]*" not found"#]),
        Rule(
            kind: .kubernetesAccessDenied,
            substrings: [" is forbidden: ", "unauthorized", "must be logged in to the server", "provide credentials"]),
        Rule(
            kind: .timedOut,
            substrings: ["context deadline exceeded", "timed out waiting for the condition", "i/o timeout"]),
        Rule(
            kind: .renderFailed,
            substrings: [
                "execution error at (", "parse error at (", "yaml parse error on",
                "unable to build kubernetes objects from release manifest",
                "error converting yaml to json",
                "rendered manifests contain a resource that already exists",
            ],
            patterns: [#"template: [^ ]+:[0-9]+:[0-9]+: "#]),
    ]
}
