import Foundation
import JSON
import OsloMessaging
import Replay
import Testing

/// The replayed worker answers as the real magnum-conductor did when the recording was made:
/// every recorded reply has a replayed reply with the same `_msg_id`, the same failure class and
/// module, or a result of the same shape (object names, list lengths, value types).
@Suite struct ReplayParityTests {
    /// Recordings whose replies were not made by Magnum 23's handlers with magnum-capi-helm (the
    /// recording peer answered them), and what those answer instead — each checked elsewhere
    /// against the real thing.
    static let divergences: [String: (failureClass: String, why: String)] = [
        // ConductorParityTests "certificates, recorded": Magnum's own sign_certificate /
        // get_ca_certificate fail the same way — the recorded Cluster argument has no ca_cert_ref.
        "certificates": ("X509KeyPairNotFound", "the recorded cluster argument has no certificate references"),
        // The driver conformance cases: magnum-capi-helm refuses a flavor below
        // minimum_flavor_ram with a MagnumException naming it.
        "cluster_create_call_failure": ("MagnumException", "magnum-capi-helm's flavor check raises MagnumException"),
    ]

    static var recordingsWithReplies: [String] {
        ReplayFixtures.recordings.filter { name in
            ((try? ReplayFixtures.recordedMessages(name)) ?? []).contains { $0.exchange.isEmpty }
        }
    }

    /// What is compared of a result: object names, list lengths, scalar types.
    static func shape(_ value: JSONValue?) -> JSONValue {
        switch value {
        case nil, .null?: return .null
        case .object(let o)?:
            if let name = o["object"]?.stringValue { return .string("object \(name)") }
            return .string("dict")
        case .array(let items)?: return .array(items.map { shape($0) })
        case .string?: return "str"
        case .int?: return "int"
        case .double?: return "float"
        case .bool(let b)?: return .bool(b)
        }
    }

    @Test(arguments: recordingsWithReplies)
    func replayedRepliesMatchTheRecordedOnes(_ name: String) async throws {
        let text = String(decoding: try ReplayFixtures.recording(name), as: UTF8.self)
        var recorded: [String: DecodedWireMessage] = [:]
        for line in text.split(separator: "\n") {
            let entry = try WireRecording.parse(line: Array(line.utf8), lineNumber: 1)
            guard entry.exchange.isEmpty else { continue }
            let decoded = WireInspector.decode(body: entry.body, index: 0, exchange: entry.exchange, routingKey: entry.routingKey)
            if let id = decoded.fields["msg_id"]?.stringValue { recorded[id] = decoded }
        }
        #expect(!recorded.isEmpty)
        let result = try await ReplayFixtures.replay(name)
        let replies = result["replies"]?.arrayValue ?? []
        for (id, expected) in recorded {
            let ours = replies.filter { $0["msg_id"]?.stringValue == id && $0["ending"] == .bool(true) }
            #expect(ours.count == 1, "\(name): no single final reply to \(id)")
            guard let reply = ours.first else { continue }
            if let divergence = Self.divergences[name] {
                #expect(reply["failure"]?["class"]?.stringValue == divergence.failureClass, "\(name) \(id): \(divergence.why)")
                #expect(reply["failure"]?["module"] == "magnum.common.exception", "\(name) \(id)")
            } else if let failure = expected.fields["failure"] {
                #expect(reply["failure"]?["class"] == failure["class"], "\(name) \(id): \(reply["failure"]?["class"] ?? .null) != \(failure["class"] ?? .null)")
                #expect(reply["failure"]?["module"] == failure["module"], "\(name) \(id)")
            } else {
                #expect(reply["failure"] == nil || reply["failure"] == .null, "\(name) \(id): unexpected failure \(reply["failure"] ?? .null)")
                #expect(Self.shape(reply["result"]) == Self.shape(expected.fields["result"]), "\(name) \(id)")
            }
        }
    }
}
