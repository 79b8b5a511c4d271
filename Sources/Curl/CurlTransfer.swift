import CCurl
import Synchronization

/// Receives what one transfer produces. Called on the engine thread only.
protocol CurlTransferSink: AnyObject, Sendable {
    /// The final status line and headers arrived (not called for 1xx interim responses).
    func headReceived(_ head: HTTPResponseHead)
    /// Body bytes. `.pause` asks libcurl to pause the transfer (the same bytes are delivered
    /// again on resume, so a sink that pauses must not keep them); `.abort` ends it.
    func bodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyDisposition
    /// The transfer ended, with its head when one arrived.
    func finished(_ result: Result<HTTPResponseHead, HTTPClientError>)
}

enum BodyDisposition {
    case consumed
    case pause
    case abort(HTTPClientError.Kind, String)
}

/// One request's easy handle and parsing state. Configured on the caller's thread, then owned by
/// the engine thread from `.add` until it completes.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let method: HTTPMethod
    let url: String
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let sink: any CurlTransferSink
    private let cancelledFlag = Atomic<Bool>(false)
    private let cancellationKind = Mutex<HTTPClientError.Kind>(.cancelled)

    // Engine thread only.
    private var status = 0
    private var httpVersion = "1.1"
    private var headers = HTTPHeaders()
    private var headDelivered = false
    private var isComplete = false
    private var abortReason: (HTTPClientError.Kind, String)?

    init(request: HTTPRequest, configuration: HTTPClientConfiguration, streaming: Bool, sink: any CurlTransferSink) throws(HTTPClientError) {
        self.method = request.method
        self.url = request.url
        self.sink = sink
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        guard curlGlobalInit, let easy = curl_easy_init() else {
            errorBuffer.deallocate()
            throw HTTPClientError(kind: .other, method: request.method, url: request.url, detail: "libcurl could not create a handle")
        }
        self.easy = easy
        do {
            try configure(request: request, configuration: configuration, streaming: streaming)
        } catch {
            release()
            throw error
        }
    }

    deinit {
        if !isComplete { release() }
    }

    private func release() {
        curl_easy_cleanup(easy)
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        errorBuffer.deallocate()
    }

    private func fail(_ detail: String) -> HTTPClientError {
        HTTPClientError(kind: .invalidURL, method: method, url: url, detail: detail)
    }

    private func configure(request: HTTPRequest, configuration: HTTPClientConfiguration, streaming: Bool) throws(HTTPClientError) {
        let lower = request.url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            throw fail("only http and https URLs are supported")
        }
        var code = mcw_easy_setopt_string(easy, CURLOPT_URL, request.url)
        guard code == CURLE_OK else { throw fail(String(cString: curl_easy_strerror(code))) }

        _ = mcw_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        _ = mcw_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = mcw_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = mcw_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        _ = mcw_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = mcw_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        _ = mcw_easy_setopt_string(easy, CURLOPT_USERAGENT, configuration.userAgent)
        _ = mcw_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        if !configuration.useEnvironmentProxy {
            _ = mcw_easy_setopt_string(easy, CURLOPT_PROXY, "")
        }
        switch configuration.httpVersion {
        case .http1_1: _ = mcw_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        case .http2OverTLS: _ = mcw_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS)
        }

        // Timeouts.
        _ = mcw_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, configuration.connectTimeout.curlMilliseconds))
        let total = request.timeout ?? (streaming ? nil : configuration.timeout)
        _ = mcw_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, total?.curlMilliseconds ?? 0)

        // TLS.
        let tls = configuration.tls
        _ = mcw_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0)
        _ = mcw_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, tls.verifyHost && tls.verifyPeer ? 2 : 0)
        try setPEM(tls.trustRoots, file: CURLOPT_CAINFO, blob: CURLOPT_CAINFO_BLOB, what: "CA certificates")
        try setPEM(tls.clientCertificate, file: CURLOPT_SSLCERT, blob: CURLOPT_SSLCERT_BLOB, what: "client certificate")
        try setPEM(tls.clientKey, file: CURLOPT_SSLKEY, blob: CURLOPT_SSLKEY_BLOB, what: "client key")

        // Method and body.
        switch request.method {
        case .get where request.body == nil:
            _ = mcw_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case .head:
            _ = mcw_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        default:
            if let body = request.body {
                _ = mcw_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                code = body.withUnsafeBytes { raw in
                    // COPYPOSTFIELDS copies POSTFIELDSIZE bytes, so binary bodies are fine.
                    mcw_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)))
                }
                guard code == CURLE_OK else {
                    throw HTTPClientError(kind: .other, method: method, url: url, curlCode: Int(code.rawValue), detail: "could not set the request body")
                }
            }
            if request.method != .post || request.body == nil {
                _ = mcw_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            }
        }

        // Headers: the caller's, plus "Expect:" to turn off 100-continue round trips, and an
        // empty Content-Type when the caller gave none (libcurl would invent a form type).
        var list: UnsafeMutablePointer<curl_slist>?
        for field in request.headers {
            list = curl_slist_append(list, "\(field.name): \(field.value)")
        }
        list = curl_slist_append(list, "Expect:")
        if request.body != nil && !request.headers.contains("Content-Type") {
            list = curl_slist_append(list, "Content-Type:")
        }
        headerList = list
        _ = mcw_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)

        // Callbacks.
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = mcw_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, { ptr, size, count, user in
            guard let user else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
            let length = size * count
            transfer.headerLine(UnsafeRawBufferPointer(start: ptr, count: length))
            return length
        })
        _ = mcw_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        _ = mcw_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, { ptr, size, count, user in
            guard let user else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
            let length = size * count
            switch transfer.sink.bodyReceived(UnsafeRawBufferPointer(start: ptr, count: length)) {
            case .consumed: return length
            case .pause: return mcw_curl_writefunc_pause
            case .abort(let kind, let detail):
                transfer.abortReason = (kind, detail)
                return 0
            }
        })
        _ = mcw_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
    }

    private func setPEM(_ source: PEMSource?, file: CURLoption, blob: CURLoption, what: String) throws(HTTPClientError) {
        guard let source else { return }
        let code: CURLcode
        switch source {
        case .file(let path):
            code = mcw_easy_setopt_string(easy, file, path)
        case .data(let bytes):
            code = bytes.withUnsafeBytes { mcw_easy_setopt_blob(easy, blob, $0.baseAddress, $0.count) }
        }
        guard code == CURLE_OK else {
            throw HTTPClientError(kind: .tls, method: method, url: url, curlCode: Int(code.rawValue),
                                  detail: "libcurl does not accept the \(what) (\(source))")
        }
    }

    // MARK: Engine thread

    private func headerLine(_ raw: UnsafeRawBufferPointer) {
        var end = raw.count
        while end > 0 && (raw[end - 1] == 10 || raw[end - 1] == 13) { end -= 1 }
        let line = String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<end]), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new response block (after 1xx interim responses, a fresh one replaces them).
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            httpVersion = parts.first.map { String($0.dropFirst(5)) } ?? "1.1"
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = HTTPHeaders()
            return
        }
        if line.isEmpty {
            if status >= 200 && !headDelivered {
                headDelivered = true
                sink.headReceived(HTTPResponseHead(status: status, headers: headers, httpVersion: httpVersion))
            }
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = String(line[..<colon]).trimmed(of: " \t")
        let value = String(line[line.index(after: colon)...]).trimmed(of: " \t")
        headers.add(name: name, value: value)
    }

    /// The transfer left the multi handle: report its outcome and free the easy handle.
    func finish(result: CURLcode) {
        guard !isComplete else { return }
        if result == CURLE_OK {
            let head = HTTPResponseHead(status: status, headers: headers, httpVersion: httpVersion)
            isComplete = true
            release()
            sink.finished(.success(head))
        } else if let (kind, detail) = abortReason {
            complete(error: HTTPClientError(kind: kind, method: method, url: url, detail: detail))
        } else {
            let detail = String(cString: errorBuffer)
            complete(error: HTTPClientError(
                kind: CurlTransfer.kind(of: result), method: method, url: url,
                curlCode: Int(result.rawValue),
                detail: detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail))
        }
    }

    /// Ends the transfer with an error (engine thread, after removal from the multi handle).
    func complete(error: HTTPClientError) {
        guard !isComplete else { return }
        isComplete = true
        release()
        sink.finished(.failure(error))
    }

    // MARK: Any thread

    /// Marks the transfer cancelled; the engine aborts it (or never starts it).
    func markCancelled(kind: HTTPClientError.Kind = .cancelled) {
        cancellationKind.withLock { $0 = kind }
        cancelledFlag.store(true, ordering: .releasing)
    }

    var isCancelled: Bool { cancelledFlag.load(ordering: .acquiring) }

    func cancellationError() -> HTTPClientError {
        HTTPClientError(kind: cancellationKind.withLock { $0 }, method: method, url: url)
    }

    static func kind(of code: CURLcode) -> HTTPClientError.Kind {
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT: return .invalidURL
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .couldNotResolveHost
        case CURLE_COULDNT_CONNECT: return .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT,
             CURLE_USE_SSL_FAILED, CURLE_SSL_SHUTDOWN_FAILED:
            return .tls
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
             CURLE_HTTP2_STREAM, CURLE_WEIRD_SERVER_REPLY:
            return .connectionLost
        case CURLE_ABORTED_BY_CALLBACK: return .cancelled
        default: return .other
        }
    }
}

extension String {
    func trimmed(of set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
