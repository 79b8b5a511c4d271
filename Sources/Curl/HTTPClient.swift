public import Logging
import Synchronization

/// An asynchronous HTTP/1.1 and HTTP/2 client over libcurl, shared by the Kubernetes and OpenStack
/// clients.
///
/// One client owns one libcurl multi handle driven by one dedicated thread (see `CurlEngine`):
/// requests to the same host reuse kept-alive connections, HTTP/2 multiplexes them, and no call
/// ever blocks Swift's cooperative thread pool. Cancelling the calling task aborts its transfer.
/// Every failure is an `HTTPClientError`; request headers and bodies never appear in errors or logs.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let engine: CurlEngine
    private let logger: Logger
    private static let counter = Atomic<Int>(0)

    public init(
        configuration: HTTPClientConfiguration = HTTPClientConfiguration(),
        logger: Logger = Logger(label: "magnum-capi-worker.http", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(HTTPClientError) {
        let number = HTTPClient.counter.add(1, ordering: .relaxed).newValue
        guard let engine = CurlEngine(configuration: configuration, name: "curl-\(number)") else {
            throw HTTPClientError(kind: .other, method: .get, url: "", detail: "libcurl could not be initialised")
        }
        self.configuration = configuration
        self.engine = engine
        self.logger = logger
    }

    deinit {
        engine.submit(.shutdown)
    }

    /// Fails every transfer still running with `.shutdown` and stops the engine thread.
    public func shutdown() {
        engine.submit(.shutdown)
    }

    /// Sends `request` and returns the whole response. HTTP error statuses are responses, not
    /// errors; transport failures (and cancellation, as `.cancelled`) throw `HTTPClientError`.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        let start = ContinuousClock.now
        let sink = BufferedSink(limit: configuration.maximumResponseBodySize)
        let transfer = try CurlTransfer(request: request, configuration: configuration, streaming: false, sink: sink)
        do {
            let response = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                    sink.install(continuation)
                    if !engine.submit(.add(transfer)) {
                        sink.finished(.failure(HTTPClientError(kind: .shutdown, method: request.method, url: request.url)))
                    }
                }
            } onCancel: {
                transfer.markCancelled()
                engine.submit(.cancel(transfer))
            }
            log(request, status: response.status, start: start)
            return response
        } catch {
            logger.debug("HTTP request failed", metadata: [
                "method": "\(request.method)", "url": "\(request.redactedURL)", "error": "\(error)",
            ])
            throw error
        }
    }

    /// Sends `request` and returns as soon as the status line and headers arrived; the body
    /// follows as an `HTTPBodyStream`. The request has no total timeout unless it sets one.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let start = ContinuousClock.now
        let sink = StreamSink(limit: configuration.streamBufferLimit, engine: engine)
        let transfer = try CurlTransfer(request: request, configuration: configuration, streaming: true, sink: sink)
        sink.attach(transfer)
        let handle = HTTPBodyStream.Handle(sink: sink, client: self)
        if !engine.submit(.add(transfer)) {
            throw HTTPClientError(kind: .shutdown, method: request.method, url: request.url)
        }
        let head = try await sink.waitForHead()
        log(request, status: head.status, start: start)
        return HTTPStreamingResponse(head: head, body: HTTPBodyStream(handle: handle))
    }

    private func log(_ request: HTTPRequest, status: Int, start: ContinuousClock.Instant) {
        guard logger.logLevel <= .debug else { return }
        let elapsed = ContinuousClock.now - start
        logger.debug("HTTP request", metadata: [
            "method": "\(request.method)", "url": "\(request.redactedURL)", "status": "\(status)",
            "duration_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
    }
}
