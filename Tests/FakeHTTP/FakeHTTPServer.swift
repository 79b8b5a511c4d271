import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A request as the fake servers see it.
public struct FakeHTTPRequest: Sendable {
    public var method: String
    /// Path and query, as sent.
    public var uri: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// DER bytes of the client certificate presented during the TLS handshake (already verified
    /// against the server's client CA), or nil when the client sent none.
    public var clientCertificateDER: [UInt8]?
    /// Which TCP connection carried the request (1 for the first accepted).
    public var connectionNumber: Int

    public init(method: String, uri: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                clientCertificateDER: [UInt8]? = nil, connectionNumber: Int = 0) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
        self.clientCertificateDER = clientCertificateDER
        self.connectionNumber = connectionNumber
    }

    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// The path without the query, percent-decoded.
    public var path: String {
        let raw = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        return FakeHTTPRequest.percentDecode(raw)
    }

    /// Query parameters in order, percent-decoded (`+` is a space).
    public var query: [(name: String, value: String)] {
        guard let q = uri.firstIndex(of: "?") else { return [] }
        return uri[uri.index(after: q)...].split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = FakeHTTPRequest.percentDecode(String(parts[0]).replacingPlus())
            let value = parts.count > 1 ? FakeHTTPRequest.percentDecode(String(parts[1]).replacingPlus()) : ""
            return (name, value)
        }
    }

    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    static func percentDecode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
               let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func replacingPlus() -> String {
        String(self.map { $0 == "+" ? " " : $0 })
    }
}

/// What a fake server answers: a whole body, or a stream of chunks (sent with chunked encoding
/// as they come, like a Kubernetes watch) that ends when the stream finishes.
public struct FakeHTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        case stream(AsyncStream<[UInt8]>)
    }

    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, contentType: String, body: [UInt8], headers: [(name: String, value: String)] = []) {
        self.init(status: status, headers: [("Content-Type", contentType)] + headers, body: .bytes(body))
    }
}

/// TLS settings for a fake server: its certificate, and optionally the CA its clients'
/// certificates must chain to. Clients without a certificate still complete the handshake (as
/// with kube-apiserver), the handler sees `clientCertificateDER == nil` and answers 401 itself; a
/// certificate from another CA fails the handshake.
public struct FakeTLS: Sendable {
    public var certificateChainPath: String
    public var privateKeyPath: String
    public var clientCAPath: String?

    public init(certificateChainPath: String, privateKeyPath: String, clientCAPath: String? = nil) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
    }
}

/// An in-process HTTP/1.1 server (optionally HTTPS with client certificates) on 127.0.0.1 and a
/// free port, for the fakes of Kubernetes and OpenStack. Counts accepted TCP connections so tests
/// can check connection reuse.
public final class FakeHTTPServer: Sendable {
    public typealias Handler = @Sendable (FakeHTTPRequest) async -> FakeHTTPResponse

    public let port: Int
    public let isTLS: Bool
    private let channel: any Channel
    private let counters: Counters

    final class Counters: Sendable {
        let connections = Atomic<Int>(0)
        let requests = Atomic<Int>(0)
    }

    /// `http(s)://127.0.0.1:<port>`
    public var baseURL: String { "\(isTLS ? "https" : "http")://127.0.0.1:\(port)" }
    /// TCP connections accepted so far.
    public var connectionsAccepted: Int { counters.connections.load(ordering: .relaxed) }
    /// Requests received so far.
    public var requestsReceived: Int { counters.requests.load(ordering: .relaxed) }

    private init(port: Int, isTLS: Bool, channel: any Channel, counters: Counters) {
        self.port = port
        self.isTLS = isTLS
        self.channel = channel
        self.counters = counters
    }

    public static func start(tls: FakeTLS? = nil, handler: @escaping Handler) async throws -> FakeHTTPServer {
        var sslContext: NIOSSLContext?
        if let tls {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainPath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.applicationProtocols = ["http/1.1"]
            if let ca = tls.clientCAPath {
                configuration.trustRoots = .file(ca)
                configuration.certificateVerification = .optionalVerification
            }
            sslContext = try NIOSSLContext(configuration: configuration)
        }
        let counters = Counters()
        let context = sslContext
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 512)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let number = counters.connections.add(1, ordering: .relaxed).newValue
                return channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        FakeHTTPChannelHandler(handler: handler, connectionNumber: number, counters: counters))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw FakeServerError(message: "the fake server has no local port")
        }
        return FakeHTTPServer(port: port, isTLS: sslContext != nil, channel: channel, counters: counters)
    }

    /// Stops listening. Connections already open are closed too.
    public func shutdown() async {
        try? await channel.close()
    }
}

public struct FakeServerError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

final class FakeHTTPChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: FakeHTTPServer.Handler
    private let connectionNumber: Int
    private let counters: FakeHTTPServer.Counters
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var running: Task<Void, Never>?

    init(handler: @escaping FakeHTTPServer.Handler, connectionNumber: Int, counters: FakeHTTPServer.Counters) {
        self.handler = handler
        self.connectionNumber = connectionNumber
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let requestHead = head else { return }
            head = nil
            counters.requests.add(1, ordering: .relaxed)
            var certificate: [UInt8]?
            if let ssl = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) {
                certificate = try? ssl.peerCertificate?.toDERBytes()
            }
            let request = FakeHTTPRequest(
                method: requestHead.method.rawValue, uri: requestHead.uri,
                headers: requestHead.headers.map { ($0.name, $0.value) }, body: body,
                clientCertificateDER: certificate, connectionNumber: connectionNumber)
            body = []
            let keepAlive = requestHead.isKeepAlive
            let version = requestHead.version
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let handler = self.handler
            running = Task {
                let response = await handler(request)
                var responseHeaders = HTTPHeaders()
                for (name, value) in response.headers { responseHeaders.add(name: name, value: value) }
                switch response.body {
                case .bytes(let bytes):
                    responseHeaders.replaceOrAdd(name: "Content-Length", value: String(bytes.count))
                    if !keepAlive { responseHeaders.replaceOrAdd(name: "Connection", value: "close") }
                    let headers = responseHeaders
                    eventLoop.execute {
                        let context = bound.value
                        let status = HTTPResponseStatus(statusCode: response.status)
                        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
                        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
                        buffer.writeBytes(bytes)
                        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
                        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
                        if !keepAlive { done.whenComplete { _ in bound.value.close(promise: nil) } }
                    }
                case .stream(let chunks):
                    responseHeaders.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
                    let headers = responseHeaders
                    eventLoop.execute {
                        let status = HTTPResponseStatus(statusCode: response.status)
                        bound.value.writeAndFlush(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
                    }
                    for await chunk in chunks {
                        if Task.isCancelled { break }
                        eventLoop.execute {
                            let context = bound.value
                            var buffer = context.channel.allocator.buffer(capacity: chunk.count)
                            buffer.writeBytes(chunk)
                            context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
                        }
                    }
                    if Task.isCancelled { return }
                    eventLoop.execute {
                        let done = bound.value.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
                        if !keepAlive { done.whenComplete { _ in bound.value.close(promise: nil) } }
                    }
                }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        running?.cancel()
        running = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
