import Foundation
import JSON
import OsloMessaging
import Synchronization
import Testing
import TestSupport

/// Bodies the worker cannot read, published raw to the topic queue on the real broker: the
/// server stays up, a call gets a failure reply the real Python caller (oslo's own ReplyWaiter)
/// raises, and every one of them — casts and calls — ends up in the dead-letter queue with the
/// reason in its headers, logged with its id, never silently dropped.
@Suite(.enabled(if: interopEnabled, "needs the broker and the Python venv (tools/test)"), .serialized)
struct MalformedMessageTests {
    static let ids = #""_msg_id": "@MSG_ID@", "_reply_q": "@REPLY_Q@""#
    static func enveloped(_ inner: String, version: String = "2.0") -> String {
        let escaped = inner.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"oslo.version": "\#(version)", "oslo.message": "\#(escaped)"}"#
    }

    @Test func malformedCallsAreAnsweredWithFailuresAndKept() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let deadLetter = DeadLetterOptions(exchange: Interop.unique("dlx"), queue: Interop.unique("dlq"))
        let logs = LogCapture()
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1", deadLetter: deadLetter,
                                             logger: logs.logger(label: "server"))
        defer { Task { await s1.stop() } }

        func rawCall(_ template: String? = nil, b64: String? = nil, pad: Int = 0) async throws -> JSONObject {
            var fields: JSONObject = ["target": Interop.target(topic), "timeout": 60, "pad_bytes": JSONValue(pad)]
            if let template { fields["body_template"] = .string(template) }
            if let b64 { fields["body_b64"] = .string(b64) }
            return try await Interop.python("raw_call", exchange: exchange, fields)
        }
        // Not JSON at all (the ids are found by scanning the bytes).
        let notJSON = try await rawCall(#"this is not JSON {\#(Self.ids), "method": "echo""#)
        // An envelope version oslo itself would refuse.
        let badVersion = try await rawCall(Self.enveloped(#"{"method": "echo", "args": {}, \#(Self.ids)}"#, version: "3.0"))
        // No method.
        let noMethod = try await rawCall(Self.enveloped(#"{"args": {}, \#(Self.ids)}"#))
        // Wrong types.
        let argsNotObject = try await rawCall(Self.enveloped(#"{"method": "echo", "args": "x", \#(Self.ids)}"#))
        let methodNotString = try await rawCall(Self.enveloped(#"{"method": 42, "args": {}, \#(Self.ids)}"#))
        // Larger than the 16 MiB limit: never parsed, still answered.
        let huge = try await rawCall(Self.enveloped(#"{"method": "echo", \#(Self.ids), "args": {"pad": "@PAD@"}}"#),
                                     pad: 17 * 1024 * 1024)
        // Not UTF-8.
        var badUTF8 = Array(Self.enveloped(#"{"method": "echo", "args": {"s": "ZZ"}, \#(Self.ids)}"#).utf8)
        if let z = badUTF8.firstIndex(of: UInt8(ascii: "Z")) { badUTF8[z] = 0xFF }
        let notUTF8 = try await rawCall(b64: Data(badUTF8).base64EncodedString())

        for (name, answer) in [("notJSON", notJSON), ("noMethod", noMethod), ("argsNotObject", argsNotObject),
                               ("methodNotString", methodNotString), ("huge", huge), ("notUTF8", notUTF8)] {
            let e = try #require(answer.exception, "\(name): \(answer)")
            #expect(e["python_class"]?.stringValue?.hasPrefix("ValueError") == true, "\(name): \(e)")
            #expect(e["str"]?.stringValue?.contains("Malformed RPC request") == true, "\(name): \(e)")
        }
        #expect(badVersion.exception?["exc_type"] == "UnsupportedRpcEnvelopeVersion", "\(badVersion)")

        // The server is still up and answers a good call.
        let good = try await Interop.python("call", exchange: exchange, [
            "target": Interop.target(topic), "method": "echo", "args": ["ok": true], "timeout": 30,
        ])
        #expect(good["result"]?["args"] == ["ok": true], "\(good)")
        #expect(s1.server.statistics.malformed == 7)

        // Every malformed call is in the dead-letter queue, with the reason.
        let kept = try await DeadLetterReader.read(deadLetter.queue, count: 7)
        #expect(kept.count == 7)
        for delivery in kept {
            #expect(delivery.properties.headers[DeadLetterOptions.Header.reason]?.stringValue?.hasPrefix("malformed RPC request") == true)
            #expect(delivery.properties.headers[DeadLetterOptions.Header.originalQueue] == .string(topic))
            #expect(delivery.properties.headers[DeadLetterOptions.Header.originalExchange] == .string(exchange))
            #expect(delivery.properties.expiration == nil, "a call's expiration must not expire it in the dead-letter queue")
            #expect(delivery.properties.headers[DeadLetterOptions.Header.originalExpiration] == "60000")
        }
        #expect(kept.contains { $0.body.count > 17 * 1024 * 1024 })
        #expect(kept.contains { $0.body == badUTF8.map { $0 } || $0.body.contains(0xFF) })
        let text = logs.text
        #expect(text.contains("malformed RPC request"))
        #expect(text.contains("msg_id=\(notJSON["msg_id"]?.stringValue ?? "?")"), "the log names the call's id")
    }

    @Test func malformedCastsAreLoggedWithTheirIdAndDeadLettered() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let deadLetter = DeadLetterOptions(exchange: Interop.unique("dlx"), queue: Interop.unique("dlq"))
        let logs = LogCapture()
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1", deadLetter: deadLetter,
                                             logger: logs.logger(label: "server"))
        defer { Task { await s1.stop() } }

        let bodies: [(String, [UInt8])] = [
            ("not-json", Array(#"{"_unique_id": "u-notjson", "method": "echo", "args": {"#.utf8)),
            ("bad-version", Array(Self.enveloped(#"{"method": "echo", "args": {}, "_unique_id": "u-version"}"#, version: "1.0").utf8)),
            ("no-method", Array(Self.enveloped(#"{"args": {}, "_unique_id": "u-nomethod"}"#).utf8)),
            ("wrong-types", Array(Self.enveloped(#"{"method": "echo", "args": [1], "_unique_id": "u-types"}"#).utf8)),
            ("bad-utf8", Array(Self.enveloped(#"{"method": "echo", "args": {}, "_unique_id": "u-utf8"}"#).utf8) + [0xC3, 0x28]),
            ("huge", Array(Self.enveloped(#"{"method": "echo", "_unique_id": "u-huge", "args": {"pad": ""#).utf8)
                + [UInt8](repeating: UInt8(ascii: "y"), count: 17 * 1024 * 1024) + Array(#""}}"}"#.utf8)),
        ]
        let sender = try await Interop.transport()
        defer { Task { await sender.close() } }
        for (_, body) in bodies {
            _ = try await sender.publish(OutgoingMessage(exchange: exchange, routingKey: topic, body: body, properties: .oslo()))
        }
        let kept = try await DeadLetterReader.read(deadLetter.queue, count: bodies.count)
        #expect(kept.count == bodies.count)
        for (name, body) in bodies {
            let match = kept.first { $0.body == body }
            #expect(match != nil, "\(name) is in the dead-letter queue unchanged")
            #expect(match?.properties.headers[DeadLetterOptions.Header.reason]?.stringValue?.hasPrefix("malformed RPC request") == true)
            #expect(match?.routingKey == topic)
        }
        #expect(s1.server.statistics.malformed == bodies.count)
        #expect(s1.server.statistics.deadLettered == bodies.count)
        let lines = logs.all.filter { $0.contains("malformed RPC request") }
        for id in ["u-notjson", "u-version", "u-nomethod", "u-types", "u-utf8", "u-huge"] {
            #expect(lines.contains { $0.contains("unique_id=\(id)") }, "the log line names \(id)")
        }
        // Still consuming: a good cast is handled.
        _ = try await sender.publish(OutgoingMessage(
            exchange: exchange, routingKey: topic,
            body: RPCRequest(method: "echo", args: ["after": true], uniqueID: "u-good").encodedBody(), properties: .oslo()))
        try await eventually("the good cast") { s1.log.all.contains { $0.args["after"] == true } }
    }

    @Test func aCastWhoseHandlerFailsForGoodIsDeadLetteredWithTheFailure() async throws {
        let exchange = Interop.unique("x"), topic = Interop.unique("topic")
        let deadLetter = DeadLetterOptions(exchange: Interop.unique("dlx"), queue: Interop.unique("dlq"))
        let s1 = try await SwiftServer.start(exchange: exchange, topic: topic, name: "s1",
                                             settlement: .ackAfterOutcome(), deadLetter: deadLetter)
        defer { Task { await s1.stop() } }
        _ = try await Interop.python("cast", exchange: exchange, [
            "target": Interop.target(topic), "method": "raise_magnum",
            "args": ["class": "ClusterNotFound", "message": "Cluster gone could not be found.", "kwargs": ["code": 404]],
        ])
        let kept = try await DeadLetterReader.read(deadLetter.queue, count: 1)
        let reason = kept.first?.properties.headers[DeadLetterOptions.Header.reason]?.stringValue
        #expect(reason == "cast raise_magnum failed: magnum.common.exception.ClusterNotFound: Cluster gone could not be found.")
        #expect(try RPCRequest(body: kept.first?.body ?? []).method == "raise_magnum")
    }
}

/// Reads (and acknowledges) what a dead-letter queue holds.
enum DeadLetterReader {
    static func read(_ queue: String, count: Int) async throws -> [Delivery] {
        let transport = try await Interop.transport()
        let box = DeliveryBox()
        // The server declares its dead-letter queue with the first message it dead-letters.
        try await eventually("\(queue) declared") { (try? await transport.queueStatus(queue)) != nil }
        let subscription = try await transport.consume(ConsumeRequest(queue: queue))
        let task = Task {
            for try await delivery in subscription {
                try await delivery.settle(.ack)
                box.append(delivery)
            }
        }
        defer { task.cancel() }
        try await eventually("\(count) dead-lettered messages in \(queue)") { box.count >= count }
        // Nothing more arrives.
        try await Task.sleep(for: .milliseconds(300))
        await subscription.cancel()
        await transport.close()
        return box.all
    }
}

final class DeliveryBox: Sendable {
    private let items = Mutex<[Delivery]>([])
    func append(_ d: Delivery) { items.withLock { $0.append(d) } }
    var all: [Delivery] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}
