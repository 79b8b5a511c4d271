import Foundation
import JSON
import OsloMessaging
import Synchronization
import TestSupport

/// One long-running `tools/peers/oslo_wire.py` shared by the Python cross-checks, so the real
/// oslo.messaging and magnum are imported once per test run, not once per test.
actor PythonOracle {
    static let shared = PythonOracle()

    private var process: Process?
    private var input: FileHandle?
    private var lines: LineReader?

    /// Sends the requests and returns the answers, in order.
    func ask(_ requests: [JSONObject]) async throws -> [JSONObject] {
        let (input, lines) = try start()
        let text = requests.map { JSONValue.object($0).jsonString(.compact) + "\n" }.joined()
        try input.write(contentsOf: Data(text.utf8))
        var answers: [JSONObject] = []
        for _ in requests {
            guard let line = await lines.next() else {
                throw WireFixtures.FixtureError(description: "oslo_wire.py exited: \(lines.errorOutput)")
            }
            guard case .object(let o) = try JSONValue(parsing: line) else {
                throw WireFixtures.FixtureError(description: "oracle answered \(line)")
            }
            if let error = o["oracle_error"] { throw WireFixtures.FixtureError(description: "oracle: \(error)") }
            answers.append(o)
        }
        return answers
    }

    private func start() throws -> (FileHandle, LineReader) {
        if let input, let lines { return (input, lines) }
        let python = try TestEnvironment.requirePythonVenv()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-W", "ignore", TestEnvironment.projectDirectory.appendingPathComponent("tools/peers/oslo_wire.py").path]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let reader = LineReader(stdout.fileHandleForReading, errors: stderr.fileHandleForReading)
        self.process = process
        self.input = stdin.fileHandleForWriting
        self.lines = reader
        return (stdin.fileHandleForWriting, reader)
    }
}

/// Reads lines from a pipe on a thread of its own and hands them out in order.
final class LineReader: Sendable {
    private struct State {
        var lines: [String] = []
        var waiter: CheckedContinuation<String?, Never>?
        var finished = false
        var errors = Data()
    }
    private let state = Mutex(State())

    init(_ handle: FileHandle, errors: FileHandle) {
        Thread { [self] in
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    deliver(line)
                }
            }
            finish()
        }.start()
        Thread { [self] in
            let data = errors.readDataToEndOfFile()
            state.withLock { $0.errors = data }
        }.start()
    }

    var errorOutput: String { String(decoding: state.withLock { $0.errors }.suffix(4000), as: UTF8.self) }

    private func deliver(_ line: String) {
        let waiter = state.withLock { s -> CheckedContinuation<String?, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.lines.append(line)
            return nil
        }
        waiter?.resume(returning: line)
    }

    private func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<String?, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    func next() async -> String? {
        await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
            let now: String?? = state.withLock { s in
                if !s.lines.isEmpty { return .some(s.lines.removeFirst()) }
                if s.finished { return .some(nil) }
                s.waiter = c
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }
}
