import Foundation
import JSON
import Logging
import OsloMessaging
import Synchronization
import Testing
import TestSupport

/// Enabled when `tools/test` promised a broker and the Python venv, or both are there.
let interopEnabled = TestEnvironment.servicesRequired || (TestEnvironment.broker != nil && TestEnvironment.python != nil)

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds; the timeouts are generous (the machine is shared and
/// loaded): a test meant to pass never waits that long, a broken one fails eventually.
func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TimedOut(what: what)
}

/// Names, transports and peers for tests that share the run's broker (each test uses its own
/// control exchange and topics, so tests in parallel never see each other's messages).
enum Interop {
    static func brokerURL() throws -> String { try TestEnvironment.requireBroker().url }

    static func unique(_ prefix: String) -> String {
        "it-\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func quietLogger(_ label: String = "interop") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }

    /// An `AMQPTransport` on the test broker with these declaration options.
    static func transport(rabbit: RabbitOptions = RabbitOptions(), deadLetter: DeadLetterOptions? = nil,
                          url: String? = nil, logger: Logger? = nil) async throws -> AMQPTransport {
        var settings = MessagingSettings(transportURL: try url ?? brokerURL(), rabbit: rabbit)
        settings.connection.heartbeatTimeoutThreshold = 10
        settings.connection.rabbitRetryBackoff = 0  // retry every second: restarts are quick here
        if let deadLetter { settings.deadLetter = deadLetter }
        var configuration = try settings.amqpConfiguration()
        configuration.connectTimeout = .seconds(10)
        configuration.rpcTimeout = .seconds(30)
        var options = settings.transportOptions
        options.connectionName = "oslo-interop-tests"
        return try await AMQPTransport.connect(configuration: configuration, options: options,
                                               logger: logger ?? quietLogger("transport"))
    }

    /// The `[oslo_messaging_rabbit]` overrides a Python peer needs to declare what `rabbit` declares.
    static func pythonRabbit(_ rabbit: RabbitOptions) -> JSONObject {
        var o = JSONObject()
        if rabbit.rabbitQuorumQueue { o["rabbit_quorum_queue"] = true }
        if rabbit.rabbitTransientQuorumQueue { o["rabbit_transient_quorum_queue"] = true }
        if rabbit.amqpDurableQueues { o["amqp_durable_queues"] = true }
        if rabbit.rabbitQuorumDeliveryLimit != 0 { o["rabbit_quorum_delivery_limit"] = JSONValue(rabbit.rabbitQuorumDeliveryLimit) }
        return o
    }

    static func target(_ topic: String, server: String? = nil, fanout: Bool = false, namespace: String? = nil,
                       version: String? = nil) -> JSONValue {
        var t: JSONObject = ["topic": .string(topic)]
        if let server { t["server"] = .string(server) }
        if fanout { t["fanout"] = true }
        if let namespace { t["namespace"] = .string(namespace) }
        if let version { t["version"] = .string(version) }
        return .object(t)
    }

    /// A request to the Python peer on `exchange` (and the run's broker).
    static func python(_ op: String, exchange: String, rabbit: RabbitOptions = RabbitOptions(), url: String? = nil,
                       _ fields: JSONObject) async throws -> JSONObject {
        var request: JSONObject = ["op": .string(op), "url": .string(try url ?? brokerURL()), "exchange": .string(exchange)]
        let overrides = pythonRabbit(rabbit)
        if !overrides.isEmpty { request["rabbit"] = .object(overrides) }
        for (key, value) in fields { request[key] = value }
        return try await OsloBusPeer.shared.request(request)
    }

    /// Starts a Python RPC server and returns its handle.
    static func startPythonServer(exchange: String, topic: String, server: String, rabbit: RabbitOptions = RabbitOptions(),
                                  endpoints: [JSONValue] = [["methods": ["echo", "noop", "sleep", "raise_magnum", "raise_value"]]],
                                  ping: Bool = false) async throws -> String {
        let answer = try await python("start_server", exchange: exchange, rabbit: rabbit, [
            "target": target(topic, server: server), "endpoints": .array(endpoints), "ping": .bool(ping),
        ])
        return try #require(answer["handle"]?.stringValue)
    }

    static func pythonReceived(_ handle: String, exchange: String) async throws -> [JSONObject] {
        let answer = try await python("server_received", exchange: exchange, ["handle": .string(handle)])
        return (answer["received"]?.arrayValue ?? []).compactMap(\.objectValue)
    }

    static func stopPython(_ handle: String, exchange: String) async throws {
        _ = try await python("stop_server", exchange: exchange, ["handle": .string(handle)])
    }
}

/// What a Swift test endpoint was asked, in order.
final class CallLog: Sendable {
    private let entries = Mutex<[RPCInvocation]>([])
    func append(_ invocation: RPCInvocation) { entries.withLock { $0.append(invocation) } }
    var all: [RPCInvocation] { entries.withLock { $0 } }
    var count: Int { entries.withLock { $0.count } }
    func methods(_ name: String) -> [RPCInvocation] { all.filter { $0.method == name } }
}

/// A Magnum-style exception: Python callers re-raise `magnum.common.exception.<Class>_Remote`.
struct MagnumLikeError: Error, RemoteExceptionConvertible {
    var remoteClassName: String
    var remoteMessage: String
    var remoteKwargs: JSONObject
    var remoteModuleName: String { "magnum.common.exception" }
}

struct PlainFailure: Error, CustomStringConvertible {
    var description: String { "the plain failure" }
}

/// The Swift side: an `RPCServer` over its own `AMQPTransport` with a recording endpoint.
struct SwiftServer {
    let server: RPCServer
    let transport: AMQPTransport
    let log: CallLog
    let name: String

