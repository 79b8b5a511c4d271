import CRabbitMQ
import Glibc
import Logging

/// One live librabbitmq connection (`amqp_connection_state_t`) to one endpoint.
///
/// Owned by the connection thread: every call here happens on that thread. Opening is bounded
/// by the connect and handshake timeouts; synchronous replies (`request`) by the RPC timeout.
final class Session {
    let state: amqp_connection_state_t
    let endpoint: Endpoint
    let usesTLS: Bool
    let fd: Int32
    let heartbeatSeconds: Int
    let channelMax: UInt16
    private var zero = timeval(tv_sec: 0, tv_usec: 0)
    private var destroyed = false

    private init(state: amqp_connection_state_t, endpoint: Endpoint, usesTLS: Bool) {
        self.state = state
        self.endpoint = endpoint
        self.usesTLS = usesTLS
        fd = amqp_get_sockfd(state)
        heartbeatSeconds = Int(amqp_get_heartbeat(state))
        let max = amqp_get_channel_max(state)
        channelMax = max <= 0 || max > Int32(UInt16.max) ? UInt16.max : UInt16(max)
    }

    deinit { destroy() }

    // MARK: Opening

    static func open(
        _ endpoint: Endpoint, configuration: AMQPConfiguration, pool: ScratchPool
    ) -> Result<Session, AMQPError> {
        let address = endpoint.address
        func fail(_ kind: AMQPError.Kind, _ message: String, replyCode: UInt16? = nil, replyText: String? = nil)
            -> Result<Session, AMQPError>
        {
            .failure(AMQPError(kind, message, endpoint: address, replyCode: replyCode, replyText: replyText))
        }
        guard let state = amqp_new_connection() else {
            return fail(.connectionRefused, "librabbitmq could not allocate a connection (out of memory)")
        }
        var keep = false
        defer { if !keep { amqp_destroy_connection(state) } }

        let tls = configuration.tls
        let socket: OpaquePointer?
        if let tls {
            socket = amqp_ssl_socket_new(state)
            guard let socket else {
                return fail(.tlsHandshakeFailed, "could not create a TLS socket (OpenSSL initialisation failed)")
            }
            if let problem = configureTLS(socket, tls) { return .failure(problem.with(endpoint: address)) }
        } else {
            socket = amqp_tcp_socket_new(state)
        }
        guard let socket else { return fail(.connectionRefused, "could not create a socket") }

        var handshake = timeval(configuration.handshakeTimeout)
        var rpc = timeval(configuration.rpcTimeout)
        amqp_set_handshake_timeout(state, &handshake)
        amqp_set_rpc_timeout(state, &rpc)

        var connectTimeout = timeval(configuration.connectTimeout)
        errno = 0
        let opened = amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &connectTimeout)
        if opened != AMQP_STATUS_OK.rawValue {
            let osError = errno
            return .failure(openError(opened, osError: osError, endpoint: endpoint, tls: tls != nil, configuration: configuration))
        }

