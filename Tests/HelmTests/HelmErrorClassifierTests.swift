import Helm
import Testing

/// helm's real standard error, as helm 3.17.2 and 4.1.4 printed it here (against a closed port,
/// the fake API server, a chart repository without the chart, the test chart with bad values),
/// and the kind each one must become. `HelmRealBinaryTests` produces the same texts live.
@Suite struct HelmErrorClassifierTests {
    static let realMessages: [(String, HelmError.Kind)] = [
        // helm 3.17.2
        (#"Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": dial tcp 127.0.0.1:1: connect: connection refused"#, .kubernetesUnreachable),
        ("Error: release: not found", .releaseNotFound),
        ("Error: uninstall: Release not loaded: rel: release: not found", .releaseNotFound),
        (#"Error: looks like "https://127.0.0.1:1/charts" is not a valid chart repository or cannot be reached: Get "https://127.0.0.1:1/charts/index.yaml": dial tcp 127.0.0.1:1: connect: connection refused"#, .repositoryUnreachable),
        (#"Error: chart "openstack-cluster" version "0.10.1" not found in http://127.0.0.1:18555/charts repository"#, .chartNotFound),
        (#"Error: chart "openstack-cluster" not found in http://127.0.0.1:18555/charts repository"#, .chartNotFound),
        (#"Error: Get "https://127.0.0.1:1/v2/charts/openstack-cluster/tags/list": dial tcp 127.0.0.1:1: connect: connection refused"#, .repositoryUnreachable),
        (#"Error: path "./nochart" not found"#, .chartNotFound),
        ("Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress", .operationInProgress),
        (#"Error: query: failed to query with labels: secrets is forbidden: User "system:serviceaccount:x:y" cannot list resource "secrets" in API group "" in the namespace "ns""#, .kubernetesAccessDenied),
        (#"Error: create: failed to create: namespaces "ns" not found"#, .namespaceNotFound),
        (
            """
            E1126 04:53:15.000032   15646 memcache.go:265] "Unhandled Error" err="couldn't get current server API group list: the server could not find the requested resource" logger="UnhandledError"
            Error: could not get apiVersions from Kubernetes: could not get apiVersions from Kubernetes: the server could not find the requested resource
            """, .kubernetesUnreachable),
        (
            """
            Error: values don't meet the specifications of the schema(s) in the following chart(s):
            openstack-cluster-paths:
            - (root): Additional property bogus is not allowed
            - kubernetesVersion: Invalid type. Expected: [string,null], given: number
            - nodeGroups.0: Additional property machineFlavour is not allowed
            - controlPlane.machineCount: Invalid type. Expected: integer, given: string

            """, .schemaValidationFailed),
        (
            """
            Error: execution error at (openstack-cluster-paths/templates/node-groups.yaml:19:6): maximum machine count < minimum machine count for node group 'a'

            Use --debug flag to render out invalid YAML
            """, .renderFailed),
        ("Error: failed to parse -: error converting YAML to JSON: yaml: line 1: did not find expected node content", .invalidValues),
        ("Error: unable to build kubernetes objects from release manifest: error validating \"\": error validating data: failed to download openapi: the server could not find the requested resource", .renderFailed),
        // helm 4.1.4
        (#"Error: kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": dial tcp 127.0.0.1:1: connect: connection refused"#, .kubernetesUnreachable),
        (
            """
            Error: values don't meet the specifications of the schema(s) in the following chart(s):
            openstack-cluster-paths:
            - at '/nodeGroups/0': additional properties 'machineFlavour' not allowed
            - at '/controlPlane/machineCount': got string, want integer
            """, .schemaValidationFailed),
        // Messages of helm's source for states the fakes do not reach.
        ("Error: UPGRADE FAILED: context deadline exceeded", .timedOut),
        ("Error: UPGRADE FAILED: timed out waiting for the condition", .timedOut),
        ("Error: Kubernetes cluster unreachable: the server has asked for the client to provide credentials", .kubernetesUnreachable),
        ("Error: query: failed to query with labels: Unauthorized", .kubernetesAccessDenied),
        (#"Error: parse error at (openstack-cluster/templates/x.yaml:3): unexpected "}" in operand"#, .renderFailed),
        ("Error: YAML parse error on openstack-cluster/templates/cluster.yaml: error converting YAML to JSON: yaml: line 4: mapping values are not allowed in this context", .renderFailed),
        (#"Error: UPGRADE FAILED: template: openstack-cluster/templates/x.yaml:3:4: executing "x" at <.Values.a.b>: nil pointer evaluating interface {}.b"#, .renderFailed),
        ("Error: something nobody expected", .failed),
    ]

    @Test(arguments: realMessages)
    func classifiesRealHelmMessages(stderr: String, kind: HelmError.Kind) {
        #expect(HelmErrorClassifier.kind(of: stderr) == kind)
    }

    @Test func messageDropsPrefixesLogLinesAndHints() {
        let stderr = """
            WARNING: Kubernetes configuration file is group-readable. This is insecure. Location: /x
            E1126 04:53:15.000032   15646 memcache.go:265] "Unhandled Error" err="boom"
            Error: execution error at (c/templates/a.yaml:1:2): machineFlavor is required

            Use --debug flag to render out invalid YAML
            """
        #expect(HelmErrorClassifier.message(from: stderr) == "execution error at (c/templates/a.yaml:1:2): machineFlavor is required")
    }

    @Test func messageKeepsWarningsWhenNothingElseIsThere() {
        #expect(HelmErrorClassifier.message(from: "WARNING: only this\n") == "WARNING: only this")
    }

    @Test func statusReasonIsOneBoundedLine() {
        let error = HelmError(
            kind: .schemaValidationFailed, operation: .upgradeInstall, release: "rel", namespace: "ns", exitStatus: 1,
            detail: "values don't meet the specifications:\nchart:\n- a: wrong\n" + String(repeating: "x", count: 2000))
        #expect(!error.statusReason.contains("\n"))
        #expect(error.statusReason.count == HelmError.statusReasonLimit)
        #expect(error.statusReason.hasPrefix("helm upgrade --install rel failed: values don't meet the specifications:; chart:; - a: wrong; xxx"))
        #expect(error.description.hasSuffix("(schema_validation_failed)"))
    }
}
