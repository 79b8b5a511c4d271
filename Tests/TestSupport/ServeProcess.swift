public import Foundation
import Synchronization

/// The built `magnum-capi-worker` binary running as operators run it (`serve --config-file ...`),
/// its output in a log file: for tests that start, kill and restart real worker processes.
public final class ServeProcess: Sendable {
    /// The debug build `tools/test` makes (`swift build --build-tests` builds the executable too).
    public static let binary = TestEnvironment.projectDirectory.appendingPathComponent(".build/debug/magnum-capi-worker").path

    private let process: Mutex<Process>
    public let log: URL
    private let handle: FileHandle
    public let pid: Int32

    /// Starts the binary with `arguments`; its stdout and stderr go to `log` (made anew).
    public init(_ arguments: [String], log: URL) throws {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.pid = process.processIdentifier
        self.process = Mutex(process)
        self.log = log
        self.handle = handle
    }

    public var isRunning: Bool { process.withLock { $0.isRunning } }
    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits until the log says the worker is serving (`" serving "`), at most `seconds`; false
    /// if it did not get there or exited.
    public func waitUntilServing(seconds: Double = 60) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output.contains(" serving ") { return true }
            if !isRunning { return false }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Sends `signal` (SIGKILL: as the OOM killer or a dying host would).
    public func signal(_ signal: Int32) { _ = kill(pid, signal) }

    /// How the process ended.
    public struct Exit: Sendable, Equatable, CustomStringConvertible {
        /// The exit status, or the signal that ended it.
        public let status: Int32
        public let bySignal: Bool
        /// `exit(0)`: a clean stop.
        public var isClean: Bool { !bySignal && status == 0 }
        public var description: String { bySignal ? "killed by signal \(status)" : "exit \(status)" }
    }

    /// Waits for the process to end.
    @discardableResult
    public func waitForExit() async throws -> Exit {
        let process = self.process.withLock { $0 }
        nonisolated(unsafe) let waited = process
        return try await TestEnvironment.offloaded {
            waited.waitUntilExit()
            return Exit(status: waited.terminationStatus, bySignal: waited.terminationReason == .uncaughtSignal)
        }
    }

    deinit {
        process.withLock { if $0.isRunning { kill($0.processIdentifier, SIGKILL) } }
        try? handle.close()
    }
}
