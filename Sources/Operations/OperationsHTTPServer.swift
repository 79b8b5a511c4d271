public import Hummingbird
public import Logging
public import Prometheus
public import ServiceLifecycle
import NIOCore

/// The small HTTP server of the worker: `/metrics` (Prometheus text exposition), `/healthz`
/// (liveness) and `/readyz` (readiness), on `[capi_worker] metrics_bind_address:metrics_port`.
/// A `Service`: it stops accepting on graceful shutdown and finishes in-flight requests.
///
/// Responses carry no secrets: metric labels are bounded enums and names, health reasons are
/// redacted; every response is `Cache-Control: no-store`.
public struct OperationsHTTPServer: Service {
    public let settings: HTTPEndpointSettings
    public let registry: PrometheusCollectorRegistry
    public let health: HealthMonitor
    public let logger: Logger
    let onListening: @Sendable (_ port: Int) async -> Void

    /// - Parameter onListening: called with the bound port once the server accepts connections
    ///   (with port 0 in the settings, the kernel's choice).
    public init(settings: HTTPEndpointSettings, registry: PrometheusCollectorRegistry, health: HealthMonitor,
                logger: Logger, onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) {
        self.settings = settings
        self.registry = registry
        self.health = health
        self.logger = logger
        self.onListening = onListening
    }

    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The router, separately so it can be tested without a socket.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let registry = self.registry
        let health = self.health
        router.get("/metrics") { _, _ -> Response in
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Self.response(status: .ok, contentType: Self.prometheusContentType, bytes: bytes)
        }
        router.get("/healthz") { _, _ -> Response in
            Self.response(health.liveness())
        }
        router.get("/readyz") { _, _ -> Response in
            Self.response(await health.readiness())
        }
        return router
    }

    public func run() async throws {
        let onListening = self.onListening
        let configuredPort = settings.port
        let app = Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(
                address: .hostname(settings.host, port: settings.port), serverName: "magnum-capi-worker"),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? configuredPort)
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            throw OperationsHTTPServerError(host: settings.host, port: settings.port, underlying: "\(error)")
        }
    }

    static func response(_ report: HealthReport) -> Response {
        response(status: report.healthy ? .ok : .serviceUnavailable, contentType: "application/json",
                 bytes: Array((report.json.jsonString(.compact) + "\n").utf8))
    }

    static func response(status: HTTPResponse.Status, contentType: String, bytes: [UInt8]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The metrics and health endpoints could not run (most often: the address is in use or not
/// local), with the options to fix.
public struct OperationsHTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let underlying: String

    public var description: String {
        "metrics and health endpoints on \(host):\(port) failed: \(underlying) "
            + "(check [capi_worker] metrics_bind_address and metrics_port, or set metrics_enabled = false)"
    }
}