        // Login, with our client properties merged over librabbitmq's.
        pool.recycle()
        var properties = pool.table(clientProperties(configuration))
        let heartbeat = Int32(clamping: Self.seconds(configuration.heartbeat))
        let reply: amqp_rpc_reply_t = configuration.virtualHost.withCString { vhost in
            switch configuration.authentication {
            case .plain:
                endpoint.username.withCString { user in
                    endpoint.password.value.withCString { password in
                        crabbitmq_login_plain(
                            state, vhost, Int32(configuration.channelMax), Int32(clamping: configuration.frameMax),
                            heartbeat, &properties, user, password)
                    }
                }
            case .external:
                endpoint.username.withCString { identity in
                    crabbitmq_login_external(
                        state, vhost, Int32(configuration.channelMax), Int32(clamping: configuration.frameMax),
                        heartbeat, &properties, identity)
                }
            }
        }
        pool.recycle()

        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            keep = true
            return .success(Session(state: state, endpoint: endpoint, usesTLS: tls != nil))
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            let (code, text) = closeReason(reply.reply)
            switch code {
            case AMQPReplyCode.accessRefused:
                return fail(
                    .authenticationFailed,
                    "the broker refused the login of user '\(endpoint.username)': \(text)", replyCode: code, replyText: text)
            case AMQPReplyCode.notAllowed:
                return fail(
                    .accessRefused,
                    "user '\(endpoint.username)' may not use virtual host '\(configuration.virtualHost)': \(text)",
                    replyCode: code, replyText: text)
            default:
                return fail(.connectionClosed, "the broker closed the connection during login: \(text)", replyCode: code, replyText: text)
            }
        default:
            return .failure(loginError(reply.library_error, endpoint: endpoint, tls: tls != nil, configuration: configuration))
        }
    }

    private static func configureTLS(_ socket: OpaquePointer, _ tls: TLSConfiguration) -> AMQPError? {
        func readable(_ path: String, _ option: String) -> AMQPError? {
            if access(path, R_OK) == 0 { return nil }
            let reason = String(cString: strerror(errno))
            return AMQPError(.invalidConfiguration, "\(option) '\(path)' cannot be read: \(reason)")
        }
        if let ca = tls.caCertificateFile {
            if let problem = readable(ca, "ssl_ca_file") { return problem }
            if amqp_ssl_socket_set_cacert(socket, ca) != AMQP_STATUS_OK.rawValue {
                return AMQPError(.invalidConfiguration, "ssl_ca_file '\(ca)' is not a PEM CA certificate bundle")
            }
        }
        if let cert = tls.certificateFile {
            let key = tls.keyFile ?? cert
            if let problem = readable(cert, "ssl_cert_file") ?? readable(key, "ssl_key_file") { return problem }
            if amqp_ssl_socket_set_key(socket, cert, key) != AMQP_STATUS_OK.rawValue {
                return AMQPError(
                    .invalidConfiguration,
                    "ssl_cert_file '\(cert)' / ssl_key_file '\(key)': not a PEM certificate and matching unencrypted private key")
            }
        } else if let key = tls.keyFile {
            return AMQPError(.invalidConfiguration, "ssl_key_file '\(key)' is set without ssl_cert_file")
        }
        amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
        _ = amqp_ssl_socket_set_ssl_versions(socket, AMQP_TLSv1_2, AMQP_TLSvLATEST)
        return nil
    }

    private static func clientProperties(_ configuration: AMQPConfiguration) -> AMQPFieldTable {
        var table = AMQPFieldTable()
        table["product"] = "magnum-capi-worker"
        table["platform"] = "Swift"
        table["information"] = .string("AMQP module over librabbitmq \(librabbitmqVersion)")
        table["capabilities"] = [
            "authentication_failure_close": true,
            "connection.blocked": true,
            "consumer_cancel_notify": true,
            "publisher_confirms": true,
            "basic.nack": true,
            "exchange_exchange_bindings": true,
            "per_consumer_qos": true,
        ]
        if let name = configuration.connectionName { table["connection_name"] = .string(name) }
        for entry in configuration.clientProperties where entry.key != "capabilities" {
            table[entry.key] = entry.value
        }
        return table
    }

    static func seconds(_ d: Duration) -> Int {
        let (s, atto) = d.components
        return Int(clamping: s) + (atto > 0 ? 1 : 0)
    }

    // MARK: Errors

    private static func statusText(_ status: Int32) -> String {
        String(cString: amqp_error_string2(status))
    }

    static func closeReason(_ method: amqp_method_t) -> (UInt16, String) {
        guard let decoded = method.decoded else { return (0, "no reason given") }
        if method.id == AMQP_CONNECTION_CLOSE_METHOD {
            let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            return (close.reply_code, close.reply_text.string)
        }
        if method.id == AMQP_CHANNEL_CLOSE_METHOD {
            let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            return (close.reply_code, close.reply_text.string)
        }
        return (0, "unexpected method 0x\(String(method.id, radix: 16))")
    }

    private static func openError(
        _ status: Int32, osError: Int32, endpoint: Endpoint, tls: Bool, configuration: AMQPConfiguration
    ) -> AMQPError {
        let address = endpoint.address
        switch amqp_status_enum(rawValue: status) {
        case AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED:
            return AMQPError(.hostResolutionFailed, "cannot resolve host name '\(endpoint.host)'", endpoint: address)
        case AMQP_STATUS_TIMEOUT:
            return AMQPError(
                .timeout,
                "could not connect\(tls ? " and complete the TLS handshake" : "") within \(configuration.connectTimeout)",
                endpoint: address)
        case AMQP_STATUS_SSL_PEER_VERIFY_FAILED:
            return AMQPError(
                .tlsVerificationFailed,
                "the broker's certificate is not signed by a CA in ssl_ca_file '\(configuration.tls?.caCertificateFile ?? "")'",
                endpoint: address)
        case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED:
            return AMQPError(
                .tlsVerificationFailed,
                "the broker's certificate does not name host '\(endpoint.host)' (only DNS names are checked: connect by name)",
                endpoint: address)
        case AMQP_STATUS_SSL_CONNECTION_FAILED, AMQP_STATUS_SSL_ERROR, AMQP_STATUS_SSL_SET_ENGINE_FAILED:
            return AMQPError(
                .tlsHandshakeFailed,
                "TLS handshake failed (\(statusText(status))); is this a TLS port, and do the TLS versions and ciphers match?",
                endpoint: address)
        default:
            // librabbitmq reports every failed connect as a "socket error"; ask the system why.
            var reason = statusText(status)
            let cause = osError == EINPROGRESS || osError == 0 ? probeConnectError(endpoint.host, endpoint.port) : osError
            if cause != 0 { reason = String(cString: strerror(cause)) }
            return AMQPError(.connectionRefused, "TCP connection failed: \(reason)", endpoint: address)
        }
    }

    /// Connects once more, briefly, only to learn the system's reason for the failure (errno; 0 if unknown).
    private static func probeConnectError(_ host: String, _ port: Int) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return 0 }
        defer { freeaddrinfo(list) }
        var result: Int32 = 0
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return 0 }
            if errno != EINPROGRESS {
                result = errno
                continue
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&pfd, 1, 1000) > 0 else {
                result = ETIMEDOUT
                continue
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error != 0 { result = error } else { return 0 }
        }
        return result
    }

    private static func loginError(
        _ status: Int32, endpoint: Endpoint, tls: Bool, configuration: AMQPConfiguration
    ) -> AMQPError {
        let address = endpoint.address
        switch amqp_status_enum(rawValue: status) {
        case AMQP_STATUS_TIMEOUT:
            return AMQPError(
                .timeout, "the AMQP handshake did not complete within \(configuration.handshakeTimeout)", endpoint: address)
        case AMQP_STATUS_BROKER_UNSUPPORTED_SASL_METHOD:
            return AMQPError(
                .authenticationFailed,
                "the broker does not offer the \(configuration.authentication == .plain ? "PLAIN" : "EXTERNAL") login method",
                endpoint: address)
        case AMQP_STATUS_SSL_ERROR, AMQP_STATUS_SSL_CONNECTION_FAILED, AMQP_STATUS_CONNECTION_CLOSED,
            AMQP_STATUS_SOCKET_ERROR, AMQP_STATUS_SOCKET_CLOSED:
            if tls {
                return AMQPError(
                    .tlsHandshakeFailed,
                    "the broker ended the TLS session during the AMQP handshake (\(statusText(status))); a listener that "
                        + "requires client certificates does this when ssl_cert_file/ssl_key_file are missing or not trusted",
                    endpoint: address)
            }
            return AMQPError(
                .connectionClosed,
                "the broker closed the connection during the AMQP handshake (\(statusText(status))); is this a TLS port?",
                endpoint: address)
        default:
            return AMQPError(.protocolError, "AMQP handshake failed: \(statusText(status))", endpoint: address)
        }
    }

    /// The error for a failure of an established connection.
    func lostError(_ status: Int32, while doing: String) -> AMQPError {
        let kind: AMQPError.Kind = .connectionClosed
        let text: String
        switch amqp_status_enum(rawValue: status) {
        case AMQP_STATUS_HEARTBEAT_TIMEOUT:
            text = "no heartbeat or data from the broker for \(2 * heartbeatSeconds) s"
        case AMQP_STATUS_CONNECTION_CLOSED, AMQP_STATUS_SOCKET_CLOSED:
            text = "the broker closed the connection"
        default:
            text = Self.statusText(status)
        }
        return AMQPError(kind, "connection lost while \(doing): \(text)", endpoint: endpoint.address)
    }

    // MARK: Reading

    /// Whether librabbitmq holds bytes or decoded frames not yet handed out.
    var hasBufferedInput: Bool { amqp_data_in_buffer(state) != 0 || amqp_frames_enqueued(state) != 0 }

    /// The next frame if one can be read without waiting (`AMQP_STATUS_TIMEOUT` when none);
    /// also sends a heartbeat when one is due and detects missed broker heartbeats.
    func readFrame(_ frame: inout amqp_frame_t) -> Int32 {
        amqp_simple_wait_frame_noblock(state, &frame, &zero)
    }

    func releaseBuffers() { amqp_maybe_release_buffers(state) }

    // MARK: Writing

    func send(_ request: ChannelRequest, channel: UInt16, pool: ScratchPool) -> Int32 {
        defer { pool.recycle() }
        return request.withCMethod(pool: pool) { id, method in amqp_send_method(state, channel, id, method) }
    }

    func sendMethod<M>(_ id: amqp_method_number_t, channel: UInt16, _ method: M) -> Int32 {
        var method = method
        return withUnsafeMutablePointer(to: &method) { amqp_send_method(state, channel, id, $0) }
    }

    func publish(
        channel: UInt16, exchange: String, routingKey: String, mandatory: Bool, properties: AMQPProperties,
        body: [UInt8], pool: ScratchPool
    ) -> Int32 {
        defer { pool.recycle() }
        var props = pool.properties(properties)
        let exchangeBytes = pool.bytes(exchange)
        let keyBytes = pool.bytes(routingKey)
        return body.withUnsafeBytes { raw in
            let bytes = amqp_bytes_t(len: raw.count, bytes: raw.count == 0 ? nil : UnsafeMutableRawPointer(mutating: raw.baseAddress))
            return amqp_basic_publish(state, channel, exchangeBytes, keyBytes, mandatory ? 1 : 0, 0, &props, bytes)
        }
    }

    func ack(channel: UInt16, tag: UInt64, multiple: Bool) -> Int32 {
        amqp_basic_ack(state, channel, tag, multiple ? 1 : 0)
    }

    func nack(channel: UInt16, tag: UInt64, multiple: Bool, requeue: Bool) -> Int32 {
        amqp_basic_nack(state, channel, tag, multiple ? 1 : 0, requeue ? 1 : 0)
    }

    func reject(channel: UInt16, tag: UInt64, requeue: Bool) -> Int32 {
        amqp_basic_reject(state, channel, tag, requeue ? 1 : 0)
    }

    // MARK: Synchronous requests (recovery and shutdown only)

    enum SyncResult {
        case ok(ChannelResponse)
        case channelClosed(AMQPError)
        case connectionLost(AMQPError)
    }

    /// Sends `request` and waits (at most the RPC timeout) for its reply; frames for other
    /// channels or consumers that arrive meanwhile are queued inside librabbitmq for the loop.
    func request(_ request: ChannelRequest, channel: UInt16, pool: ScratchPool) -> SyncResult {
        defer { pool.recycle() }
        var expected: [amqp_method_number_t] = [request.reply, 0]
        let reply = request.withCMethod(pool: pool) { id, method in
            expected.withUnsafeMutableBufferPointer { list in
                amqp_simple_rpc(state, channel, id, list.baseAddress, method)
            }
        }
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return .ok(request.response(reply.reply.decoded))
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            let (code, text) = Self.closeReason(reply.reply)
            if reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD {
                _ = sendMethod(AMQP_CHANNEL_CLOSE_OK_METHOD, channel: channel, amqp_channel_close_ok_t(dummy: 0))
                return .channelClosed(
                    AMQPError(
                        .channelClosed, "the broker closed channel \(channel) on \(request.methodName): \(text)",
                        endpoint: endpoint.address, replyCode: code, replyText: text))
            }
            _ = sendMethod(AMQP_CONNECTION_CLOSE_OK_METHOD, channel: 0, amqp_connection_close_ok_t(dummy: 0))
            return .connectionLost(
                AMQPError(
                    .connectionClosed, "the broker closed the connection on \(request.methodName): \(text)",
                    endpoint: endpoint.address, replyCode: code, replyText: text))
        default:
            if reply.library_error == AMQP_STATUS_TIMEOUT.rawValue {
                return .connectionLost(
                    AMQPError(.timeout, "no reply to \(request.methodName) within the RPC timeout", endpoint: endpoint.address))
            }
            return .connectionLost(lostError(reply.library_error, while: "waiting for the reply to \(request.methodName)"))
        }
    }

    /// connection.close and wait (at most the RPC timeout) for close-ok; then free everything.
    func closeGracefully() {
        guard !destroyed else { return }
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        destroy()
    }

    /// Frees the connection without talking to the broker (it is gone, or we give up on it).
    func destroy() {
        guard !destroyed else { return }
        destroyed = true
        amqp_destroy_connection(state)
    }
}

extension AMQPError {
    func with(endpoint: String) -> AMQPError {
        var copy = self
        copy.endpoint = endpoint
        return copy
    }
}

extension timeval {
    init(_ d: Duration) {
        let (s, atto) = d.components
        self.init(tv_sec: Int(clamping: max(s, 0)), tv_usec: Int(max(atto, 0) / 1_000_000_000_000))
    }
}
