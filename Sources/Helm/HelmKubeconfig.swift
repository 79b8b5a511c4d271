/// How helm reaches the management cluster.
///
/// `.file` is `[capi_helm] kubeconfig_file` (passed as `--kubeconfig <path>`, like Python).
/// `.content` is a kubeconfig held in memory (for example read from a secret store): it is written
/// to a 0600 file in the executor's private directory for the duration of one helm call and
/// removed afterwards. Its text never appears in descriptions, logs or errors.
public enum HelmKubeconfig: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    case file(path: String)
    case content(String)

    public var description: String {
        switch self {
        case .file(let path): "kubeconfig file \(path)"
        case .content(let text): "kubeconfig content (\(text.utf8.count) bytes, not shown)"
        }
    }

    public var debugDescription: String { description }

    /// Keeps `dump()` and debuggers from printing the content.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
