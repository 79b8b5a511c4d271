internal import Foundation

/// How the worker runs helm: which binary, which kubeconfig, how many at once, how long.
///
/// Built from `magnum.conf` (the option names are in ``Option``); the defaults reproduce the
/// Python driver (`helm` from `PATH`, `[capi_helm] kubeconfig_file` or else `KUBECONFIG` /
/// `~/.kube/config`).
public struct HelmConfiguration: Sendable {
    /// The `magnum.conf` options these settings come from, for error messages.
    public enum Option {
        /// The Python driver's options.
        public static let kubeconfigFile = "[capi_helm] kubeconfig_file"
        public static let chartRepository = "[capi_helm] helm_chart_repo"
        public static let chartName = "[capi_helm] helm_chart_name"
        /// This worker's additions (not in the Python driver, which always runs `helm` from PATH).
        public static let executable = "[capi_helm] helm_executable"
        public static let maxConcurrentProcesses = "[capi_helm] helm_max_concurrency"
        public static let stateDirectory = "[capi_helm] helm_state_dir"
    }

    /// `helm` (looked up in ``searchPath``) or an absolute path.
    public var executable: String
    /// The management cluster; `nil` does what the Python driver does with an empty
    /// `kubeconfig_file`: helm reads `KUBECONFIG`, else `~/.kube/config` of the worker's user.
    public var kubeconfig: HelmKubeconfig?
    /// At most this many helm processes run at once; further calls wait (cancellably).
    public var maxConcurrentProcesses: Int
    /// The process deadline is the request's helm `--timeout` plus this margin (helm needs time
    /// to start, fetch the chart and report after its own timeout expires).
    public var deadlineMargin: Duration
    /// After SIGTERM to helm's process group, how long before SIGKILL.
    public var terminationGracePeriod: Duration
    /// helm's HOME and XDG/HELM cache, config and data directories (repository index cache).
    /// `nil`: a private temporary directory (0700) made on first use and removed by
    /// ``HelmCommandExecutor/shutdown()``.
    public var stateDirectory: String?
    /// `PATH` given to helm, and where ``executable`` is looked up when it is a bare name.
    public var searchPath: String
    /// Variables copied from the worker's environment when set (proxies, CA bundles). Nothing else
    /// of the worker's environment reaches helm.
    public var passthroughEnvironment: [String]
    /// The worker's environment (the process's own unless given), read for
    /// ``passthroughEnvironment``, `KUBECONFIG` and `HOME`.
    public var inheritedEnvironment: [String: String]
    /// Largest standard output accepted from helm (upgrade output includes the manifest).
    public var maximumOutputBytes: Int
    /// Largest standard error kept.
    public var maximumErrorBytes: Int
    /// Told about every helm process that ran (metrics); must return quickly.
    public var observer: (@Sendable (HelmInvocation) -> Void)?

    public static let defaultPassthroughEnvironment = [
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "TZ", "LANG",
    ]

    public init(
        executable: String = "helm",
        kubeconfig: HelmKubeconfig? = nil,
        maxConcurrentProcesses: Int = 4,
        deadlineMargin: Duration = .seconds(60),
        terminationGracePeriod: Duration = .seconds(10),
        stateDirectory: String? = nil,
        searchPath: String = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        passthroughEnvironment: [String] = HelmConfiguration.defaultPassthroughEnvironment,
        inheritedEnvironment: [String: String]? = nil,
        maximumOutputBytes: Int = 64 << 20,
        maximumErrorBytes: Int = 1 << 20
    ) {
        self.executable = executable
        self.kubeconfig = kubeconfig
        self.maxConcurrentProcesses = maxConcurrentProcesses
        self.deadlineMargin = deadlineMargin
        self.terminationGracePeriod = terminationGracePeriod
        self.stateDirectory = stateDirectory
        self.searchPath = searchPath
        self.passthroughEnvironment = passthroughEnvironment
        self.inheritedEnvironment = inheritedEnvironment ?? ProcessInfo.processInfo.environment
        self.maximumOutputBytes = maximumOutputBytes
        self.maximumErrorBytes = maximumErrorBytes
    }

    /// The executable's absolute path: ``executable`` itself when it contains a `/`, else the
    /// first executable file of that name in ``searchPath``; `nil` when there is none.
    public func resolvedExecutable() -> String? {
        let fileManager = FileManager.default
        if executable.contains("/") {
            return fileManager.isExecutableFile(atPath: executable) ? executable : nil
        }
        for directory in searchPath.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(executable)"
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               fileManager.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        return nil
    }

    /// The kubeconfig helm falls back to when none is configured, as the Python driver's helm
    /// would find it: `KUBECONFIG` of the worker, else `~/.kube/config` when it exists.
    func fallbackKubeconfigPath() -> String? {
        if let path = inheritedEnvironment["KUBECONFIG"], !path.isEmpty { return path }
        if let home = inheritedEnvironment["HOME"], !home.isEmpty {
            let path = "\(home)/.kube/config"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
}

/// One helm process as the executor saw it: the operation, how it ended, how long it took.
public struct HelmInvocation: Sendable {
    public enum Outcome: String, Sendable {
        /// Exit status 0.
        case success
        /// Another exit status, or it could not be started.
        case failure
        /// Stopped at its deadline.
        case timeout
    }

    public let operation: HelmOperation
    public let outcome: Outcome
    public let duration: Duration

    public init(operation: HelmOperation, outcome: Outcome, duration: Duration) {
        self.operation = operation
        self.outcome = outcome
        self.duration = duration
    }
}
