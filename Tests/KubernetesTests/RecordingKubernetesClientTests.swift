import FakeKubernetes
import JSON
import Kubernetes
import Testing

@Suite struct RecordingKubernetesClientTests {
    @Test func recordsEveryCallInOrderAndAnswersFromCannedResponses() async throws {
        let recorder = RecordingKubernetesClient()
        let cluster = KubernetesObject(apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Cluster", name: "prod",
                                       extra: ["status": ["phase": "Provisioned"]])
        recorder.respond(to: "get", .clusters, namespace: "magnum-p", name: "prod", with: .object(cluster))
        recorder.respond(to: "list", .machines, with: .list([cluster], resourceVersion: "7"))
        recorder.respond(to: "delete", .secrets, with: .failure(.notFound, message: "gone"))

        try await recorder.ensureNamespace("magnum-p")
        #expect(try await recorder.get(.clusters, namespace: "magnum-p", name: "prod").phase == "Provisioned")
        #expect(try await recorder.find(.kubeadmControlPlanes, namespace: "magnum-p", name: "prod-control-plane") == nil)
        #expect(try await recorder.list(.machines, namespace: "magnum-p", options: .labels(["a": "b"])).resourceVersion == "7")
        #expect(try await recorder.deleteIfPresent(.secrets, namespace: "magnum-p", name: "s") == false)
        try await recorder.deleteCollection(.secrets, namespace: "magnum-p", labelSelector: "magnum.openstack.org/cluster-uuid=u", propagationPolicy: nil)

        #expect(recorder.calls.map(\.verb) == ["apply", "get", "get", "list", "delete", "deletecollection"])
        let lines = recorder.recordingJSONLines.split(separator: "\n").map(String.init)
        #expect(lines.first == #"{"body":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"magnum-p"}},"name":"magnum-p","options":{"fieldManager":"magnum","force":true},"resource":"v1/namespaces","verb":"apply"}"#)
        #expect(lines[3] == #"{"namespace":"magnum-p","options":{"labelSelector":"a=b"},"resource":"cluster.x-k8s.io/v1beta1/machines","verb":"list"}"#)
        #expect(lines[5] == #"{"namespace":"magnum-p","options":{"labelSelector":"magnum.openstack.org/cluster-uuid=u"},"resource":"v1/secrets","verb":"deletecollection"}"#)
    }

    @Test func passesThroughToARealClientAndRedactsSecretsWhenAsked() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let recorder = RecordingKubernetesClient(base: h.client, redactSecretData: true)
        _ = try await recorder.apply(.secrets, namespace: "default", name: "creds", object: secret("creds", data: ["clouds.yaml": "app-cred-secret"]),
                                     fieldManager: "magnum", force: true)
        let stored = try await h.client.get(.secrets, namespace: "default", name: "creds")
        #expect(stored["data"]?["clouds.yaml"] != nil)
        #expect(!recorder.recordingJSONLines.contains("app-cred-secret"))
        #expect(recorder.recordingJSONLines.contains("<redacted>"))
    }

    @Test func cannedWatchEventsAndErrors() async throws {
        let recorder = RecordingKubernetesClient()
        let object = KubernetesObject(apiVersion: "v1", kind: "Secret", name: "a")
        recorder.respond(to: "watch", .secrets, with: .events([KubernetesWatchEvent(type: .added, object: object)],
                                                              end: KubernetesError(kind: .gone, verb: "watch", resource: "secrets", status: 410)))
        let watch = try await recorder.watch(.secrets, namespace: "default", options: .init(resourceVersion: "5"))
        var count = 0
        let error = await #expect(throws: KubernetesError.self) { for try await _ in watch { count += 1 } }
        #expect(count == 1)
        #expect(error?.kind == .gone)
        #expect(recorder.recording[0]?["options"]?["resourceVersion"]?.stringValue == "5")
    }
}
