/// The body of a streaming response, as chunks in arrival order. Single pass: iterate it once.
/// Dropping it (and its iterator) before the end aborts the transfer; so does cancelling the task
/// that iterates it.
public struct HTTPBodyStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    final class Handle: Sendable {
        let sink: StreamSink
        /// Keeps the client (and its engine thread) alive while the body is being read.
        let client: HTTPClient
        init(sink: StreamSink, client: HTTPClient) {
            self.sink = sink
            self.client = client
        }
        deinit { sink.cancel() }
    }

    let handle: Handle

    public struct AsyncIterator: AsyncIteratorProtocol {
        let handle: Handle
        public mutating func next() async throws -> [UInt8]? {
            try await handle.sink.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }

    /// The body split at `\n` (a trailing `\r` is dropped), without the separators; a last line
    /// without a newline is delivered too. Kubernetes watch events arrive one JSON object a line.
    public var lines: HTTPLineSequence { HTTPLineSequence(base: self) }

    /// Reads the rest of the body into memory, failing beyond `limit` bytes.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var all: [UInt8] = []
        for try await chunk in self {
            all.append(contentsOf: chunk)
            if all.count > limit {
                handle.sink.cancel()
                throw HTTPClientError(kind: .responseTooLarge, method: .get, url: "", detail: "the response body exceeds \(limit) bytes")
            }
        }
        return all
    }
}

/// Lines of an `HTTPBodyStream`.
public struct HTTPLineSequence: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let base: HTTPBodyStream

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPBodyStream.AsyncIterator
        var pending: [UInt8] = []
        var searchFrom = 0
        var ended = false

        public mutating func next() async throws -> [UInt8]? {
            while true {
                if let newline = pending[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                    var end = newline
                    if end > 0 && pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    let line = Array(pending[..<end])
                    pending.removeSubrange(...newline)
                    searchFrom = 0
                    return line
                }
                searchFrom = pending.count
                if ended {
                    if pending.isEmpty { return nil }
                    let line = pending
                    pending = []
                    searchFrom = 0
                    return line
                }
                if let chunk = try await chunks.next() {
                    pending.append(contentsOf: chunk)
                } else {
                    ended = true
                }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: base.makeAsyncIterator())
    }
}

/// A response whose body is read as it arrives (Kubernetes watches, large lists).
public struct HTTPStreamingResponse: Sendable {
    public let head: HTTPResponseHead
    public let body: HTTPBodyStream

    public var status: Int { head.status }
    public var headers: HTTPHeaders { head.headers }
}
