import Foundation
import JSON
import Logging
import Replay
import TestSupport

/// The recordings under `Tests/Fixtures/wire/` and their golden replays under
/// `Tests/Fixtures/replay/`. `MCW_UPDATE_REPLAY_GOLDEN=1 swift test --filter ReplayGoldenTests`
/// rewrites the goldens (review the diff before committing).
enum ReplayFixtures {
    static let wire = TestEnvironment.fixturesDirectory.appendingPathComponent("wire")
    static let golden = TestEnvironment.fixturesDirectory.appendingPathComponent("replay")
    static let quiet: Logger = {
        var logger = Logger(label: "test.replay")
        logger.logLevel = .critical
        return logger
    }()

    static var recordings: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: wire.path)) ?? [])
            .filter { $0.hasSuffix(".jsonl") }.map { String($0.dropLast(".jsonl".count)) }.sorted()
    }

    static func recording(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: wire.appendingPathComponent("\(name).jsonl")))
    }

    static func goldenURL(_ name: String) -> URL { golden.appendingPathComponent("\(name).json") }

    static var updating: Bool { ProcessInfo.processInfo.environment["MCW_UPDATE_REPLAY_GOLDEN"] == "1" }

    /// The result as `replay` writes it.
    static func text(_ result: JSONValue) -> [UInt8] { result.serialized(.pretty) + Array("\n".utf8) }

    static func replay(_ name: String, options: ReplayOptions = ReplayOptions(), bus: ReplayBus? = nil) async throws -> JSONValue {
        try await ReplaySession.run(recording: try recording(name), options: options, bus: bus, logger: quiet)
    }

    /// The recorded messages' decoded oslo messages, in order.
    static func recordedMessages(_ name: String) throws -> [(exchange: String, routingKey: String, message: JSONObject)] {
        let text = String(decoding: try recording(name), as: UTF8.self)
        return try text.split(separator: "\n").map { line in
            let entry = try JSONValue(parsing: String(line))
            let envelope = try JSONValue(parsing: entry["body"]?.stringValue ?? "")
            let message = try JSONValue(parsing: envelope["oslo.message"]?.stringValue ?? "")
            return (entry["exchange"]?.stringValue ?? "", entry["routing_key"]?.stringValue ?? "", message.objectValue ?? [:])
        }
    }
}
