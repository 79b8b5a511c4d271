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

extension ServeProcess {
    /// Writes `name` in `directory`: a magnum.conf for the embedded defaults (record-mode helm,
    /// a simulated management cluster Ready after `simulationDelay` seconds, the offline cloud
    /// of `cloud.json`, written next to it), x509keypair certificates with small keys, a status
    /// sync every second. `defaults` are more `[DEFAULT]` lines; `extra` follows the
    /// `[capi_worker]` lines (more of them, or further sections). Its path.
    public static func writeConfiguration(in directory: URL, name: String = "magnum.conf", brokerURL: String, host: String,
                                          databaseURL: String? = nil, simulationDelay: Double = 2, defaults: String = "",
                                          extra: String = "") throws -> String {
        let cloud = directory.appendingPathComponent("cloud.json").path
        try Data("""
            {"region": "RegionOne", "auth_url": "http://keystone.example:5000/v3",
             "images": [{"id": "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70", "name": "ubuntu-2204-kube-v1.31.4", "os_distro": "ubuntu", "kube_version": "v1.31.4"}],
             "flavors": [{"id": "f-medium", "name": "m1.medium", "ram": 4096, "vcpus": 2}, {"id": "f-large", "name": "m1.large", "ram": 8192, "vcpus": 4}],
             "networks": [{"id": "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b", "name": "public", "external": true}],
             "subnets": [], "volume_types": ["__DEFAULT__"]}
            """.utf8).write(to: URL(fileURLWithPath: cloud))
        let path = directory.appendingPathComponent(name).path
        try """
            [DEFAULT]
            transport_url = \(brokerURL)
            host = \(host)
            state_path = \(directory.path)
            \(defaults)

            [database]
            connection = \(databaseURL ?? "sqlite:///\(directory.path)/magnum.sqlite")

            [oslo_messaging_notifications]
            driver = messagingv2

            [certificates]
            cert_manager_type = x509keypair

            [x509]
            rsa_key_size = 1024

            [capi_worker]
            helm_mode = record
            render_output_dir = \(directory.path)/helm
            management_cluster = simulated
            simulation_delay = \(simulationDelay)
            offline_cloud_file = \(cloud)
            status_sync_interval = 1
            metrics_enabled = false
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
