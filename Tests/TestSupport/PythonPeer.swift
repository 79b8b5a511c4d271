public import Foundation

extension TestEnvironment {
    /// The venv's python with the real oslo.messaging / magnum / magnum-capi-helm
    /// (`tools/python-env`; `tools/test` exports it as MCW_PYTHON).
    public static let python: String? = {
        guard let path = ProcessInfo.processInfo.environment["MCW_PYTHON"],
              FileManager.default.isExecutableFile(atPath: path) else { return nil }
        return path
    }()

    public static var pythonEnabled: Bool { servicesRequired || python != nil }

    public static func requirePython() throws -> String {
        guard let python else { throw MissingService(name: "the Python peers venv (MCW_PYTHON)") }
        return python
    }

    /// Runs `tools/peers/<script>` with the venv's python, feeding `input` on stdin, and returns
    /// its standard output. Throws with stderr when it fails.
    public static func runPythonPeer(_ script: String, arguments: [String] = [], input: Data = Data()) async throws -> Data {
        let python = try requirePython()
        return try await offloaded { try runPythonPeerBlocking(python: python, script, arguments: arguments, input: input) }
    }

    static func runPythonPeerBlocking(python: String, _ script: String, arguments: [String], input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [projectDirectory.appendingPathComponent("tools/peers/\(script)").path] + arguments
        var env = ProcessInfo.processInfo.environment
        env["PYTHONWARNINGS"] = "ignore"
        process.environment = env
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Write and read concurrently so a large output cannot dead-lock on a full pipe.
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let errBox = DataBox()
        let errReader = Thread { errBox.data = stderr.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errBox.done { usleep(1000) }
        guard process.terminationStatus == 0 else {
            throw ToolFailed(command: [python, script] + arguments, status: process.terminationStatus,
                             output: String(decoding: errBox.data, as: UTF8.self))
        }
        return out
    }
}

private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _data = Data()
    private var _done = false
    var data: Data {
        get { lock.withLock { _data } }
        set { lock.withLock { _data = newValue; _done = true } }
    }
    var done: Bool { lock.withLock { _done } }
}
