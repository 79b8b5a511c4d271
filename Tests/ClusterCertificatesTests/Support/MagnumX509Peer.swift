import Foundation
import JSON
import Testing
import TestSupport

/// `tools/peers/magnum_x509.py`: Magnum's real x509 code and the venv's `cryptography`.
/// Every call is one Python process (importing magnum costs ~1.5 s), so tests batch their ops.
enum MagnumX509Peer {
    static func run(_ ops: [JSONValue]) throws -> [JSONValue] {
        let request: JSONValue = ["ops": .array(ops)]
        let reply = try JSONValue(parsing: TestEnvironment.runPythonPeer("magnum_x509.py", input: Data(request.serialized())))
        let answers = try #require(reply.arrayValue)
        try #require(answers.count == ops.count)
        return answers
    }
}

extension JSONValue {
    /// `{"error": {"class", "message"}}` answers.
    var peerError: (className: String, message: String)? {
        guard let error = self["error"], let cls = error["class"]?.stringValue, let message = error["message"]?.stringValue else { return nil }
        return (cls, message)
    }

    /// The answer's field, failing the test (with the peer's error) when the op failed.
    func field(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        if let error = peerError {
            Issue.record("peer op failed: \(error.className): \(error.message)", sourceLocation: sourceLocation)
        }
        return try #require(self[name], sourceLocation: sourceLocation)
    }

    func string(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(try field(name, sourceLocation: sourceLocation).stringValue, sourceLocation: sourceLocation)
    }
}
