import Foundation
import JSON
import Synchronization
import TestSupport

/// The real oslo.messaging 18.3.1 on the test broker (`tools/peers/oslo_bus.py`): one Python
/// process for the whole run (oslo and magnum import once), answering JSON-line requests that
/// each run on a Python thread of their own, so concurrent tests and slow calls do not wait
/// for each other. Its output is read on a thread of its own, never on Swift's cooperative pool.
final class OsloBusPeer: Sendable {
    static let shared = OsloBusPeer()

    struct PeerError: Error, CustomStringConvertible {
        let description: String
    }

    private struct State {
        var process: Process?
        var input: FileHandle?
        var nextID = 1
        var pending: [Int: CheckedContinuation<JSONObject, any Error>] = [:]
        var failure: String?
        var logPath: String?
        var ready = false
        var readyWaiters: [CheckedContinuation<Void, any Error>] = []
    }

    private let state = Mutex(State())

    private func startIfNeeded() throws {
        try state.withLock { s in
            guard s.process == nil else { return }
            let python = try TestEnvironment.requirePython()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [TestEnvironment.projectDirectory.appendingPathComponent("tools/peers/oslo_bus.py").path]
            var env = ProcessInfo.processInfo.environment
            env["PYTHONWARNINGS"] = "ignore"
            env["PYTHONUNBUFFERED"] = "1"
            process.environment = env
            let stdin = Pipe(), stdout = Pipe()
            let directory = ProcessInfo.processInfo.environment["MCW_RUN_DIR"] ?? NSTemporaryDirectory()
            let logPath = (directory as NSString).appendingPathComponent("peer-oslo_bus-\(UUID().uuidString.prefix(8)).log")
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = FileHandle(forWritingAtPath: logPath)
            try process.run()
            s.process = process
            s.input = stdin.fileHandleForWriting
            s.logPath = logPath
            let reader = Thread { [self] in self.readLoop(stdout.fileHandleForReading) }
            reader.name = "oslo-bus-peer-reader"
            reader.start()
        }
    }

    private func readLoop(_ handle: FileHandle) {
        var buffer = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[buffer.index(after: newline)...])
                handleLine(Data(line))
            }
        }
        let log = state.withLock { $0.logPath }.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        fail("the oslo_bus.py peer exited: \(log.suffix(3000))")
    }

    private func handleLine(_ line: Data) {
        guard let value = try? JSONValue(parsing: line), let object = value.objectValue else {
            return
        }
        guard let id = object["id"]?.intValue else {
            // The ready line.
            let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
                s.ready = true
                defer { s.readyWaiters = [] }
                return s.readyWaiters
            }
            for waiter in waiters { waiter.resume() }
            return
        }
        let continuation = state.withLock { $0.pending.removeValue(forKey: id) }
        if let ok = object["ok"]?.objectValue {
            continuation?.resume(returning: ok)
        } else {
            continuation?.resume(throwing: PeerError(description: "oslo_bus.py: \(object["error"]?.stringValue ?? "\(object)")"))
        }
    }

    private func fail(_ message: String) {
        let (pending, waiters) = state.withLock { s in
            s.failure = message
            s.process = nil
            defer {
                s.pending = [:]
                s.readyWaiters = []
            }
            return (Array(s.pending.values), s.readyWaiters)
        }
        for c in pending { c.resume(throwing: PeerError(description: message)) }
        for w in waiters { w.resume(throwing: PeerError(description: message)) }
    }

    private func waitUntilReady() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let now = state.withLock { s -> Bool in
                if s.ready { return true }
                s.readyWaiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Sends `request` (an `op` and its fields) and returns the peer's answer.
    func request(_ request: JSONObject) async throws -> JSONObject {
        try startIfNeeded()
        try await waitUntilReady()
        return try await withCheckedThrowingContinuation { continuation in
            let result = state.withLock { s -> (FileHandle, Data)? in
                guard let input = s.input, s.failure == nil else { return nil }
                let id = s.nextID
                s.nextID += 1
                s.pending[id] = continuation
                var r = request
                r["id"] = .int(Int64(id))
                return (input, Data(JSONValue.object(r).serialized(.python) + [0x0A]))
            }
            guard let (input, data) = result else {
                continuation.resume(throwing: PeerError(description: state.withLock { $0.failure } ?? "the peer is not running"))
                return
            }
            // A pipe write of a request line does not block for long (the peer reads all the time).
            input.write(data)
        }
    }
}
