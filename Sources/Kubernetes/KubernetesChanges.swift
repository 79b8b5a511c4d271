public import Logging

/// What `KubernetesClient.changes(...)` yields: a full state after every (re)list, then events.
public enum KubernetesChange: Sendable {
    /// The complete current set (first list, and again after a 410 forced a relist).
    case resynced([KubernetesObject], resourceVersion: String?)
    case event(KubernetesWatchEvent)
}

extension KubernetesClient {
    /// A list-then-watch loop that survives what watches do in practice: the server ending the
    /// stream (re-watch from the last resourceVersion seen, bookmarks included), 410 Gone
    /// (list again and yield `.resynced`), and transient transport failures (retried with
    /// backoff, up to `maximumFailures` in a row). Cancel the iterating task to stop it.
    public func changes(
        of resource: KubernetesResource, namespace: String?, labelSelector: String? = nil,
        watchTimeoutSeconds: Int = 300, maximumFailures: Int = 5, logger: Logger? = nil
    ) -> AsyncThrowingStream<KubernetesChange, any Error> {
        let (stream, continuation) = AsyncThrowingStream<KubernetesChange, any Error>.makeStream()
        let task = Task {
            var resourceVersion: String?
            var failures = 0
            while !Task.isCancelled {
                do {
                    if resourceVersion == nil {
                        let list = try await listAll(resource, namespace: namespace, options: ListOptions(labelSelector: labelSelector))
                        resourceVersion = list.resourceVersion
                        continuation.yield(.resynced(list.items, resourceVersion: list.resourceVersion))
                    }
                    let watch = try await self.watch(resource, namespace: namespace, options: ListOptions(
                        labelSelector: labelSelector, resourceVersion: resourceVersion, allowBookmarks: true,
                        timeoutSeconds: watchTimeoutSeconds))
                    for try await event in watch {
                        failures = 0
                        if let version = event.object.resourceVersion { resourceVersion = version }
                        if event.type != .bookmark { continuation.yield(.event(event)) }
                    }
                } catch let error as KubernetesError where error.kind == .gone {
                    logger?.info("Kubernetes watch expired; listing again", metadata: ["resource": "\(resource.qualifiedName)"])
                    resourceVersion = nil
                } catch let error as KubernetesError where error.kind == .transport || error.kind == .serverError || error.kind == .tooManyRequests {
                    if Task.isCancelled { break }
                    failures += 1
                    if failures >= maximumFailures {
                        continuation.finish(throwing: error)
                        return
                    }
                    logger?.warning("Kubernetes watch failed; retrying", metadata: ["resource": "\(resource.qualifiedName)", "error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(200 * (1 << min(failures, 5))))
                } catch {
                    continuation.finish(throwing: error)
                    return
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
