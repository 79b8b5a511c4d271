public import JSON

/// What the driver asks of helm: magnum-capi-helm's `helm.Client` boundary.
///
/// An adapter runs `helm upgrade <release> <chart> --history-max 10 --install --output json
/// --timeout 5m --values - --namespace <namespace> [--repo <repo>] [--version <version>]
/// [--kubeconfig <[capi_helm] kubeconfig_file>]` with `values` as JSON on standard input, and
/// `helm uninstall <release> --timeout 5m --namespace <namespace>`, treating "release: not found"
/// as success. `repo` and `version` are passed exactly as configured: an empty string means the
/// flag is left out.
public protocol HelmPort: Sendable {
    func installOrUpgrade(release: String, chart: String, values: JSONValue, repo: String, version: String, namespace: String) async throws
    func uninstallRelease(release: String, namespace: String) async throws
}
