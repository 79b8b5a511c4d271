import Curl
import FakeHTTP
import Foundation
import Synchronization
import Testing

/// The curl client against an in-process HTTPS server with the test CA.
@Suite struct HTTPClientTests {
    static func tlsServer(clientCA: Bool = true, handler: @escaping FakeHTTPServer.Handler) async throws -> (FakeHTTPServer, TestPKI) {
        let pki = try TestPKI.shared()
        let server = try await FakeHTTPServer.start(
            tls: FakeTLS(certificateChainPath: pki.serverCertificate, privateKeyPath: pki.serverKey,
                         clientCAPath: clientCA ? pki.caCertificate : nil),
            handler: handler)
        return (server, pki)
    }

    static func echo(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        var text = "\(request.method) \(request.uri)\n"
        text += "content-type=\(request.header("Content-Type") ?? "-")\n"
        text += "x-test=\(request.header("X-Test") ?? "-")\n"
        text += "body=\(String(decoding: request.body, as: UTF8.self))"
        return FakeHTTPResponse(status: 200, contentType: "text/plain", body: Array(text.utf8), headers: [("X-Reply", "yes")])
    }

    func client(_ pki: TestPKI, _ adjust: (inout HTTPClientConfiguration) -> Void = { _ in }) throws -> HTTPClient {
        var configuration = HTTPClientConfiguration(tls: TLSConfiguration(trustRoots: .file(pki.caCertificate)))
        configuration.useEnvironmentProxy = false
        adjust(&configuration)
        return try HTTPClient(configuration: configuration)
    }

    @Test func getReturnsStatusHeadersAndBody() async throws {
        let (server, pki) = try await Self.tlsServer { Self.echo($0) }
        defer { Task { await server.shutdown() } }
        let http = try client(pki)
        let response = try await http.execute(HTTPRequest(url: server.baseURL + "/hello?x=1", headers: ["X-Test": "abc"]))
        #expect(response.status == 200)
        #expect(response.headers["x-reply"] == "yes")
        #expect(response.headers["Content-Type"] == "text/plain")
        #expect(response.bodyText == "GET /hello?x=1\ncontent-type=-\nx-test=abc\nbody=")
        #expect(response.httpVersion == "1.1")
    }

