import Dispatch
import Foundation
import JSON
import Testing
import TestSupport

/// `tools/peers/magnum_x509.py`: Magnum's real x509 code and the venv's `cryptography`.
///
/// One Python process serves the whole test run (`--serve`, one JSON request and answer per
/// line): importing magnum costs ~1.7 s of CPU, too much to pay per test. Requests go through a
/// serial Dispatch queue, so they never interleave and never block a thread of Swift's
/// cooperative pool. The process ends when the test process closes its stdin by exiting.
enum MagnumX509Peer {
    static func run(_ ops: [JSONValue]) async throws -> [JSONValue] {
        let request: JSONValue = ["ops": .array(ops)]
        let line = try await PeerProcess.shared.exchange(Data(request.serialized()))
        let answers = try #require(try JSONValue(parsing: line).arrayValue)
        try #require(answers.count == ops.count)
        return answers
    }
}

/// The long-running peer process; all state is touched on `queue` only.
private final class PeerProcess: @unchecked Sendable {
    static let shared = PeerProcess()

    private let queue = DispatchQueue(label: "magnum_x509 peer")
    private var process: Process?
    private var stdin: FileHandle?
    private var stdout: FileHandle?
    private var stderrPath = ""
    private var buffer = Data()

    struct PeerDied: Error, CustomStringConvertible {
        let stderr: String
        var description: String { "tools/peers/magnum_x509.py --serve exited; its stderr ends with:\n\(stderr)" }
    }

    func exchange(_ request: Data) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.exchangeOnQueue(request) })
            }
        }
    }

    private func exchangeOnQueue(_ request: Data) throws -> Data {
        if process?.isRunning != true { try start() }
        guard let stdin, let stdout else { throw PeerDied(stderr: "") }
        try stdin.write(contentsOf: request + Data("\n".utf8))
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[buffer.index(after: newline)...])
                return Data(line)
            }
            let chunk = stdout.availableData
            if chunk.isEmpty {
                process = nil
                let tail = (try? String(contentsOfFile: stderrPath, encoding: .utf8)).map { String($0.suffix(4000)) } ?? ""
                throw PeerDied(stderr: tail)
            }
            buffer.append(chunk)
        }
    }

    private func start() throws {
        let python = try TestEnvironment.requirePython()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [TestEnvironment.projectDirectory.appendingPathComponent("tools/peers/magnum_x509.py").path, "--serve"]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONWARNINGS"] = "ignore"
        process.environment = environment
        // tools/test removes its run directory afterwards; a bare `swift test` leaves it in $TMPDIR.
        let directory = ProcessInfo.processInfo.environment["MCW_RUN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        stderrPath = directory.appendingPathComponent("magnum_x509-\(UUID().uuidString).stderr").path
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        self.process = process
        self.stdin = input.fileHandleForWriting
        self.stdout = output.fileHandleForReading
        self.buffer = Data()
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
