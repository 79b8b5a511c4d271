import AMQP
import ArgumentParser
import Foundation
import JSON
import Logging
import OsloMessaging
import Replay

/// `magnum-capi-worker record`: captures oslo.messaging traffic from RabbitMQ as a recording
/// (the JSON-lines format of `Tests/Fixtures/wire/`), secrets masked unless asked otherwise.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record oslo.messaging traffic (RPC requests, replies, notifications) from RabbitMQ as JSON lines.",
        discussion: """
            --source firehose (default) reads RabbitMQ's firehose (enable it with `rabbitmqctl trace_on [-p VHOST]`): \
            every message published to the given exchanges and to the default exchange (RPC replies) is copied, \
            exactly as published, without taking anything from the worker's queues. --source queue binds a private \
            queue to the exchanges instead (no broker setting needed, but replies, which go through the default \
            exchange, cannot be seen). Tokens, passwords and other secrets in the message context and arguments \
            are replaced by '***' unless --keep-secrets is given. Ctrl-C (or --count) stops: what was captured is \
            on disk, one line per message. See docs/replay.md.
            """)

    @Option(name: .long, help: "rabbit://user:pass@host:port/vhost (the password is never printed).")
    var transportURL: String

    @Option(name: .long, help: "Exchanges to record (repeatable; default: magnum).")
    var exchange: [String] = []

    @Option(name: .long, help: "Only routing keys starting with this topic (repeatable; replies are always kept).")
    var topic: [String] = []

    @Option(name: .long, help: "Where the messages come from: firehose or queue.")
    var source: String = BusRecorder.Source.firehose.rawValue

    @Option(name: .long, help: "The recording to write (JSON lines).")
    var out: String

    @Flag(name: .long, help: "Write tokens and passwords as they were sent (the file then holds secrets).")
    var keepSecrets = false

    @Option(name: .long, help: "Stop after this many messages.")
    var count: Int?

    @Flag(name: .long, help: "Log connection activity to standard error.")
    var verbose = false

    func run() async throws {
        var logger = Logger(label: "magnum-capi-worker.record")
        logger.logLevel = verbose ? .info : .warning
        let url: TransportURL
        do { url = try TransportURL(parsing: transportURL) } catch {
            throw InputError(description: "--transport-url: \(error)")
        }
        let exchanges = exchange.isEmpty ? ["magnum"] : exchange
        guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
            throw InputError(description: "cannot write \(out)")
        }
        let transport = try await AMQPTransport.connect(configuration: AMQPConfiguration(transportURL: url),
                                                        options: AMQPTransportOptions(connectionName: "magnum-capi-worker-record"),
                                                        logger: logger)
        guard let source = BusRecorder.Source(rawValue: source) else {
            throw InputError(description: "--source must be firehose or queue, not \(self.source)")
        }
        let recorder = BusRecorder(source: source, exchanges: exchanges, topics: topic, keepSecrets: keepSecrets)
        let subscription: Subscription
        do {
            subscription = try await recorder.subscribe(transport)
        } catch {
            await transport.close()
            throw InputError(description: "cannot subscribe (\(source.rawValue)): \(error)"
                             + (source == .firehose ? " — is the firehose on? rabbitmqctl trace_on -p VHOST" : ""))
        }
        FileHandle.standardError.write(Data("recording from \(url) (\(source.rawValue), exchanges \(exchanges.joined(separator: ", "))) to \(out); Ctrl-C stops\n".utf8))

        // Ctrl-C / SIGTERM end the subscription; the loop below then finishes cleanly.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let signals = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        for source in signals {
            source.setEventHandler { Task { await subscription.cancel() } }
            source.resume()
        }
        var written = 0
        do {
            for try await delivery in subscription {
                if let line = recorder.line(for: delivery, seq: written, at: Date()) {
                    handle.write(Data((line + "\n").utf8))
                    written += 1
                }
                try? await delivery.settle(.ack, reason: nil)
                if let count, written >= count { break }
            }
        } catch is CancellationError {
        } catch {
            logger.warning("recording stopped: \(error)")
        }
        for source in signals { source.cancel() }
        await subscription.cancel()
        try? handle.synchronize()
        try? handle.close()
        await transport.close()
        FileHandle.standardError.write(Data("\(written) message\(written == 1 ? "" : "s") written to \(out)\n".utf8))
    }
}