    @Test func postPatchAndDeleteSendMethodBodyAndContentType() async throws {
        let (server, pki) = try await Self.tlsServer { Self.echo($0) }
        defer { Task { await server.shutdown() } }
        let http = try client(pki)
        for method in [HTTPMethod.post, .patch, .put, .delete] {
            let response = try await http.execute(HTTPRequest(
                method: method, url: server.baseURL + "/things", headers: ["Content-Type": "application/json"],
                body: Array(#"{"a":1}"#.utf8)))
            #expect(response.bodyText == "\(method) /things\ncontent-type=application/json\nx-test=-\nbody={\"a\":1}")
        }
        let bare = try await http.execute(HTTPRequest(method: .delete, url: server.baseURL + "/things/1"))
        #expect(bare.bodyText.hasPrefix("DELETE /things/1\ncontent-type=-"))
        let emptyPost = try await http.execute(HTTPRequest(method: .post, url: server.baseURL + "/e", body: []))
        #expect(emptyPost.bodyText == "POST /e\ncontent-type=-\nx-test=-\nbody=")
    }

    @Test func errorStatusesAreResponsesNotErrors() async throws {
        let (server, pki) = try await Self.tlsServer { _ in
            FakeHTTPResponse(status: 404, contentType: "application/json", body: Array(#"{"kind":"Status"}"#.utf8))
        }
        defer { Task { await server.shutdown() } }
        let response = try await client(pki).execute(HTTPRequest(url: server.baseURL + "/missing"))
        #expect(response.status == 404)
        #expect(!response.isSuccess)
        #expect(response.bodyText == #"{"kind":"Status"}"#)
    }

    @Test func streamingDeliversLinesAsTheyArrive() async throws {
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let (server, pki) = try await Self.tlsServer { _ in
            let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
            Task {
                continuation.yield(Array("first\nsec".utf8))
                continuation.yield(Array("ond\r\n".utf8))
                for await _ in release { break }  // the client must see two lines before the rest exists
                continuation.yield(Array("third\nlast-without-newline".utf8))
                continuation.finish()
            }
            return FakeHTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(chunks))
        }
        defer { Task { await server.shutdown() } }
        let response = try await client(pki).stream(HTTPRequest(url: server.baseURL + "/watch"))
        #expect(response.status == 200)
        var lines: [String] = []
        for try await line in response.body.lines {
            lines.append(String(decoding: line, as: UTF8.self))
            if lines.count == 2 { releaser.yield() }
        }
        #expect(lines == ["first", "second", "third", "last-without-newline"])
    }

    @Test func slowConsumerGetsEveryByteInOrderThroughBackPressure() async throws {
        let total = 2 << 20
        let pattern = (0..<(total + 251)).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let (server, pki) = try await Self.tlsServer { _ in
            let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
            Task {
                var sent = 0
                while sent < total {
                    let size = min(60_000, total - sent)
                    continuation.yield(Array(pattern[sent..<(sent + size)]))
                    sent += size
                }
                continuation.finish()
            }
            return FakeHTTPResponse(status: 200, body: .stream(chunks))
        }
        defer { Task { await server.shutdown() } }
        let http = try client(pki) { $0.streamBufferLimit = 64 << 10 }
        let response = try await http.stream(HTTPRequest(url: server.baseURL + "/big"))
        var received = 0
        var intact = true
        var count = 0
        for try await chunk in response.body {
            let start = received % 251
            if chunk[...] != pattern[start..<(start + chunk.count)] { intact = false }
            received += chunk.count
            count += 1
            if count % 16 == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(received == total)
        #expect(intact)
    }

    @Test func wrongCertificateAuthorityFailsAsTLS() async throws {
        let (server, pki) = try await Self.tlsServer { Self.echo($0) }
        defer { Task { await server.shutdown() } }
        let http = try HTTPClient(configuration: HTTPClientConfiguration(
            tls: TLSConfiguration(trustRoots: .file(pki.rogueCACertificate)), useEnvironmentProxy: false))
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await http.execute(HTTPRequest(url: server.baseURL + "/"))
        }
        #expect(error?.kind == .tls)
        #expect(error?.description.contains("127.0.0.1") == true)
    }

    @Test func inlineCertificateAuthorityAndVerifyOff() async throws {
        let (server, pki) = try await Self.tlsServer { Self.echo($0) }
        defer { Task { await server.shutdown() } }
        let inline = try HTTPClient(configuration: HTTPClientConfiguration(
            tls: TLSConfiguration(trustRoots: .data(try pki.contents(pki.caCertificate))), useEnvironmentProxy: false))
        #expect(try await inline.execute(HTTPRequest(url: server.baseURL + "/")).status == 200)
        let insecure = try HTTPClient(configuration: HTTPClientConfiguration(
            tls: TLSConfiguration(trustRoots: .file(pki.rogueCACertificate), verifyPeer: false), useEnvironmentProxy: false))
        #expect(try await insecure.execute(HTTPRequest(url: server.baseURL + "/")).status == 200)
    }

    @Test func clientCertificateFromFilesOrInlineReachesTheServer() async throws {
        let (server, pki) = try await Self.tlsServer { request in
            FakeHTTPResponse(status: request.clientCertificateDER == nil ? 401 : 200)
        }
        defer { Task { await server.shutdown() } }
        #expect(try await client(pki).execute(HTTPRequest(url: server.baseURL + "/")).status == 401)
        let files = try client(pki) {
            $0.tls.clientCertificate = .file(pki.clientCertificate)
            $0.tls.clientKey = .file(pki.clientKey)
        }
        #expect(try await files.execute(HTTPRequest(url: server.baseURL + "/")).status == 200)
        let certificate = try pki.contents(pki.clientCertificate)
        let key = try pki.contents(pki.clientKey)
        let inline = try client(pki) {
            $0.tls.clientCertificate = .data(certificate)
            $0.tls.clientKey = .data(key)
        }
        #expect(try await inline.execute(HTTPRequest(url: server.baseURL + "/")).status == 200)
    }

    @Test func clientCertificateFromAnotherCAIsRejected() async throws {
        let (server, pki) = try await Self.tlsServer { _ in FakeHTTPResponse(status: 200) }
        defer { Task { await server.shutdown() } }
        let rogue = try client(pki) {
            $0.tls.clientCertificate = .file(pki.rogueClientCertificate)
            $0.tls.clientKey = .file(pki.rogueClientKey)
        }
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await rogue.execute(HTTPRequest(url: server.baseURL + "/"))
        }
        #expect(error?.kind == .tls || error?.kind == .connectionLost)
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let (server, pki) = try await Self.tlsServer { Self.echo($0) }
        defer { Task { await server.shutdown() } }
        let http = try client(pki)
        for index in 0..<25 {
            #expect(try await http.execute(HTTPRequest(url: server.baseURL + "/\(index)")).status == 200)
        }
        #expect(server.connectionsAccepted == 1)
        #expect(server.requestsReceived == 25)
    }

    @Test func concurrentRequestsStayWithinTheConnectionLimit() async throws {
        let (server, pki) = try await Self.tlsServer { request in
            try? await Task.sleep(for: .milliseconds(20))
            return Self.echo(request)
        }
        defer { Task { await server.shutdown() } }
        let http = try client(pki) { $0.maximumConnectionsPerHost = 3 }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<30 {
                group.addTask { try await http.execute(HTTPRequest(url: server.baseURL + "/\(index)")).status }
            }
            for try await status in group { #expect(status == 200) }
        }
        #expect(server.connectionsAccepted <= 3)
        #expect(server.requestsReceived == 30)
    }

    @Test func totalTimeoutFailsAsTimeout() async throws {
        let (server, pki) = try await Self.tlsServer { request in
            try? await Task.sleep(for: .seconds(3))
            return Self.echo(request)
        }
        defer { Task { await server.shutdown() } }
        let start = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client(pki).execute(HTTPRequest(url: server.baseURL + "/slow", timeout: .milliseconds(200)))
        }
        #expect(error?.kind == .timeout)
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func refusedConnectionFailsAsCouldNotConnect() async throws {
        let (server, pki) = try await Self.tlsServer { Self.echo($0) }
        let url = server.baseURL
        await server.shutdown()
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client(pki).execute(HTTPRequest(url: url + "/"))
        }
        #expect(error?.kind == .couldNotConnect)
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let (server, pki) = try await Self.tlsServer { request in
            if request.path == "/slow" { try? await Task.sleep(for: .seconds(5)) }
            return Self.echo(request)
        }
        defer { Task { await server.shutdown() } }
        let http = try client(pki)
        let start = ContinuousClock.now
        let task = Task { try await http.execute(HTTPRequest(url: server.baseURL + "/slow")) }
        try await Task.sleep(for: .milliseconds(150))
        task.cancel()
        let result = await task.result
        #expect(ContinuousClock.now - start < .seconds(2))
        guard case .failure(let error as HTTPClientError) = result else {
            Issue.record("expected a cancellation error, got \(result)")
            return
        }
        #expect(error.kind == .cancelled)
        // The client still works afterwards.
        let quick = try await http.execute(HTTPRequest(url: server.baseURL + "/quick"))
        #expect(quick.status == 200)
    }

    @Test func cancellingAStreamStopsTheServerSide() async throws {
        let terminated = Atomic<Bool>(false)
        let (server, pki) = try await Self.tlsServer { _ in
            let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
            continuation.onTermination = { _ in terminated.store(true, ordering: .relaxed) }
            continuation.yield(Array("event\n".utf8))
            return FakeHTTPResponse(status: 200, body: .stream(chunks))
        }
        defer { Task { await server.shutdown() } }
        let http = try client(pki)
        let (firstLine, signal) = AsyncStream<Void>.makeStream()
        let task = Task {
            let response = try await http.stream(HTTPRequest(url: server.baseURL + "/watch"))
            var lines = 0
            for try await _ in response.body.lines {
                lines += 1
                signal.yield()
            }
            return lines
        }
        for await _ in firstLine { break }
        task.cancel()
        let result = await task.result
        if case .success(let lines) = result { Issue.record("stream ended normally after \(lines) lines") }
        for _ in 0..<100 where !terminated.load(ordering: .relaxed) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let ended = terminated.load(ordering: .relaxed)
        #expect(ended)
    }

    @Test func oversizedResponseFailsWithoutBufferingItAll() async throws {
        let (server, pki) = try await Self.tlsServer { _ in
            FakeHTTPResponse(status: 200, contentType: "application/octet-stream", body: [UInt8](repeating: 7, count: 300_000))
        }
        defer { Task { await server.shutdown() } }
        let http = try client(pki) { $0.maximumResponseBodySize = 100_000 }
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await http.execute(HTTPRequest(url: server.baseURL + "/big"))
        }
        #expect(error?.kind == .responseTooLarge)
    }

    @Test func errorsNeverContainHeadersBodiesOrUserInfo() async throws {
        let (server, pki) = try await Self.tlsServer { Self.echo($0) }
        let port = server.port
        await server.shutdown()
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client(pki).execute(HTTPRequest(
                method: .post, url: "https://admin:hunter2@127.0.0.1:\(port)/v3/auth/tokens",
                headers: ["X-Auth-Token": "gAAAAABsecret-token", "Authorization": "Bearer sekrit"],
                body: Array(#"{"password":"p4ssw0rd"}"#.utf8)))
        }
        let text = "\(String(describing: error))"
        for secret in ["hunter2", "gAAAAABsecret-token", "sekrit", "p4ssw0rd"] {
            #expect(!text.contains(secret), "error text leaks \(secret): \(text)")
        }
        #expect(text.contains("/v3/auth/tokens"))
    }

    @Test func shutdownFailsTransfersInFlight() async throws {
        let (server, pki) = try await Self.tlsServer { request in
            try? await Task.sleep(for: .seconds(5))
            return Self.echo(request)
        }
        defer { Task { await server.shutdown() } }
        let http = try client(pki)
        let task = Task { try await http.execute(HTTPRequest(url: server.baseURL + "/slow")) }
        try await Task.sleep(for: .milliseconds(150))
        http.shutdown()
        let result = await task.result
        guard case .failure(let error as HTTPClientError) = result else {
            Issue.record("expected a shutdown error, got \(result)")
            return
        }
        #expect(error.kind == .shutdown)
        let after = await #expect(throws: HTTPClientError.self) {
            _ = try await http.execute(HTTPRequest(url: server.baseURL + "/"))
        }
        #expect(after?.kind == .shutdown)
    }
}
