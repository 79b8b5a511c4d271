// The Swift side of `tools/bench oslo`: the worker's RPCServer over AMQPTransport.
//
//   oslo-bench fill  URL EXCHANGE TOPIC COUNT BODY_FILE
//       declares the control exchange and the topic queue as oslo does and publishes COUNT copies
//       of BODY_FILE (a recorded cast), each with a fresh `_unique_id` (confirmed).
//   oslo-bench serve URL EXCHANGE TOPIC SERVER COUNT PREFETCH
//       an RPCServer with no-op `cluster_create` and `noop` endpoints. With COUNT > 0 it prints,
//       once COUNT cluster_create casts were handled, one JSON line: rate (casts/s from the first
//       to the last), seconds, cpu_seconds, max_rss_kb; then exits. With COUNT = 0 it serves
//       until standard input closes. Prints "ready" on standard error once consuming.
//   oslo-bench decode BODY_FILE COUNT
//       decodes BODY_FILE COUNT times as the server does (envelope, request, context), no broker;
//       prints one JSON line: microseconds per decode (wall and CPU).
//   oslo-bench callers URL EXCHANGE TOPIC CONCURRENCY TOTAL
//       the Swift RPCClient as the caller: CONCURRENCY tasks share one client (one reply queue, as
//       an oslo RPCClient does) and make TOTAL `noop` calls in all, after one warm-up call; prints
//       one JSON line: p50, p99, max, mean (milliseconds), calls, errors, seconds.
import Foundation
import JSON
import Logging
import MagnumObjects
import Operations
import OsloMessaging
import Synchronization

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("oslo-bench: \(message)\n".utf8))
    exit(1)
}

func usage() -> (cpuSeconds: Double, maxRSSKB: Int) {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    let cpu = Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    return (cpu, u.ru_maxrss)
}

