import Synchronization

/// Collects a whole response in memory and resumes the waiting task once, on completion.
final class BufferedSink: CurlTransferSink, @unchecked Sendable {
    private let limit: Int
    private var body: [UInt8] = []  // engine thread only
    private let continuation = Mutex<CheckedContinuation<HTTPResponse, any Error>?>(nil)

    init(limit: Int) { self.limit = limit }

    func install(_ continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func headReceived(_ head: HTTPResponseHead) {}

    func bodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyDisposition {
        if body.count + bytes.count > limit {
            return .abort(.responseTooLarge, "the response body exceeds \(limit) bytes")
        }
        body.append(contentsOf: bytes)
        return .consumed
    }

    func finished(_ result: Result<HTTPResponseHead, HTTPClientError>) {
        guard let waiting = continuation.withLock({ c -> CheckedContinuation<HTTPResponse, any Error>? in
            let taken = c
            c = nil
            return taken
        }) else { return }
        switch result {
        case .success(let head):
            waiting.resume(returning: HTTPResponse(status: head.status, headers: head.headers, body: body, httpVersion: head.httpVersion))
        case .failure(let error):
            waiting.resume(throwing: error)
        }
        body = []
    }
}

/// Hands a streaming response's body to one consumer, chunk by chunk, pausing the transfer when
/// the consumer falls behind (so a slow reader applies TCP back-pressure instead of growing memory).
final class StreamSink: CurlTransferSink, Sendable {
    private struct State {
        var head: Result<HTTPResponseHead, HTTPClientError>?
        var headWaiter: CheckedContinuation<HTTPResponseHead, any Error>?
        var chunks: [[UInt8]] = []
        var firstChunk = 0
        var buffered = 0
        var paused = false
        var ended = false
        var endError: HTTPClientError?
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var transfer: CurlTransfer?
    }

    private let state = Mutex(State())
    private let limit: Int
    private let engine: CurlEngine

    init(limit: Int, engine: CurlEngine) {
        self.limit = max(1, limit)
        self.engine = engine
    }

    func attach(_ transfer: CurlTransfer) {
        state.withLock { $0.transfer = transfer }
    }

    // MARK: Engine thread

    func headReceived(_ head: HTTPResponseHead) {
        let waiter = state.withLock { s -> CheckedContinuation<HTTPResponseHead, any Error>? in
            s.head = .success(head)
            let w = s.headWaiter
            s.headWaiter = nil
            return w
        }
        waiter?.resume(returning: head)
    }

    func bodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyDisposition {
        enum Outcome { case handOver(CheckedContinuation<[UInt8]?, any Error>), stored, pause }
        let outcome = state.withLock { s -> Outcome in
            if let w = s.waiter {
                s.waiter = nil
                return .handOver(w)
            }
            if s.buffered >= limit {
                s.paused = true
                return .pause
            }
            s.chunks.append(Array(bytes))
            s.buffered += bytes.count
            return .stored
        }
        switch outcome {
        case .handOver(let waiter):
            waiter.resume(returning: Array(bytes))
            return .consumed
        case .stored: return .consumed
        case .pause: return .pause
        }
    }

    func finished(_ result: Result<HTTPResponseHead, HTTPClientError>) {
        let (headWaiter, headResult, waiter, error) = state.withLock { s in
            var headWaiter: CheckedContinuation<HTTPResponseHead, any Error>?
            if s.head == nil {
                s.head = result
                headWaiter = s.headWaiter
                s.headWaiter = nil
            }
            s.ended = true
            if case .failure(let e) = result { s.endError = e }
            let w = s.waiter
            s.waiter = nil
            s.transfer = nil
            return (headWaiter, s.head, w, s.endError)
        }
        if let headWaiter, let headResult {
            switch headResult {
            case .success(let head): headWaiter.resume(returning: head)
            case .failure(let e): headWaiter.resume(throwing: e)
            }
        }
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    // MARK: Consumer

    func waitForHead() async throws -> HTTPResponseHead {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponseHead, any Error>) in
                let ready = state.withLock { s -> Result<HTTPResponseHead, HTTPClientError>? in
                    if let head = s.head { return head }
                    s.headWaiter = continuation
                    return nil
                }
                if let ready {
                    switch ready {
                    case .success(let head): continuation.resume(returning: head)
                    case .failure(let e): continuation.resume(throwing: e)
                    }
                }
            }
        } onCancel: {
            cancel()
        }
    }

    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                enum Ready { case chunk([UInt8]), end, failure(HTTPClientError), wait }
                var resumeTransfer: CurlTransfer?
                let ready = state.withLock { s -> Ready in
                    if s.firstChunk < s.chunks.count {
                        let chunk = s.chunks[s.firstChunk]
                        s.firstChunk += 1
                        if s.firstChunk == s.chunks.count {
                            s.chunks.removeAll(keepingCapacity: true)
                            s.firstChunk = 0
                        }
                        s.buffered -= chunk.count
                        if s.paused && s.buffered <= limit / 2 {
                            s.paused = false
                            resumeTransfer = s.transfer
                        }
                        return .chunk(chunk)
                    }
                    if s.ended {
                        if let e = s.endError { return .failure(e) }
                        return .end
                    }
                    if s.paused {
                        s.paused = false
                        resumeTransfer = s.transfer
                    }
                    s.waiter = continuation
                    return .wait
                }
                if let resumeTransfer { engine.submit(.resume(resumeTransfer)) }
                switch ready {
                case .chunk(let chunk): continuation.resume(returning: chunk)
                case .end: continuation.resume(returning: nil)
                case .failure(let e): continuation.resume(throwing: e)
                case .wait: break
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Aborts the transfer (consumer gone or task cancelled).
    func cancel() {
        guard let transfer = state.withLock({ $0.transfer }) else { return }
        transfer.markCancelled()
        engine.submit(.cancel(transfer))
    }
}
