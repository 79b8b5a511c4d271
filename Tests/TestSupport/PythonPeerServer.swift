public import Foundation

/// A long-running Python peer (`tools/peers/<script> serve`) answering one JSON request per
/// line with `OK <json>` or `CRASH <traceback>`. Importing magnum takes seconds; the peer does it once and forks a child per request, so
/// tests can ask it many questions cheaply. Requests are answered one at a time, in order, also
/// when tests running in parallel ask at once.
public actor PythonPeerServer {
    private let script: String
    private var process: Process?
    private var input: FileHandle?
    private var output: LineReader?
    private var stderrPath: String?
    /// Requests wait here while another one is on the wire: the actor is re-entrant across the
    /// await for the answer, and answers come back in the order requests were written.
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(script: String) {
        self.script = script
    }

    public struct PeerFailure: Error, CustomStringConvertible {
        public let description: String
    }

    private func start() throws {
        let python = try TestEnvironment.requirePython()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [TestEnvironment.projectDirectory.appendingPathComponent("tools/peers/\(script)").path, "serve"]
        var env = ProcessInfo.processInfo.environment
        env["PYTHONWARNINGS"] = "ignore"
        process.environment = env
        let stdin = Pipe(), stdout = Pipe()
        // Under tools/test the log goes into the run directory, which is removed afterwards.
        let logDirectory = ProcessInfo.processInfo.environment["MCW_RUN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        let errPath = logDirectory.appendingPathComponent("peer-\(script)-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        self.process = process
        self.input = stdin.fileHandleForWriting
        self.output = LineReader(stdout.fileHandleForReading)
        self.stderrPath = errPath
    }

    /// Sends one request (a JSON object, without newlines) and returns the peer's answer (`ok`).
    public func request(_ json: String) async throws -> Data {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        if process == nil || process?.isRunning == false { try start() }
        guard let input, let output else { throw PeerFailure(description: "the \(script) peer did not start") }
        try input.write(contentsOf: Data((json + "\n").utf8))
        guard let line = await output.nextLine() else {
            let log = stderrPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            process = nil
            throw PeerFailure(description: "the \(script) peer exited: \(log.suffix(2000))")
        }
        // `OK <json>` (returned as is: key order matters to callers) or `CRASH <json string>`.
        if line.starts(with: Data("OK ".utf8)) { return Data(line.dropFirst(3)) }
        let text = String(decoding: line, as: UTF8.self)
        if line.starts(with: Data("CRASH ".utf8)),
           let trace = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6)), options: [.fragmentsAllowed]) as? String {
            throw PeerFailure(description: "\(script) failed: \(trace)")
        }
        throw PeerFailure(description: "\(script) answered \(text.prefix(2000))")
    }
}

/// Reads newline-terminated lines from a pipe on a background queue.
final class LineReader: @unchecked Sendable {
    private let handle: FileHandle
    private var buffer = Data()
    private let queue = DispatchQueue(label: "python-peer-reader")

    init(_ handle: FileHandle) { self.handle = handle }

    func nextLine() async -> Data? {
        await withCheckedContinuation { continuation in
            queue.async {
                while true {
                    if let newline = self.buffer.firstIndex(of: 0x0A) {
                        let line = self.buffer[self.buffer.startIndex..<newline]
                        self.buffer = Data(self.buffer[self.buffer.index(after: newline)...])
                        continuation.resume(returning: Data(line))
                        return
                    }
                    let chunk = self.handle.availableData
                    if chunk.isEmpty {
                        continuation.resume(returning: nil)
                        return
                    }
                    self.buffer.append(chunk)
                }
            }
        }
    }
}

extension TestEnvironment {
    /// Magnum's database layer and indirection handler (`tools/peers/magnum_db.py`), shared by
    /// every test of the run.
    public static let magnumDBPeer = PythonPeerServer(script: "magnum_db.py")
}
