internal import Foundation

/// The arguments of one helm invocation (without the executable), built exactly as the Python
/// driver builds them so operators see the same commands in `ps` and in our logs.
///
/// Nothing secret is ever part of it: values go to standard input (`--values -`) and a kubeconfig
/// is passed by path.
public struct HelmCommandLine: Sendable, Equatable, CustomStringConvertible {
    public var arguments: [String]

    public init(_ arguments: [String]) {
        self.arguments = arguments
    }

    /// `upgrade <release> <chart> --history-max 10 --install --output json --timeout 5m
    /// --values - --namespace <ns> [--create-namespace] [--repo r] [--version v]
    /// [--kubeconfig k]` — magnum_capi_helm.helm.Client.install_or_upgrade's order.
    public static func upgradeInstall(_ request: HelmUpgradeRequest, kubeconfigPath: String?) -> HelmCommandLine {
        var arguments = [
            "upgrade", request.release, request.chart.name,
            "--history-max", String(request.historyMax),
            "--install",
            "--output", "json",
            "--timeout", goDuration(request.timeout),
            "--values", "-",
            "--namespace", request.namespace,
        ]
        if request.createNamespace { arguments.append("--create-namespace") }
        if let repository = request.chart.repository, !repository.isEmpty {
            arguments += ["--repo", repository]
        }
        if let version = request.chart.version, !version.isEmpty {
            arguments += ["--version", version]
        }
        if let kubeconfigPath { arguments += ["--kubeconfig", kubeconfigPath] }
        return HelmCommandLine(arguments)
    }

    /// `uninstall <release> --timeout 5m --namespace <ns> [--kubeconfig k]` —
    /// magnum_capi_helm.helm.Client.uninstall_release's order.
    public static func uninstall(_ request: HelmUninstallRequest, kubeconfigPath: String?) -> HelmCommandLine {
        var arguments = [
            "uninstall", request.release,
            "--timeout", goDuration(request.timeout),
            "--namespace", request.namespace,
        ]
        if let kubeconfigPath { arguments += ["--kubeconfig", kubeconfigPath] }
        return HelmCommandLine(arguments)
    }

    /// `status <release> --namespace <ns> --output json [--kubeconfig k]`.
    public static func status(_ request: HelmStatusRequest, kubeconfigPath: String?) -> HelmCommandLine {
        var arguments = ["status", request.release, "--namespace", request.namespace, "--output", "json"]
        if let kubeconfigPath { arguments += ["--kubeconfig", kubeconfigPath] }
        return HelmCommandLine(arguments)
    }

    /// `template <release> <chart> --namespace <ns> --values - [--output-dir d] [--kube-version k]
    /// [--repo r] [--version v]`.
    public static func template(_ request: HelmTemplateRequest) -> HelmCommandLine {
        var arguments = [
            "template", request.release, request.chart.name,
            "--namespace", request.namespace,
            "--values", "-",
        ]
        if let directory = request.outputDirectory { arguments += ["--output-dir", directory] }
        if let kubeVersion = request.kubeVersion, !kubeVersion.isEmpty {
            arguments += ["--kube-version", kubeVersion]
        }
        if let repository = request.chart.repository, !repository.isEmpty {
            arguments += ["--repo", repository]
        }
        if let version = request.chart.version, !version.isEmpty {
            arguments += ["--version", version]
        }
        return HelmCommandLine(arguments)
    }

    /// `version --template {{.Version}}` (prints `v3.17.2`; helm 3 and 4 agree on it).
    public static func version() -> HelmCommandLine {
        HelmCommandLine(["version", "--template", "{{.Version}}"])
    }

    /// A Go duration as helm parses it: `5m`, `1m30s`, `2h`, `500ms`.
    public static func goDuration(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = attoseconds / 1_000_000_000_000_000
        if seconds <= 0 && milliseconds <= 0 { return "0s" }
        if milliseconds != 0 { return "\(seconds * 1000 + milliseconds)ms" }
        var text = ""
        let hours = seconds / 3600, minutes = seconds % 3600 / 60, rest = seconds % 60
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if rest > 0 { text += "\(rest)s" }
        return text
    }

    /// Shell-quoted `helm ...`, for logs and error messages.
    public var description: String {
        (["helm"] + arguments).map(Self.shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0)
                || "-_./:=@%+,".unicodeScalars.contains($0)
        }
        if safe && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