/// `RssAnon` of /proc/self/status: the private (anonymous) part of the resident set, without the
/// shared libraries' file pages (KiB; 0 where unavailable).
func anonymousRSSKB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("RssAnon:") {
        return Int(line.dropFirst("RssAnon:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
    }
    return 0
}

/// The decoder's shared keys as the worker sets them (`ConductorService`): oslo's and Magnum's objects'.
let limits = DecodingLimits(sharedKeys: DecodingLimits.osloKeys.adding(ObjectRegistry.magnum.wireKeys))

let arguments = CommandLine.arguments
if arguments.count == 4, arguments[1] == "decode" {
    guard let count = Int(arguments[3]), count > 0,
          let body = FileManager.default.contents(atPath: arguments[2]).map({ [UInt8]($0) }) else {
        fail("usage: oslo-bench decode BODY_FILE COUNT")
    }
    var methods = 0
    let cpuBefore = usage().cpuSeconds
    let started = ContinuousClock.now
    for _ in 0..<count {
        let request = try RPCRequest(message: RPCEnvelope.decode(body, limits: limits).message)
        methods &+= request.method.utf8.count &+ request.args.count &+ request.context.fields.count
    }
    let elapsed = ContinuousClock.now - started
    let cpu = usage().cpuSeconds - cpuBefore
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    // The stages alone, CPU µs each: the outer document, the inner message, the request fields.
    func stage(_ body: () throws -> Int) rethrows -> Double {
        let before = usage().cpuSeconds
        for _ in 0..<count { methods &+= try body() }
        return (usage().cpuSeconds - before) * 1e6 / Double(count)
    }
    let outerCPU = try stage { try JSONValue(parsing: body, keys: limits.sharedKeys).objectValue?.count ?? 0 }
    let message = try RPCEnvelope.decode(body, limits: limits).message
    let innerText = message.isEmpty ? "" : (try JSONValue(parsing: body))["oslo.message"]?.stringValue ?? ""
    let innerCPU = try stage { try JSONValue(parsing: innerText, keys: limits.sharedKeys).objectValue?.count ?? 0 }
    let requestCPU = try stage { try RPCRequest(message: message).args.count }
    print(JSONValue.object([
        "us_per_decode": .double(seconds * 1e6 / Double(count)), "cpu_us_per_decode": .double(cpu * 1e6 / Double(count)),
        "cpu_us_outer": .double(outerCPU), "cpu_us_inner": .double(innerCPU), "cpu_us_request": .double(requestCPU),
        "checksum": JSONValue(methods),
    ]).jsonString())
    exit(0)
}
guard arguments.count >= 6 else {
    fail("usage: oslo-bench fill URL EXCHANGE TOPIC COUNT BODY_FILE | serve URL EXCHANGE TOPIC SERVER COUNT PREFETCH")
}
// Logging as the worker sets it up (`serve`): its own handler, oslo format on standard error.
OperationsLogging.bootstrap()
var logger = Logger(label: "oslo-bench")
logger.logLevel = .warning
let url = arguments[2], exchange = arguments[3], topic = arguments[4]
let settings = MessagingSettings(transportURL: url)

switch arguments[1] {
case "fill":
    guard arguments.count == 7, let count = Int(arguments[5]),
          let template = FileManager.default.contents(atPath: arguments[6]).map({ [UInt8]($0) }) else {
        fail("usage: oslo-bench fill URL EXCHANGE TOPIC COUNT BODY_FILE")
    }
    // The recorded `_unique_id` (32 hex digits) is replaced in place by a fresh one per message.
    let request = try RPCRequest(body: template)
    guard let oldID = request.uniqueID.map({ Array($0.utf8) }), oldID.count == 32,
          let at = (0...(template.count - 32)).first(where: { template[$0..<($0 + 32)].elementsEqual(oldID) }) else {
        fail("the body has no 32-digit _unique_id")
    }
    let transport = try await settings.connectTransport(connectionName: "oslo-bench-fill", logger: logger)
    try await OsloTopology().topicConsumer(exchange: exchange, routingKey: topic).apply(to: transport)
    var sent = 0
    while sent < count {
        let batch = min(500, count - sent)
        try await withThrowingTaskGroup(of: PublishOutcome.self) { group in
            for _ in 0..<batch {
                var body = template
                let fresh = Array(Identifiers.uuidHex().utf8)
                body.replaceSubrange(at..<(at + 32), with: fresh)
                group.addTask {
                    try await transport.publish(OutgoingMessage(exchange: exchange, routingKey: topic, body: body, properties: .oslo()))
                }
            }
            for try await outcome in group where outcome != .accepted { fail("publish: \(outcome)") }
        }
        sent += batch
    }
    let status = try await transport.queueStatus(topic)
    FileHandle.standardError.write(Data("swift: \(topic) holds \(status.messages) casts of \(template.count) bytes\n".utf8))
    await transport.close()

case "serve":
    guard arguments.count == 8, let count = Int(arguments[6]), let prefetch = Int(arguments[7]) else {
        fail("usage: oslo-bench serve URL EXCHANGE TOPIC SERVER COUNT PREFETCH")
    }
    var rabbit = RabbitOptions()
    rabbit.rabbitQosPrefetchCount = prefetch
    var s = settings
    s.rabbit = rabbit
    let transport = try await s.connectTransport(connectionName: "oslo-bench-serve", logger: logger)
    struct Progress {
        var handled = 0
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
        var cpuAtFirst = 0.0
    }
    let progress = Mutex(Progress())
    let (done, doneContinuation) = AsyncStream<Void>.makeStream()
    var table = RPCMethodTable(version: "1.0")
    table.register("cluster_create") { _ in
        let now = ContinuousClock.now
        let finished = progress.withLock { p -> Bool in
            if p.first == nil {
                p.first = now
                p.cpuAtFirst = usage().cpuSeconds
            }
            p.handled += 1
            p.last = now
            return count > 0 && p.handled == count
        }
        if finished { doneContinuation.yield() }
        return .null
    }
    table.register("noop") { _ in .null }
    let server = RPCServer(
        transport: transport, target: RPCTarget(exchange: exchange, topic: topic, server: arguments[5]),
        dispatcher: RPCDispatcher(endpoints: [table]), options: RPCServerOptions(rabbit: rabbit, limits: limits), logger: logger)
    try await server.start()
    FileHandle.standardError.write(Data("ready\n".utf8))
    if count > 0 {
        for await _ in done { break }
        let (cpu, rss) = usage()
        let p = progress.withLock { $0 }
        let elapsed = (p.last ?? .now) - (p.first ?? .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let result: JSONValue = [
            "rate": .double(seconds > 0 ? Double(count - 1) / seconds : 0), "seconds": .double(seconds),
            "cpu_seconds": .double(cpu - p.cpuAtFirst), "cpu_seconds_total": .double(cpu), "max_rss_kb": JSONValue(rss),
            "anon_rss_kb": JSONValue(anonymousRSSKB()),
        ]
        print(result.jsonString())
    } else {
        // Serve until standard input closes (read on a thread of its own).
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                _ = FileHandle.standardInput.readDataToEndOfFile()
                c.resume()
            }
        }
        let (cpu, rss) = usage()
        print(JSONValue.object(["cpu_seconds_total": .double(cpu), "max_rss_kb": JSONValue(rss)]).jsonString())
    }
    FileHandle.standardOutput.synchronizeFile()
    await server.stop()
    await transport.close()

case "callers":
    guard arguments.count == 7, let concurrency = Int(arguments[5]), let total = Int(arguments[6]), concurrency > 0 else {
        fail("usage: oslo-bench callers URL EXCHANGE TOPIC CONCURRENCY TOTAL")
    }
    let transport = try await settings.connectTransport(connectionName: "oslo-bench-callers", logger: logger)
    let client = RPCClient(transport: transport, target: RPCTarget(exchange: exchange, topic: topic), logger: logger)
    _ = try await client.call("noop")
    final class Shared: Sendable {
        let remaining: Atomic<Int>
        let errors = Atomic<Int>(0)
        let latencies = Mutex<[Double]>([])
        init(_ n: Int) { remaining = Atomic(n) }
    }
    let shared = Shared(total)
    let clock = ContinuousClock()
    let begin = clock.now
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var mine: [Double] = []
                while shared.remaining.subtract(1, ordering: .relaxed).newValue >= 0 {
                    let start = clock.now
                    do {
                        _ = try await client.call("noop")
                        let d = clock.now - start
                        mine.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
                    } catch {
                        _ = shared.errors.add(1, ordering: .relaxed)
                    }
                }
                let collected = mine
                shared.latencies.withLock { $0 += collected }
            }
        }
    }
    let elapsed = clock.now - begin
    let sorted = shared.latencies.withLock { $0 }.sorted()
    func percentile(_ p: Double) -> JSONValue {
        sorted.isEmpty ? .null : .double(sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))])
    }
    let result: JSONValue = [
        "p50": percentile(50), "p99": percentile(99), "max": sorted.last.map { .double($0) } ?? .null,
        "mean": sorted.isEmpty ? .null : .double(sorted.reduce(0, +) / Double(sorted.count)),
        "calls": JSONValue(sorted.count), "errors": JSONValue(shared.errors.load(ordering: .relaxed)),
        "seconds": .double(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18),
    ]
    print(result.jsonString())
    FileHandle.standardOutput.synchronizeFile()
    await transport.close()

default:
    fail("unknown mode \(arguments[1])")
}
