import Foundation
import JSON
import OsloMessaging
import TestSupport

/// The recorded traffic copied into `Tests/Fixtures/wire/` and its `expected.json`.
enum WireFixtures {
    static let directory = TestEnvironment.fixturesDirectory.appendingPathComponent("wire")

    static var recordingNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".jsonl") }.sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func entries(_ name: String) throws -> [WireRecording.Entry] {
        let data = try bytes(name)
        return try WireRecording.lines(of: data).filter { !$0.bytes.isEmpty }.map {
            try WireRecording.parse(line: $0.bytes, lineNumber: $0.number)
        }
    }

    static func entry(_ name: String, _ index: Int) throws -> WireRecording.Entry {
        try entries(name)[index]
    }

    /// The application message inside a recorded body.
    static func message(_ name: String, _ index: Int) throws -> JSONObject {
        try RPCEnvelope.decode(entry(name, index).body).message
    }

    static func expected() throws -> JSONObject {
        let value = try JSONValue(parsing: try bytes("expected.json"))
        guard case .object(let o) = value else { throw FixtureError(description: "expected.json is not an object") }
        return o
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    struct FixtureError: Error, CustomStringConvertible { let description: String }
}
