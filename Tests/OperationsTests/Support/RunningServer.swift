import Logging
import Operations
import Prometheus
import ServiceLifecycle
import Synchronization

/// Starts an `OperationsHTTPServer` on a free loopback port inside a `ServiceGroup`, runs the
/// body against it, then shuts it down gracefully.
func withOperationsServer<T: Sendable>(
    registry: PrometheusCollectorRegistry, health: HealthMonitor,
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let server = OperationsHTTPServer(
        settings: HTTPEndpointSettings(enabled: true, host: "127.0.0.1", port: 0), registry: registry, health: health,
        logger: Logger(label: "test-http") { _ in SwiftLogNoOpLogHandler() },
        onListening: { port in continuation.yield(port) })
    let group = ServiceGroup(services: [server], logger: Logger(label: "test-group") { _ in SwiftLogNoOpLogHandler() })
    return try await withThrowingTaskGroup(of: T?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HTTPTestClientError(description: "server did not start") }
        do {
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
