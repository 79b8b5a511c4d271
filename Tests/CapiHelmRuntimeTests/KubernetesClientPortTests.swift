import CapiHelmDriver
import CapiHelmRuntime
import FakeKubernetes
import Foundation
import JSON
import Kubernetes
import Logging
import Testing
import TestSupport

/// The Kubernetes port over the real client, against the fake API server (HTTPS, client
/// certificates).
@Suite struct KubernetesClientPortTests {
    struct Setup {
        let server: FakeKubernetesAPIServer
        let client: KubernetesAPIClient
        let port: KubernetesClientPort
    }

    func withPort(resources: [FakeResource] = FakeResource.standard, apiResources: String = "{}",
                  _ body: (Setup) async throws -> Void) async throws {
        let pki = try await RuntimeTestbed.pki()
        let server = try await FakeKubernetesAPIServer.start(pki: pki, resources: resources)
        let directory = try TestEnvironment.temporaryDirectory("kube")
        let path = directory.appendingPathComponent("kubeconfig").path
        try server.kubeconfig().write(toFile: path, atomically: true, encoding: .utf8)
        let client = try KubernetesAPIClient(kubeconfigPath: path, logger: Logger(label: "test"))
        let port = KubernetesClientPort(client: client, resources: try ClusterAPIResources(apiResources: apiResources), logger: Logger(label: "test"))
        do {
            try await body(Setup(server: server, client: client, port: port))
        } catch {
            client.shutdown()
            await server.shutdown()
            throw error
        }
        client.shutdown()
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    static let labels: JSONValue = [
        "magnum.openstack.org/project-id": "p1", "magnum.openstack.org/user-id": "u1",
        "magnum.openstack.org/cluster-uuid": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "cluster.x-k8s.io/cluster-name": "demo-abcdefghijkl",
    ]

    @Test func secretsAreAppliedServerSideAndReappliedLikeThePythonDriver() async throws {
        try await withPort { s async throws in
            try await s.port.ensureNamespace("magnum-p1")
            try await s.port.applySecret(name: "demo-abcdefghijkl-ca", body: [
                "metadata": ["labels": Self.labels], "type": "cluster.x-k8s.io/secret",
                "stringData": ["tls.crt": "CERT-1", "tls.key": "KEY-1"],
            ], namespace: "magnum-p1")
            // Another manager annotates it; magnum's next apply must leave that alone.
            _ = try await s.client.mergePatch(.secrets, namespace: "magnum-p1", name: "demo-abcdefghijkl-ca",
                                              patch: ["metadata": ["annotations": ["backup.example/keep": "yes"]]])
            try await s.port.applySecret(name: "demo-abcdefghijkl-ca", body: [
                "metadata": ["labels": Self.labels], "type": "cluster.x-k8s.io/secret",
                "stringData": ["tls.crt": "CERT-2", "tls.key": "KEY-2"],
            ], namespace: "magnum-p1")
            let secret = try #require(try await s.client.find(.secrets, namespace: "magnum-p1", name: "demo-abcdefghijkl-ca"))
            #expect(secret.labels == ["magnum.openstack.org/project-id": "p1", "magnum.openstack.org/user-id": "u1",
                                      "magnum.openstack.org/cluster-uuid": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02",
                                      "cluster.x-k8s.io/cluster-name": "demo-abcdefghijkl"])
            #expect(secret.json["type"] == "cluster.x-k8s.io/secret")
            #expect(secret.annotations["backup.example/keep"] == "yes")
            #expect(try await s.port.secretValue(name: "demo-abcdefghijkl-ca", namespace: "magnum-p1", key: "tls.crt") == "CERT-2")
            #expect(try await s.port.secretValue(name: "demo-abcdefghijkl-ca", namespace: "magnum-p1", key: "missing") == nil)
            #expect(try await s.port.secretValue(name: "nope", namespace: "magnum-p1", key: "tls.crt") == nil)
            // Two server-side applies (and the other manager's merge patch).
            let patches = s.server.requests.filter { $0.hasPrefix("PATCH /api/v1/namespaces/magnum-p1/secrets/demo-abcdefghijkl-ca") }
            #expect(patches.count == 3)
            #expect(patches.filter { $0.hasSuffix("?fieldManager=magnum&force=true") }.count == 2)
        }
    }

    @Test func deletingByLabelLeavesOtherSecrets() async throws {
        try await withPort { s async throws in
            try await s.port.ensureNamespace("ns")
            try await s.port.applySecret(name: "mine", body: ["metadata": ["labels": ["magnum.openstack.org/cluster-uuid": "c1"]],
                                                              "stringData": ["a": "1"]], namespace: "ns")
            try await s.port.applySecret(name: "other", body: ["metadata": ["labels": ["magnum.openstack.org/cluster-uuid": "c2"]],
                                                               "stringData": ["a": "2"]], namespace: "ns")
            try await s.port.deleteAllSecrets(label: "magnum.openstack.org/cluster-uuid", value: "c1", namespace: "ns")
            #expect(try await s.client.find(.secrets, namespace: "ns", name: "mine") == nil)
            #expect(try await s.client.find(.secrets, namespace: "ns", name: "other") != nil)
        }
    }

    @Test func addonsOfKindsTheClusterDoesNotServeContributeNothing() async throws {
        try await withPort { s async throws in
            for (plural, name) in [("helmreleases", "cni"), ("manifests", "extras")] {
                try await s.server.store.seed(plural, group: "addons.stackhpc.com", object: [
                    "metadata": ["name": .string(name), "namespace": "ns", "labels": ["addons.stackhpc.com/cluster": "demo"]],
                    "status": ["phase": "Deployed"],
                ])
            }
            try await s.server.store.seed("helmreleases", group: "addons.stackhpc.com", object: [
                "metadata": ["name": "not-mine", "namespace": "ns", "labels": ["addons.stackhpc.com/cluster": "other"]],
            ])
            let addons = try await s.port.addons(labels: ["addons.stackhpc.com/cluster": "demo"], namespace: "ns")
            #expect(addons.compactMap { $0["metadata"]?["name"]?.stringValue } == ["cni", "extras"])
            #expect(s.server.requests.contains { $0.hasPrefix("GET /apis/addons.cluster.x-k8s.io/v1alpha1/namespaces/ns/helmchartproxies?") })
        }
    }

    @Test func readsAnswerNilForMissingObjects() async throws {
        try await withPort { s async throws in
            #expect(try await s.port.capiCluster(name: "missing", namespace: "ns") == nil)
            #expect(try await s.port.controlPlane(name: "missing", namespace: "ns") == nil)
            #expect(try await s.port.machineDeployment(name: "missing", namespace: "ns") == nil)
            #expect(try await s.port.openStackCluster(name: "missing", namespace: "ns") == nil)
            #expect(try await s.port.machines(labels: ["capi.stackhpc.com/cluster": "x"], namespace: "ns") == [])
            // Still v1beta1: a missing object is not a missing API.
            #expect(!s.server.requests.contains { $0.contains("v1beta2") })
        }
    }

    @Test func annotatingAMachineMergesIntoItsAnnotations() async throws {
        try await withPort { s async throws in
            try await s.server.store.seed("machines", group: "cluster.x-k8s.io", object: [
                "metadata": ["name": "demo-md-0-abcde", "namespace": "ns", "annotations": ["existing": "kept"]],
            ])
            try await s.port.annotateMachine(name: "demo-md-0-abcde", namespace: "ns", annotations: ["cluster.x-k8s.io/delete-machine": "yes"])
            let machine = try #require(try await s.client.find(.machines, namespace: "ns", name: "demo-md-0-abcde"))
            #expect(machine.annotations == ["existing": "kept", "cluster.x-k8s.io/delete-machine": "yes"])
        }
    }

    /// A management cluster whose Cluster API serves only v1beta2 (what comes after v1beta1 is
    /// removed): the port falls back, remembers it, and shows the driver the v1beta1 shape.
    @Test func clusterAPIServedOnlyAtV1beta2IsReadThereAndShownAsV1beta1() async throws {
        let v1beta2Only = FakeResource.standard.map { resource -> FakeResource in
            var r = resource
            if r.versions.contains("v1beta2") { r.versions = ["v1beta2"] }
            return r
        }
        try await withPort(resources: v1beta2Only) { s async throws in
            try await s.server.store.seed("clusters", group: "cluster.x-k8s.io", object: [
                "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
                "metadata": ["name": "demo", "namespace": "ns"],
                "spec": ["controlPlaneEndpoint": ["host": "203.0.113.10", "port": 6443]],
                "status": [
                    "conditions": [["type": "Available", "status": "True"]],
                    "initialization": ["infrastructureProvisioned": true, "controlPlaneInitialized": true],
                    "deprecated": ["v1beta1": ["conditions": [
                        ["type": "Ready", "status": "True"], ["type": "InfrastructureReady", "status": "True"],
                        ["type": "ControlPlaneReady", "status": "True"],
                    ]]],
                ],
            ])
            try await s.server.store.seed("kubeadmcontrolplanes", group: "controlplane.cluster.x-k8s.io", object: [
                "apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KubeadmControlPlane",
                "metadata": ["name": "demo-control-plane", "namespace": "ns"],
                "spec": ["replicas": 3, "version": "v1.31.4"],
                "status": [
                    "replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "upToDateReplicas": 3, "version": "v1.31.4",
                    "conditions": [["type": "Available", "status": "True"]],
                    "deprecated": ["v1beta1": ["conditions": [["type": "MachinesReady", "status": "True"]], "updatedReplicas": 3, "readyReplicas": 3]],
                ],
            ])
            let cluster = try #require(try await s.port.capiCluster(name: "demo", namespace: "ns"))
            #expect(cluster["status"]?["conditions"] == [
                ["type": "Ready", "status": "True"], ["type": "InfrastructureReady", "status": "True"], ["type": "ControlPlaneReady", "status": "True"],
            ])
            #expect(cluster["status"]?["infrastructureReady"] == true)
            #expect(cluster["status"]?["controlPlaneReady"] == true)
            #expect(cluster["status"]?["v1beta2"]?["conditions"] == [["type": "Available", "status": "True"]])
            #expect(cluster["status"]?["deprecated"] == nil)
            let kcp = try #require(try await s.port.controlPlane(name: "demo-control-plane", namespace: "ns"))
            #expect(kcp["status"]?["updatedReplicas"] == 3)
            #expect(kcp["status"]?["readyReplicas"] == 3)
            #expect(kcp["status"]?["conditions"] == [["type": "MachinesReady", "status": "True"]])
            #expect(try await s.port.capiCluster(name: "missing", namespace: "ns") == nil)
            #expect(try await s.port.machines(labels: ["capi.stackhpc.com/cluster": "demo"], namespace: "ns") == [])
            // v1beta1 was tried once per resource, then v1beta2 directly.
            let clusterGets = s.server.requests.filter { $0.contains("/clusters/") }
            #expect(clusterGets == [
                "GET /apis/cluster.x-k8s.io/v1beta1/namespaces/ns/clusters/demo",
                "GET /apis/cluster.x-k8s.io/v1beta2/namespaces/ns/clusters/demo",
                "GET /apis/cluster.x-k8s.io/v1beta2/namespaces/ns/clusters/missing",
            ])
        }
    }

    @Test func apiResourcesOverrideVersionsAndTheControlPlanePluralAsPythonDoes() async throws {
        let resources = try ClusterAPIResources(apiResources: #"{"K8sControlPlane": {"api_version": "controlplane.cluster.x-k8s.io/v1beta2", "plural_name": "kubeadmcontrolplanes"}, "Cluster": {"api_version": "cluster.x-k8s.io/v1beta2"}, "Manifests": {"api_version": "addons.stackhpc.com/v1alpha2", "plural_name": "ignored"}}"#)
        #expect(resources.controlPlane.version == "v1beta2")
        #expect(resources.cluster.version == "v1beta2")
        #expect(resources.manifests.version == "v1alpha2")
        #expect(resources.manifests.plural == "manifests")
        #expect(resources.configured == ["K8sControlPlane", "Cluster", "Manifests"])
        #expect(throws: ResourceOverrideError.self) { try ClusterAPIResources(apiResources: #"{"Cluster": {"api_version": "a/b/c"}}"#) }
        try await withPort(apiResources: #"{"Cluster": {"api_version": "cluster.x-k8s.io/v1beta2"}}"#) { s async throws in
            _ = try await s.port.capiCluster(name: "demo", namespace: "ns")
            #expect(s.server.requests.last == "GET /apis/cluster.x-k8s.io/v1beta2/namespaces/ns/clusters/demo")
        }
    }

    @Test func v1beta2ObjectsWithoutDeprecatedBlocksKeepTheirSpec() {
        let object: JSONValue = ["kind": "MachineDeployment", "spec": ["replicas": 2], "status": ["phase": "Running", "readyReplicas": 2]]
        let view = ClusterAPIV1Beta2.v1beta1View(object)
        #expect(view["spec"] == ["replicas": 2])
        #expect(view["status"]?["phase"] == "Running")
        #expect(view["status"]?["conditions"] == [])
        #expect(view["status"]?["readyReplicas"] == 2)
    }
}
