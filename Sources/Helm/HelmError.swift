/// A helm operation that failed, with what an operator needs to act on it.
///
/// `kind` is what callers match on (``Kind/releaseNotFound``, ``Kind/kubernetesUnreachable``,
/// ...). `detail` is helm's own message (its standard error, `Error: ` prefixes and usage hints
/// removed) or ours, with secrets masked, so ``statusReason`` can go into Magnum's
/// `status_reason` as it is.
public struct HelmError: Error, Sendable, CustomStringConvertible {
    /// Why helm failed. Classified from helm 3 and 4's real messages (see ``HelmErrorClassifier``).
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// `release: not found` (status, uninstall of a release that never existed).
        public static let releaseNotFound = Kind(rawValue: "release_not_found")
        /// The chart (or that version of it) is not in the repository, or the local path is missing.
        public static let chartNotFound = Kind(rawValue: "chart_not_found")
        /// The chart repository (`[capi_helm] helm_chart_repo`) or OCI registry could not be reached.
        public static let repositoryUnreachable = Kind(rawValue: "repository_unreachable")
        /// The management cluster's API server could not be reached (`Kubernetes cluster unreachable`).
        public static let kubernetesUnreachable = Kind(rawValue: "kubernetes_unreachable")
        /// The API server refused the credentials or the permission (`forbidden`, `Unauthorized`).
        public static let kubernetesAccessDenied = Kind(rawValue: "kubernetes_access_denied")
        /// The release's namespace does not exist (`namespaces "x" not found`).
        public static let namespaceNotFound = Kind(rawValue: "namespace_not_found")
        /// helm's own `--timeout` expired, or the process outlived its deadline and was killed.
        public static let timedOut = Kind(rawValue: "timed_out")
        /// A template failed to render (`required`, `fail`, template or YAML errors, objects the
        /// API server cannot build).
        public static let renderFailed = Kind(rawValue: "render_failed")
        /// The values do not match the chart's `values.schema.json`.
        public static let schemaValidationFailed = Kind(rawValue: "schema_validation_failed")
        /// helm could not read the values document itself.
        public static let invalidValues = Kind(rawValue: "invalid_values")
        /// Another install/upgrade/rollback of the release is in progress (a pending release).
        public static let operationInProgress = Kind(rawValue: "operation_in_progress")
        /// helm succeeded but printed something that is not the expected JSON.
        public static let unexpectedOutput = Kind(rawValue: "unexpected_output")
        /// The helm executable is missing or could not be started.
        public static let executableUnavailable = Kind(rawValue: "executable_unavailable")
        /// Any other helm failure; `detail` has helm's message.
        public static let failed = Kind(rawValue: "failed")

        public var description: String { rawValue }
    }

    public var kind: Kind
    public var operation: HelmOperation
    public var release: String?
    public var namespace: String?
    /// helm's exit status; `nil` when it did not exit by itself (killed, never started).
    public var exitStatus: Int32?
    /// The message, masked: safe for logs and `status_reason`.
    public var detail: String

    public init(
        kind: Kind, operation: HelmOperation, release: String? = nil, namespace: String? = nil,
        exitStatus: Int32? = nil, detail: String
    ) {
        self.kind = kind
        self.operation = operation
        self.release = release
        self.namespace = namespace
        self.exitStatus = exitStatus
        self.detail = detail
    }

    /// At most this many characters go into ``statusReason``.
    public static let statusReasonLimit = 1000

    /// One line for Magnum's `status_reason`: `helm upgrade --install prod-east-x9k2m4p7q1w3
    /// failed: Kubernetes cluster unreachable: ...`.
    public var statusReason: String {
        var text = operation.command
        if let release { text += " \(release)" }
        text += " failed: "
        let flat = detail.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        text += flat.isEmpty ? kind.rawValue : flat
        if text.count > Self.statusReasonLimit {
            text = String(text.prefix(Self.statusReasonLimit - 1)) + "…"
        }
        return text
    }

    public var description: String {
        var text = statusReason
        if let namespace { text += " [namespace \(namespace)]" }
        return text + " (\(kind.rawValue))"
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