    /// Methods: `echo` → `{"server", "method", "args"}`, `noop`, `sleep` (`args.seconds`),
    /// `raise_magnum` (`args.class`, `args.kwargs`), `raise_plain`.
    static func endpoint(name: String, log: CallLog, namespace: String? = nil, version: String? = nil) -> RPCMethodTable {
        var table = RPCMethodTable(namespace: namespace, version: version)
        table.register("echo") { inv in
            log.append(inv)
            return ["server": .string(name), "method": "echo", "args": .object(inv.args),
                    "namespace": JSONValue(namespace), "version": JSONValue(version)]
        }
        table.register("noop") { inv in
            log.append(inv)
            return .null
        }
        table.register("sleep") { inv in
            log.append(inv)
            try await Task.sleep(for: .milliseconds(Int((inv.args["seconds"]?.doubleValue ?? 1) * 1000)))
            return "slept"
        }
        table.register("raise_magnum") { inv in
            log.append(inv)
            throw MagnumLikeError(remoteClassName: inv.args["class"]?.stringValue ?? "MagnumException",
                                  remoteMessage: inv.args["message"]?.stringValue ?? "failed",
                                  remoteKwargs: inv.args["kwargs"]?.objectValue ?? [:])
        }
        table.register("raise_plain") { inv in
            log.append(inv)
            throw PlainFailure()
        }
        return table
    }

    static func start(exchange: String, topic: String, name: String, rabbit: RabbitOptions = RabbitOptions(),
                      endpoints: [any RPCEndpoint]? = nil, pingEnabled: Bool = false,
                      settlement: SettlementPolicy = .ackBeforeDispatch, deadLetter: DeadLetterOptions? = nil,
                      logger: Logger? = nil, url: String? = nil, log: CallLog = CallLog()) async throws -> SwiftServer {
        let logger = logger ?? Interop.quietLogger("server-\(name)")
        let transport = try await Interop.transport(rabbit: rabbit, deadLetter: deadLetter, url: url, logger: logger)
        let server = RPCServer(
            transport: transport, target: RPCTarget(exchange: exchange, topic: topic, server: name),
            dispatcher: RPCDispatcher(endpoints: endpoints ?? [endpoint(name: name, log: log)], pingEnabled: pingEnabled),
            options: RPCServerOptions(rabbit: rabbit, settlement: settlement), logger: logger)
        do {
            try await server.start()
        } catch {
            await transport.close()
            throw error
        }
        return SwiftServer(server: server, transport: transport, log: log, name: name)
    }

    func stop() async {
        await server.stop()
        await transport.close()
    }
}

extension JSONObject {
    /// The `exception` a Python call reported, if any.
    var exception: JSONObject? { self["exception"]?.objectValue }
}
