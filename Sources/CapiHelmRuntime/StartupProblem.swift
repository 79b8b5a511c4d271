/// One reason the capi-helm runtime cannot start: the `magnum.conf` option to change and what to
/// do, so an operator can fix it without reading code.
public struct StartupProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// `[section] option`, e.g. `[capi_helm] kubeconfig_file`.
    public let option: String
    /// What is wrong and how to fix it.
    public let message: String

    public init(option: String, _ message: String) {
        self.option = option
        self.message = message
    }

    public var description: String { "\(option): \(message)" }
}

/// The runtime did not start; every problem found is listed (not only the first), each naming
/// its option. Nothing in it quotes a secret.
public struct CapiHelmRuntimeStartupError: Error, Sendable, CustomStringConvertible {
    public let problems: [StartupProblem]

    public init(problems: [StartupProblem]) {
        self.problems = problems
    }

    /// Whether a problem names `option` (`[capi_helm] kubeconfig_file`).
    public func mentions(_ option: String) -> Bool { problems.contains { $0.option == option } }

    public var description: String {
        let lines = problems.map { "  - \($0)" }.joined(separator: "\n")
        return "The capi-helm driver cannot start (\(problems.count) problem\(problems.count == 1 ? "" : "s") in magnum.conf or its environment):\n\(lines)"
    }
}
