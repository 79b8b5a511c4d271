import AMQP
import Testing
import TestSupport

/// The `tools/broker --tls` listener requires a client certificate signed by its CA.
@Suite("TLS", .enabled(if: TestEnvironment.brokerEnabled))
struct TLSTests {
    static func configuration(
        ca: String, certificate: Bool = true, password: String = "guest"
    ) throws -> AMQPConfiguration {
        let broker = try TestEnvironment.requireBroker()
        let tlsPort = try #require(broker.tlsPort, "tools/test starts the broker with --tls")
        let dir = try #require(broker.tlsDirectory)
        // By name: librabbitmq checks DNS names only, and the broker's certificate names localhost.
        var configuration = AMQPConfiguration(
            endpoints: [Endpoint(host: "localhost", port: tlsPort, password: Password(password))],
            tls: TLSConfiguration(
                caCertificateFile: "\(dir)/\(ca)", certificateFile: certificate ? "\(dir)/client.pem" : nil,
                keyFile: certificate ? "\(dir)/client.key" : nil))
        configuration.connectTimeout = .seconds(5)
        configuration.handshakeTimeout = .seconds(5)
        return configuration
    }

    @Test("TLS with a verified broker certificate and a client certificate carries messages")
    func verifiedConnection() async throws {
        let configuration = try Self.configuration(ca: "ca.pem")
        #expect(configuration.tls?.verifyPeer == true)
        #expect(configuration.tls?.verifyHostname == true)
        let connection = try await AMQPConnection.connect(configuration: configuration, logger: Harness.logger())
        let channel = try await connection.openChannel()
        let queue = try await channel.declareQueue(QueueDeclaration(name: "", exclusive: true))
        try await channel.enableConfirms()
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        #expect(try await channel.publish(body, routingKey: queue.name) == .confirmed)
        let collector = Collector(try await channel.consume(queue: queue.name))
        let got = try await collector.waitFor(count: 1)
        #expect(got.first?.body == body)
        try got.first?.ack()
        collector.stop()
        await connection.close()
    }

    @Test("a broker certificate from another CA is tlsVerificationFailed")
    func untrustedBroker() async throws {
        let logs = LogCapture()
        let configuration = try Self.configuration(ca: "other-ca.pem", password: ConnectionFailureTests.secret)
        let (error, elapsed) = try await ConnectionFailureTests.failingConnect(configuration, logs: logs)
        #expect(error.kind == .tlsVerificationFailed)
        #expect(error.message.contains("other-ca.pem"))
        #expect(elapsed < .seconds(5))
        ConnectionFailureTests.expectNoSecret(error, logs)
    }

    @Test("a host name the certificate does not name is tlsVerificationFailed")
    func wrongHostName() async throws {
        let logs = LogCapture()
        var configuration = try Self.configuration(ca: "ca.pem")
        configuration.endpoints[0].host = "127.0.0.1"  // the certificate's IP entry is not checked by librabbitmq
        let (error, _) = try await ConnectionFailureTests.failingConnect(configuration, logs: logs)
        #expect(error.kind == .tlsVerificationFailed)
        // Without hostname verification the same connection is accepted.
        configuration.tls?.verifyHostname = false
        let connection = try await AMQPConnection.connect(configuration: configuration, logger: Harness.logger())
        await connection.close()
    }

    @Test("without the client certificate the broker ends the handshake: tlsHandshakeFailed")
    func missingClientCertificate() async throws {
        let logs = LogCapture()
        let configuration = try Self.configuration(ca: "ca.pem", certificate: false, password: ConnectionFailureTests.secret)
        let (error, elapsed) = try await ConnectionFailureTests.failingConnect(configuration, logs: logs)
        #expect(error.kind == .tlsHandshakeFailed)
        #expect(elapsed < .seconds(5))
        ConnectionFailureTests.expectNoSecret(error, logs)
    }

    @Test("plain AMQP against the TLS port fails within the handshake timeout")
    func plainToTLSPort() async throws {
        let logs = LogCapture()
        var configuration = try Self.configuration(ca: "ca.pem", password: ConnectionFailureTests.secret)
        configuration.tls = nil
        configuration.handshakeTimeout = .seconds(2)
        let (error, elapsed) = try await ConnectionFailureTests.failingConnect(configuration, logs: logs)
        #expect([.connectionClosed, .timeout, .protocolError].contains(error.kind), "got \(error)")
        #expect(elapsed < .seconds(4))
        ConnectionFailureTests.expectNoSecret(error, logs)
    }

    @Test("a missing CA file is an invalidConfiguration naming the file")
    func missingCAFile() async throws {
        let logs = LogCapture()
        let configuration = try Self.configuration(ca: "does-not-exist.pem")
        let (error, _) = try await ConnectionFailureTests.failingConnect(configuration, logs: logs)
        #expect(error.kind == .invalidConfiguration)
        #expect(error.message.contains("does-not-exist.pem"))
    }
}
