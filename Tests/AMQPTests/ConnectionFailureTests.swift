import AMQP
import Foundation
import Testing
import TestSupport

/// Connecting must fail with a typed error, quickly, and without the password anywhere.
@Suite("Connection failures", .enabled(if: TestEnvironment.brokerEnabled))
struct ConnectionFailureTests {
    static let secret = "s3cr3t-P4ssw0rd-never-shown"

    /// Connects, expecting failure; returns the error and how long it took.
    static func failingConnect(
        _ configuration: AMQPConfiguration, logs: LogCapture
    ) async throws -> (AMQPError, Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let connection = try await AMQPConnection.connect(configuration: configuration, logger: logs.logger())
            await connection.close()
        } catch {
            return (error, clock.now - start)
        }
        Issue.record("connecting unexpectedly succeeded")
        throw AMQPError(.invalidUsage, "connecting unexpectedly succeeded")
    }

    static func expectNoSecret(_ error: AMQPError, _ logs: LogCapture) {
        #expect(!"\(error)".contains(secret))
        #expect(!String(reflecting: error).contains(secret))
        #expect(!error.message.contains(secret))
        #expect(!logs.text.contains(secret), "password in logs:\n\(logs.text)")
        #expect(!logs.text.contains("P4ssw0rd"))
    }

    @Test("a wrong password is authenticationFailed (403), fast, and the password appears nowhere")
    func wrongPassword() async throws {
        let broker = try TestEnvironment.requireBroker()
        let logs = LogCapture()
        var configuration = Harness.configuration(broker)
        configuration.endpoints = [Harness.endpoint(broker, password: Self.secret)]
        let (error, elapsed) = try await Self.failingConnect(configuration, logs: logs)
        #expect(error.kind == .authenticationFailed)
        #expect(error.replyCode == AMQPReplyCode.accessRefused)
        #expect(error.message.contains("guest"))
        #expect(error.endpoint == "127.0.0.1:\(broker.port)")
        #expect(elapsed < .seconds(5))
        #expect(!logs.all.isEmpty, "the failure is logged")
        Self.expectNoSecret(error, logs)
        // Nor does the configuration print it.
        #expect(!"\(configuration.endpoints)".contains(Self.secret))
        #expect(!String(reflecting: configuration).contains(Self.secret))
    }

    @Test("a closed port is connectionRefused at once")
    func closedPort() async throws {
        let logs = LogCapture()
        var configuration = AMQPConfiguration(
            endpoints: [Endpoint(host: "127.0.0.1", port: Harness.closedPort(), password: Password(Self.secret))])
        configuration.connectTimeout = .seconds(3)
        let (error, elapsed) = try await Self.failingConnect(configuration, logs: logs)
        #expect(error.kind == .connectionRefused)
        #expect(error.message.contains("refused"))
        #expect(elapsed < .seconds(3))
        Self.expectNoSecret(error, logs)
    }

    @Test("a host name that does not resolve is hostResolutionFailed")
    func unresolvableHost() async throws {
        let logs = LogCapture()
        // .invalid is reserved (RFC 2606): it never resolves.
        let configuration = AMQPConfiguration(
            endpoints: [Endpoint(host: "rabbit.no-such-host.invalid", port: 5672, password: Password(Self.secret))])
        let (error, _) = try await Self.failingConnect(configuration, logs: logs)
        #expect(error.kind == .hostResolutionFailed)
        #expect(error.message.contains("rabbit.no-such-host.invalid"))
        Self.expectNoSecret(error, logs)
    }

    @Test("a virtual host that does not exist is accessRefused (530)")
    func unknownVirtualHost() async throws {
        let broker = try TestEnvironment.requireBroker()
        let logs = LogCapture()
        var configuration = Harness.configuration(broker)
        configuration.virtualHost = Harness.unique("vhost")
        let (error, _) = try await Self.failingConnect(configuration, logs: logs)
        #expect(error.kind == .accessRefused)
        #expect(error.replyCode == AMQPReplyCode.notAllowed)
        #expect(error.message.contains(configuration.virtualHost))
    }

    @Test("a server that never answers the AMQP handshake times out within the handshake timeout")
    func silentServer() async throws {
        // A listening socket that accepts (the kernel completes the TCP handshake) but never speaks.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(listen(listener, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let logs = LogCapture()
        var configuration = AMQPConfiguration(
            endpoints: [Endpoint(host: "127.0.0.1", port: Int(UInt16(bigEndian: address.sin_port)), password: Password(Self.secret))])
        configuration.handshakeTimeout = .seconds(1)
        let (error, elapsed) = try await Self.failingConnect(configuration, logs: logs)
        #expect(error.kind == .timeout)
        #expect(elapsed < .seconds(4))
        Self.expectNoSecret(error, logs)
    }

    @Test("with every endpoint failing, the error names each of them")
    func allEndpointsFail() async throws {
        let broker = try TestEnvironment.requireBroker()
        let logs = LogCapture()
        let closed = Harness.closedPort()
        var configuration = Harness.configuration(broker)
        configuration.endpoints = [
            Endpoint(host: "127.0.0.1", port: closed, password: Password(Self.secret)),
            Harness.endpoint(broker, password: Self.secret),
        ]
        let (error, _) = try await Self.failingConnect(configuration, logs: logs)
        #expect(error.kind == .authenticationFailed)
        #expect(error.message.contains("127.0.0.1:\(closed)"))
        #expect(error.message.contains("127.0.0.1:\(broker.port)"))
        Self.expectNoSecret(error, logs)
    }

    @Test("no endpoint at all is a configuration error")
    func noEndpoints() async throws {
        await #expect { _ = try await AMQPConnection.connect(configuration: AMQPConfiguration(endpoints: []), logger: Harness.logger()) }
            throws: { ($0 as? AMQPError)?.kind == .invalidConfiguration }
    }
}
