import FakeKubernetes
import Foundation
import JSON
import Kubernetes
import Logging
import Testing

/// Every verb of the real client against the fake API server over HTTPS with client certificates.
@Suite struct KubernetesAPIClientTests {
    @Test func createGetAndAlreadyExists() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let created = try await h.client.create(.secrets, namespace: "default", object: secret("creds", labels: ["app": "x"], data: ["k": "v"]))
        #expect(created.name == "creds")
        #expect(created.namespace == "default")
        #expect(created.uid != nil)
        #expect(created.resourceVersion != nil)
        #expect(created.creationTimestamp != nil)
        #expect(created["data"]?["k"]?.stringValue == "dg==")
        #expect(created["stringData"] == nil)
        let fetched = try await h.client.get(.secrets, namespace: "default", name: "creds")
        #expect(fetched == created)
        let again = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.create(.secrets, namespace: "default", object: secret("creds"))
        }
        #expect(again?.kind == .conflict)
        #expect(again?.status == 409)
        #expect(again?.reason == "AlreadyExists")
        #expect(again?.message == "secrets \"creds\" already exists")
    }

    @Test func notFoundIsTypedAndFindReturnsNil() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let error = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.get(.clusters, namespace: "default", name: "nope")
        }
        #expect(error?.kind == .notFound)
        #expect(error?.message == "clusters.cluster.x-k8s.io \"nope\" not found")
        #expect(try await h.client.find(.clusters, namespace: "default", name: "nope") == nil)
        let noNamespace = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.create(.secrets, namespace: "magnum-missing", object: secret("s"))
        }
        #expect(noNamespace?.message == "namespaces \"magnum-missing\" not found")
    }

    @Test func listByLabelSelectorAndPages() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        try await h.client.ensureNamespace("magnum-p1")
        for index in 0..<7 {
            let labels = ["magnum.openstack.org/cluster-uuid": index % 2 == 0 ? "even" : "odd", "n": String(index)]
            _ = try await h.client.create(.secrets, namespace: "magnum-p1", object: secret("s\(index)", labels: labels))
        }
        let even = try await h.client.listAll(.secrets, namespace: "magnum-p1", options: .labels(["magnum.openstack.org/cluster-uuid": "even"]))
        #expect(even.items.compactMap(\.name) == ["s0", "s2", "s4", "s6"])
        let page = try await h.client.list(.secrets, namespace: "magnum-p1", options: ListOptions(limit: 3))
        #expect(page.items.count == 3)
        #expect(page.continueToken != nil)
        let all = try await h.client.listAll(.secrets, namespace: "magnum-p1", options: ListOptions(limit: 3))
        #expect(all.items.compactMap(\.name) == ["s0", "s1", "s2", "s3", "s4", "s5", "s6"])
        let set = try await h.client.listAll(.secrets, namespace: "magnum-p1", options: ListOptions(labelSelector: "n in (1,5),magnum.openstack.org/cluster-uuid!=even"))
        #expect(set.items.compactMap(\.name) == ["s1", "s5"])
        let everywhere = try await h.client.listAll(.namespaces, namespace: nil)
        #expect(everywhere.items.compactMap(\.name).contains("magnum-p1"))
    }

    @Test func expiredContinueTokenIsGone() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        for index in 0..<3 { _ = try await h.client.create(.secrets, namespace: "default", object: secret("s\(index)")) }
        let page = try await h.client.list(.secrets, namespace: "default", options: ListOptions(limit: 1))
        _ = try await h.client.create(.secrets, namespace: "default", object: secret("later"))
        await h.server.store.compactHistory()
        let error = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.list(.secrets, namespace: "default", options: ListOptions(limit: 1, continueToken: page.continueToken))
        }
        #expect(error?.kind == .gone)
        #expect(error?.reason == "Expired")
    }

    @Test func updateWithStaleResourceVersionConflicts() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let lease = KubernetesObject(apiVersion: "coordination.k8s.io/v1", kind: "Lease", name: "worker-shard-0",
                                     extra: ["spec": ["holderIdentity": "a", "leaseDurationSeconds": 15]])
        var first = try await h.client.create(.leases, namespace: "default", object: lease)
        var stale = first
        first.json = JSONValue.object(first.json.objectValue!.merging(["spec": ["holderIdentity": "b", "leaseDurationSeconds": 15]]) { $1 })
        let updated = try await h.client.update(.leases, namespace: "default", object: first)
        #expect(updated["spec"]?["holderIdentity"]?.stringValue == "b")
        #expect(updated.resourceVersion != first.resourceVersion)
        #expect(updated.generation == 2)
        stale.json = JSONValue.object(stale.json.objectValue!.merging(["spec": ["holderIdentity": "c"]]) { $1 })
        let error = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.update(.leases, namespace: "default", object: stale)
        }
        #expect(error?.kind == .conflict)
        #expect(error?.reason == "Conflict")
        #expect(error?.message.contains("the object has been modified") == true)
    }

    @Test func serverSideApplyCreatesUpdatesAndDetectsConflicts() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        try await h.client.ensureNamespace("magnum-apply")
        let body = secret("cloud-credentials", labels: ["magnum.openstack.org/cluster-uuid": "u1"], data: ["clouds.yaml": "a: 1"])
        let created = try await h.client.apply(.secrets, namespace: "magnum-apply", name: "cloud-credentials", object: body, fieldManager: "magnum", force: true)
        #expect(created["data"]?["clouds.yaml"]?.stringValue == Data("a: 1".utf8).base64EncodedString())
        let again = try await h.client.apply(.secrets, namespace: "magnum-apply", name: "cloud-credentials", object: body, fieldManager: "magnum", force: true)
        #expect(again.resourceVersion == created.resourceVersion, "a no-op apply must not write")
        let changed = secret("cloud-credentials", labels: ["magnum.openstack.org/cluster-uuid": "u1"], data: ["clouds.yaml": "a: 2"])
        let updated = try await h.client.apply(.secrets, namespace: "magnum-apply", name: "cloud-credentials", object: changed, fieldManager: "magnum", force: true)
        #expect(updated.resourceVersion != created.resourceVersion)
        #expect(updated.uid == created.uid)
        // Another manager changing the same field conflicts unless it forces.
        let rival = secret("cloud-credentials", data: ["clouds.yaml": "rival"])
        let conflict = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.apply(.secrets, namespace: "magnum-apply", name: "cloud-credentials", object: rival, fieldManager: "other", force: false)
        }
        #expect(conflict?.kind == .conflict)
        #expect(conflict?.message.contains("conflict with \"magnum\"") == true)
        let forced = try await h.client.apply(.secrets, namespace: "magnum-apply", name: "cloud-credentials", object: rival, fieldManager: "other", force: true)
        #expect(forced["data"]?["clouds.yaml"]?.stringValue == Data("rival".utf8).base64EncodedString())
        #expect(forced.labels["magnum.openstack.org/cluster-uuid"] == "u1")
    }

    @Test func applyDropsFieldsTheManagerNoLongerSets() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let withBoth = KubernetesObject(apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Cluster", name: "c1", labels: ["a": "1", "b": "2"],
                                        extra: ["spec": ["paused": false]])
        _ = try await h.client.apply(.clusters, namespace: "default", name: "c1", object: withBoth, fieldManager: "magnum", force: true)
        let withOne = KubernetesObject(apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Cluster", name: "c1", labels: ["a": "1"],
                                       extra: ["spec": ["paused": false]])
        let result = try await h.client.apply(.clusters, namespace: "default", name: "c1", object: withOne, fieldManager: "magnum", force: true)
        #expect(result.labels == ["a": "1"])
    }

    @Test func invalidLabelValuesAre422() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let tooLong = String(repeating: "x", count: 64)
        let error = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.create(.secrets, namespace: "default", object: secret("s", labels: ["magnum.openstack.org/user-id": tooLong]))
        }
        #expect(error?.kind == .invalid)
        #expect(error?.status == 422)
    }

    @Test func mergePatchChangesOnlyWhatItNames() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        _ = try await h.client.create(.secrets, namespace: "default", object: secret("s", labels: ["keep": "1", "drop": "2"]))
        let patched = try await h.client.mergePatch(.secrets, namespace: "default", name: "s",
                                                    patch: ["metadata": ["labels": ["drop": nil, "new": "3"]]])
        #expect(patched.labels == ["keep": "1", "new": "3"])
        let missing = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.mergePatch(.secrets, namespace: "default", name: "nope", patch: ["metadata": ["labels": ["a": "b"]]])
        }
        #expect(missing?.kind == .notFound)
    }

    @Test func statusSubresourceIsNotWrittenThroughTheMainResource() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let md = KubernetesObject(apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineDeployment", name: "w",
                                  extra: ["spec": ["replicas": 2], "status": ["phase": "Running"]])
        let created = try await h.client.create(.machineDeployments, namespace: "default", object: md)
        #expect(created.phase == nil)
        try await h.server.store.setStatus("machinedeployments", group: "cluster.x-k8s.io", namespace: "default", name: "w",
                                           status: ["phase": "ScalingUp", "conditions": [["type": "Ready", "status": "False", "reason": "WaitingForMachines"]]])
        let fetched = try await h.client.get(.machineDeployments, namespace: "default", name: "w")
        #expect(fetched.phase == "ScalingUp")
        #expect(fetched.condition("Ready")?.reason == "WaitingForMachines")
        #expect(!fetched.isTrue("Ready"))
        // Served at v1beta2 as well.
        let v2 = try await h.client.get(.machineDeployments.at(version: "v1beta2"), namespace: "default", name: "w")
        #expect(v2.apiVersion == "cluster.x-k8s.io/v1beta2")
    }

    @Test func deleteAndDeleteCollection() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        for index in 0..<4 {
            _ = try await h.client.create(.secrets, namespace: "default", object: secret("s\(index)", labels: ["magnum.openstack.org/cluster-uuid": index < 3 ? "u" : "other"]))
        }
        try await h.client.delete(.secrets, namespace: "default", name: "s0", propagationPolicy: .foreground)
        #expect(try await h.client.deleteIfPresent(.secrets, namespace: "default", name: "s0") == false)
        try await h.client.deleteCollection(.secrets, namespace: "default", labelSelector: "magnum.openstack.org/cluster-uuid=u", propagationPolicy: .background)
        let left = try await h.client.listAll(.secrets, namespace: "default")
        #expect(left.items.compactMap(\.name) == ["s3"])
        #expect(h.server.requests.contains { $0.hasPrefix("DELETE /api/v1/namespaces/default/secrets?labelSelector=magnum.openstack.org%2Fcluster-uuid%3Du") })
    }

    @Test func objectsWithFinalizersAreMarkedDeleting() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let cluster = KubernetesObject(apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Cluster", name: "c",
                                       extra: ["metadata": ["name": "c", "finalizers": ["cluster.cluster.x-k8s.io"]]])
        _ = try await h.client.create(.clusters, namespace: "default", object: cluster)
        try await h.client.delete(.clusters, namespace: "default", name: "c", propagationPolicy: nil)
        let deleting = try await h.client.get(.clusters, namespace: "default", name: "c")
        #expect(deleting.isDeleting)
    }

    @Test func tokenAuthAndRejectedCredentials() async throws {
        var options = FakeKubernetesAPIServer.Options()
        options.tokens = ["good-token": "token-user"]
        let h = try await Harness.start(.token("good-token"), options: options)
        defer { Task { await h.stop() } }
        #expect(try await h.client.listAll(.namespaces, namespace: nil).items.count >= 2)
        let badPath = try writeTemporary(try h.server.kubeconfig(.token("wrong-token")), name: "kubeconfig")
        let bad = try KubernetesAPIClient(kubeconfigPath: badPath, logger: Logger(label: "t"))
        let error = await #expect(throws: KubernetesError.self) { _ = try await bad.list(.secrets, namespace: "default", options: .init()) }
        #expect(error?.kind == .unauthorized)
        #expect(error?.description.contains("wrong-token") == false)
        #expect(error?.description.contains("[capi_helm] kubeconfig_file") == true)
    }

    @Test func readOnlyUserIsForbiddenToWrite() async throws {
        let h = try await Harness.start(.otherClientCertificateFiles)
        defer { Task { await h.stop() } }
        _ = try await h.client.list(.secrets, namespace: "default", options: .init())
        let error = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.create(.secrets, namespace: "default", object: secret("s"))
        }
        #expect(error?.kind == .forbidden)
        #expect(error?.message == "secrets is forbidden: User \"magnum-reader\" cannot create resource \"secrets\" in API group \"\" in the namespace \"default\"")
    }

    @Test func certificateFromAnotherCAFailsAsTransport() async throws {
        let h = try await Harness.start(.rogueClientCertificateFiles)
        defer { Task { await h.stop() } }
        let error = await #expect(throws: KubernetesError.self) { _ = try await h.client.list(.secrets, namespace: "default", options: .init()) }
        #expect(error?.kind == .transport)
    }

    @Test func inlineCAAndInsecureKubeconfigsConnect() async throws {
        let h = try await Harness.start(.clientCertificateData)
        defer { Task { await h.stop() } }
        for kubeconfig in [try h.server.kubeconfig(.clientCertificateData, inlineCA: true), try h.server.kubeconfig(.clientCertificateFiles, insecure: true)] {
            let path = try writeTemporary(kubeconfig, name: "kubeconfig")
            let client = try KubernetesAPIClient(kubeconfigPath: path, logger: Logger(label: "t"))
            #expect(try await client.serverVersion()["gitVersion"]?.stringValue == "v1.31.4")
        }
    }

    @Test func throttledReadsAreRetriedAfterRetryAfterButCreatesAreNot() async throws {
        let h = try await Harness.start(configuration: .init(maximumRetries: 2, defaultRetryDelay: .milliseconds(10)))
        defer { Task { await h.stop() } }
        h.server.inject(.init(method: "GET", status: 429, retryAfter: 0, times: 2))
        #expect(try await h.client.find(.secrets, namespace: "default", name: "x") == nil)
        h.server.inject(.init(method: "POST", status: 429, retryAfter: 0))
        let error = await #expect(throws: KubernetesError.self) {
            _ = try await h.client.create(.secrets, namespace: "default", object: secret("s"))
        }
        #expect(error?.kind == .tooManyRequests)
        h.server.inject(.init(method: "GET", status: 429, retryAfter: 0, times: 3))
        let exhausted = await #expect(throws: KubernetesError.self) { _ = try await h.client.get(.secrets, namespace: "default", name: "x") }
        #expect(exhausted?.kind == .tooManyRequests)
        h.server.inject(.init(method: "GET", status: 500))
        let server = await #expect(throws: KubernetesError.self) { _ = try await h.client.get(.secrets, namespace: "default", name: "x") }
        #expect(server?.kind == .serverError)
    }

    @Test func unknownResourcesAre404WithTheServersMessage() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let bogus = KubernetesResource(group: "example.com", version: "v1", plural: "widgets", kind: "Widget")
        let error = await #expect(throws: KubernetesError.self) { _ = try await h.client.list(bogus, namespace: "default", options: .init()) }
        #expect(error?.kind == .notFound)
        #expect(error?.message == "the server could not find the requested resource")
    }

    @Test func customResourceListsCarryAnEmptyContinueLikeTheRealServer() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        _ = try await h.client.create(.helmReleases, namespace: "default", object: KubernetesObject(
            apiVersion: "addons.stackhpc.com/v1alpha1", kind: "HelmRelease", name: "cni", labels: ["addons.stackhpc.com/cluster": "c1"]))
        let list = try await h.client.list(.helmReleases, namespace: "default", options: .labels(["addons.stackhpc.com/cluster": "c1"]))
        #expect(list.items.first?.kind == "HelmRelease")
        #expect(list.continueToken == nil)
    }
}
