public import Foundation

/// What the project's scripts started for the tests (`tools/test` exports it), read once.
///
/// Interop tests are gated only on these: under `tools/test` (`MCW_REQUIRE_SERVICES=1`) a missing
/// service is a failure, never a silent skip; a bare `swift test` skips those tests instead.
public enum TestEnvironment {
    /// True when the tests run under `tools/test`, which promises every service below.
    public static let servicesRequired = ProcessInfo.processInfo.environment["MCW_REQUIRE_SERVICES"] == "1"

    /// Directory of the repository (for fixtures and tools).
    public static let projectDirectory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    public static let fixturesDirectory = projectDirectory.appendingPathComponent("Tests/Fixtures")

    /// A RabbitMQ node started by `tools/broker`.
    public struct Broker: Sendable {
        public let directory: String
        public let node: String
        public let port: Int
        public let tlsPort: Int?
        public let tlsDirectory: String?
        public let url: String

        /// Runs `tools/broker <command> <dir>` (stop, restart, kill) and waits for it.
        public func control(_ command: String) async throws {
            try await TestEnvironment.runTool("broker", [command, directory])
        }

        /// `rabbitmqctl` against this node; returns its standard output.
        @discardableResult
        public func rabbitmqctl(_ arguments: String...) async throws -> String {
            try await TestEnvironment.runTool("broker", ["ctl", directory] + arguments)
        }
    }

    public static let broker: Broker? = {
        guard let path = ProcessInfo.processInfo.environment["MCW_BROKER_ENV"],
              let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let env = parseShellAssignments(text)
        guard let dir = env["BROKER_DIR"], let node = env["BROKER_NODE"],
              let port = env["BROKER_PORT"].flatMap(Int.init), let url = env["BROKER_URL"] else { return nil }
        return Broker(
            directory: dir, node: node, port: port,
            tlsPort: env["BROKER_TLS_PORT"].flatMap(Int.init),
            tlsDirectory: env["BROKER_TLS_DIR"].flatMap { $0.isEmpty ? nil : $0 },
            url: url)
    }()

    /// For `.enabled(if:)`: run when a broker is there, or when `tools/test` promised one (the
    /// test then fails loudly through `requireBroker()` if it is missing).
    public static var brokerEnabled: Bool { servicesRequired || broker != nil }

    /// The real `helm` binary installed by `tools/helm` (`MCW_HELM`).
    public static let helmExecutable: String? = {
        guard let path = ProcessInfo.processInfo.environment["MCW_HELM"], !path.isEmpty,
              FileManager.default.isExecutableFile(atPath: path) else { return nil }
        return path
    }()

    /// For `.enabled(if:)`: run when helm is there, or when `tools/test` promised it.
    public static var helmEnabled: Bool { servicesRequired || helmExecutable != nil }

    public static func requireHelm() throws -> String {
        guard let helmExecutable else { throw MissingService(name: "helm (MCW_HELM, from tools/helm)") }
        return helmExecutable
    }

    public struct MissingService: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "\(name) is not available: run the suite with tools/test, which starts it" }
    }

    public static func requireBroker() throws -> Broker {
        guard let broker else { throw MissingService(name: "RabbitMQ (MCW_BROKER_ENV)") }
        return broker
    }

    static func parseShellAssignments(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            result[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return result
    }

    public struct ToolFailed: Error, CustomStringConvertible {
        public let command: [String]
        public let status: Int32
        public let output: String
        public var description: String { "\(command.joined(separator: " ")) exited \(status): \(output)" }
    }

    /// Runs `body` on a thread of its own and waits for it without holding a thread of Swift's
    /// cooperative pool (it has as many threads as cores: two blocked tests would stall every
    /// other test of the run).
    public static func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Runs `tools/<name> args...`, returning its standard output; throws when it fails.
    @discardableResult
    public static func runTool(_ name: String, _ arguments: [String]) async throws -> String {
        try await offloaded { try runToolBlocking(name, arguments) }
    }

    /// `runTool` for cleanup code that cannot wait (a `defer`): started on a thread of its own,
    /// not waited for.
    public static func runToolDetached(_ name: String, _ arguments: [String]) {
        Thread.detachNewThread { _ = try? runToolBlocking(name, arguments) }
    }

    public static func runToolBlocking(_ name: String, _ arguments: [String]) throws -> String {
        let process = Process()
        // Through bash, which closes every inherited descriptor above stderr first: a tool that
        // starts a daemon (tools/broker start, restart) must not hand it this process's sockets
        // and pipes (Foundation's Process waits until its own descriptor is closed by everyone,
        // and a broker keeping a test's AMQP socket open would never see it close).
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let closeInherited = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$0" "$@""#
        process.arguments = ["-c", closeInherited, projectDirectory.appendingPathComponent("tools/\(name)").path] + arguments
        // Output goes to a file, not a pipe, for the same reason.
        let outputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("mcw-tool-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: outputURL.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let out = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = out
        process.standardError = out
        try process.run()
        process.waitUntilExit()
        try? out.close()
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw ToolFailed(command: [name] + arguments, status: process.terminationStatus, output: text)
        }
        return text
    }

    // MARK: Python peers (tools/python-env)

    /// The venv's Python with the real oslo.messaging and magnum (`tools/python-env` prints it;
    /// `tools/test` exports it as `MCW_PYTHON`).
    public static let pythonVenv: String? = {
        guard let path = ProcessInfo.processInfo.environment["MCW_PYTHON"], !path.isEmpty,
              FileManager.default.isExecutableFile(atPath: path) else { return nil }
        return path
    }()

    /// For `.enabled(if:)`: run when the venv is there, or when `tools/test` promised it.
    public static var pythonVenvEnabled: Bool { servicesRequired || pythonVenv != nil }

    public static func requirePythonVenv() throws -> String {
        guard let pythonVenv else { throw MissingService(name: "Python venv with oslo.messaging (MCW_PYTHON)") }
        return pythonVenv
    }
}
