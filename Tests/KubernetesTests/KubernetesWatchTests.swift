import FakeKubernetes
import JSON
import Kubernetes
import Testing

@Suite struct KubernetesWatchTests {
    @Test func watchStreamsAddedModifiedDeletedAndBookmarks() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let start = try await h.client.list(.secrets, namespace: "default", options: .init())
        let watch = try await h.client.watch(.secrets, namespace: "default", options: ListOptions(
            labelSelector: "app=x", resourceVersion: start.resourceVersion, allowBookmarks: true))
        _ = try await h.client.create(.secrets, namespace: "default", object: secret("a", labels: ["app": "x"]))
        _ = try await h.client.create(.secrets, namespace: "default", object: secret("ignored", labels: ["app": "y"]))
        _ = try await h.client.mergePatch(.secrets, namespace: "default", name: "a", patch: ["metadata": ["annotations": ["n": "1"]]])
        _ = try await h.client.mergePatch(.secrets, namespace: "default", name: "ignored", patch: ["metadata": ["labels": ["app": "x"]]])
        try await h.client.delete(.secrets, namespace: "default", name: "a", propagationPolicy: nil)
        await h.server.store.sendBookmarks()
        var seen: [String] = []
        for try await event in watch {
            seen.append("\(event.type.rawValue) \(event.object.name ?? "-")")
            if event.type == .bookmark {
                #expect(event.object.resourceVersion == String(await h.server.store.resourceVersion))
                break
            }
        }
        #expect(seen == ["ADDED a", "MODIFIED a", "ADDED ignored", "DELETED a", "BOOKMARK -"])
    }

    @Test func watchFromZeroReplaysCurrentStateAndTimesOut() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        _ = try await h.client.create(.secrets, namespace: "default", object: secret("existing"))
        let watch = try await h.client.watch(.secrets, namespace: "default", options: ListOptions(timeoutSeconds: 1))
        var names: [String] = []
        for try await event in watch { names.append("\(event.type.rawValue) \(event.object.name ?? "")") }
        #expect(names == ["ADDED existing"])
    }

    @Test func tooOldResourceVersionIsGone() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        _ = try await h.client.create(.secrets, namespace: "default", object: secret("a"))
        await h.server.store.compactHistory()
        let watch = try await h.client.watch(.secrets, namespace: "default", options: ListOptions(resourceVersion: "1001"))
        let error = await #expect(throws: KubernetesError.self) { for try await _ in watch {} }
        #expect(error?.kind == .gone)
        #expect(error?.status == 410)
        #expect(error?.reason == "Expired")
    }

    @Test func changesRelistAfterGoneAndResume() async throws {
        let h = try await Harness.start()
        defer { Task { await h.stop() } }
        let labels = ["addons.stackhpc.com/cluster": "c1"]
        _ = try await h.client.create(.helmReleases, namespace: "default", object: KubernetesObject(
            apiVersion: "addons.stackhpc.com/v1alpha1", kind: "HelmRelease", name: "cni", labels: labels))
        var iterator = h.client.changes(of: .helmReleases, namespace: "default", labelSelector: "addons.stackhpc.com/cluster=c1",
                                        watchTimeoutSeconds: 1).makeAsyncIterator()
        guard case .resynced(let first, _)? = try await iterator.next() else { Issue.record("expected a first list"); return }
        #expect(first.compactMap(\.name) == ["cni"])
        _ = try await h.client.create(.helmReleases, namespace: "default", object: KubernetesObject(
            apiVersion: "addons.stackhpc.com/v1alpha1", kind: "HelmRelease", name: "csi", labels: labels))
        guard case .event(let added)? = try await iterator.next() else { Issue.record("expected an event"); return }
        #expect(added.type == .added && added.object.name == "csi")
        // etcd compacts past the open watch: it gets 410 and the loop lists again.
        await h.server.store.expireWatches()
        guard case .resynced(let relisted, _)? = try await iterator.next() else { Issue.record("expected a relist after 410"); return }
        #expect(relisted.compactMap(\.name) == ["cni", "csi"])
        // ...then watches again from the new list's resourceVersion.
        // Status written through the main resource is ignored (status subresource): no event.
        _ = try await h.client.mergePatch(.helmReleases, namespace: "default", name: "cni", patch: ["status": ["phase": "Failed"]])
        try await h.server.store.setStatus("helmreleases", group: "addons.stackhpc.com", namespace: "default", name: "cni", status: ["phase": "Deployed"])
        guard case .event(let modified)? = try await iterator.next() else { Issue.record("expected an event after the relist"); return }
        #expect(modified.type == .modified)
        #expect(modified.object.name == "cni")
        #expect(modified.object.phase == "Deployed")
        #expect(h.server.requests.filter { $0.contains("watch=1") }.count >= 2)
    }
}
