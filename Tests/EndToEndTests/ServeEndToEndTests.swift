import Foundation
import Testing
import TestSupport

/// The built `magnum-capi-worker` binary as operators run it: `serve` with a magnum.conf against
/// the test broker, driven by Magnum's own Python RPC client (tools/peers/magnum_client.py), and
/// `check-config` / startup failures as an operator sees them.
@Suite("magnum-capi-worker serve, end to end")
struct ServeEndToEndTests {
    static let binary = ServeProcess.binary

    /// A magnum.conf for the embedded defaults in `directory` (record-mode helm, simulated
    /// management cluster, offline cloud), on its own control exchange.
    static func writeConfiguration(in directory: URL, brokerURL: String, exchange: String, extra: String = "") throws -> String {
        try ServeProcess.writeConfiguration(in: directory, brokerURL: brokerURL, host: "e2e-\(exchange)",
                                            defaults: "control_exchange = \(exchange)", extra: extra)
    }

    /// Runs the binary to completion (at most `timeout` seconds), output in a file.
    static func run(_ arguments: [String], timeout: Double = 120) async throws -> (status: Int32, output: String) {
        try await TestEnvironment.offloaded {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("mcw-e2e-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: log) }
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? handle.close()
            return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
    }

    @Test("serve --workers 2 runs the recorded create, a resize and a delete cast by Magnum's Python client; SIGTERM stops it cleanly",
          .enabled(if: TestEnvironment.brokerEnabled && TestEnvironment.pythonEnabled), .timeLimit(.minutes(5)))
    func lifecycle() async throws {
        let broker = try TestEnvironment.requireBroker()
        let directory = try TestEnvironment.temporaryDirectory("e2e")
        defer { try? FileManager.default.removeItem(at: directory) }
        let exchange = "e2e\(UInt32.random(in: 0...UInt32.max))"
        let conf = try Self.writeConfiguration(in: directory, brokerURL: broker.url, exchange: exchange)

        let worker = try ServeProcess(["serve", "--config-file", conf, "--workers", "2"], log: directory.appendingPathComponent("worker.log"))
        func workerLog() -> String { worker.output }
        try #require(try await worker.waitUntilServing(seconds: 60), "not serving after 60 s (or stopped):\n\(workerLog())")

        let output = String(decoding: try await TestEnvironment.runPythonPeer("magnum_client.py", arguments: [
            "--config-file", conf,
            "--recording", TestEnvironment.fixturesDirectory.appendingPathComponent("wire/cluster_create_defaults.jsonl").path,
            "--template-case", TestEnvironment.fixturesDirectory.appendingPathComponent("driver/create_cilium.json").path,
            "--render-dir", directory.appendingPathComponent("helm").path, "--node-count", "3", "--timeout", "60",
        ]), as: UTF8.self)
        #expect(output.contains("result: every step completed"), "\(output)\n--- worker log:\n\(workerLog())")
        for status in ["CREATE_IN_PROGRESS", "CREATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "DELETE_IN_PROGRESS", "(row deleted)"] {
            #expect(output.contains("status \(status)"), "no \(status) seen:\n\(output)")
        }
        // Magnum's CADF events, seen by oslo.messaging's notification listener.
        for event in ["magnum.cluster.create x2", "magnum.cluster.update x2", "magnum.cluster.delete x2"] {
            #expect(output.contains(event), "\(event) missing:\n\(output)")
        }
        // The helm upgrade the worker would have run, with the resized node group.
        #expect(output.contains("helm upgrade dev-small-"))
        #expect(output.contains("nodeGroups: default-worker=3"))

        worker.signal(SIGTERM)
        let exit = try await worker.waitForExit()
        #expect(exit.isClean, "\(exit):\n\(workerLog())")
        let text = workerLog()
        #expect(text.contains("conductor stopped"))
        #expect(text.contains("INFO magnum_capi_worker.worker [-] stopped"))
        #expect(!text.contains(" ERROR "), "errors logged:\n\(text)")
    }

    @Test("check-config reports wrong values with file and line, unknown options, and masks secrets")
    func checkConfig() async throws {
        let directory = try TestEnvironment.temporaryDirectory("e2e-check")
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = "Rabbit-e2e-Pa55word"
        let conf = try Self.writeConfiguration(in: directory, brokerURL: "rabbit://magnum:\(secret)@10.0.0.5:5672/", exchange: "magnum",
                                               extra: "periodic_max_concurrency = many\n\n[capi_helm]\nkubeconfig_fiel = /etc/k\n")
        let (status, output) = try await Self.run(["check-config", "--config-file", conf])
        #expect(status == 1, "\(output)")
        #expect(output.contains("\(conf):"), "no file:line in:\n\(output)")
        #expect(output.contains("periodic_max_concurrency"), "\(output)")
        #expect(output.contains("unknown option [capi_helm] kubeconfig_fiel"), "\(output)")
        #expect(!output.contains(secret), "the password leaked:\n\(output)")
        #expect(output.contains("rabbit://magnum:****@10.0.0.5:5672/"), "\(output)")

        let good = try Self.writeConfiguration(in: directory, brokerURL: "rabbit://magnum:\(secret)@10.0.0.5:5672/", exchange: "magnum")
        let (okStatus, okOutput) = try await Self.run(["check-config", "--config-file", good, "--startup"])
        #expect(okStatus == 0, "\(okOutput)")
        #expect(okOutput.contains("OK: the worker can start with this configuration (startup checks passed)."), "\(okOutput)")
    }

    @Test("serve refuses to start with every problem listed, each naming its option, nothing secret quoted",
          .enabled(if: TestEnvironment.brokerEnabled))
    func startupProblems() async throws {
        let broker = try TestEnvironment.requireBroker()
        let directory = try TestEnvironment.temporaryDirectory("e2e-startup")
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = "Keystone-e2e-S3cret"
        let conf = directory.appendingPathComponent("magnum.conf").path
        try """
            [DEFAULT]
            transport_url = \(broker.url)
            state_path = \(directory.path)
            [database]
            connection = sqlite:///\(directory.path)/magnum.sqlite
            [capi_helm]
            kubeconfig_file = \(directory.path)/no-such-kubeconfig
            helm_executable = \(directory.path)/no-such-helm
            [keystone_auth]
            auth_url = http://keystone.example:5000/v3
            username = magnum
            password = \(secret)
            [capi_worker]
            metrics_enabled = false
            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let (status, output) = try await Self.run(["serve", "--config-file", conf])
        #expect(status == 2, "\(output)")
        #expect(output.contains("cannot start"), "\(output)")
        for option in ["[capi_helm] helm_executable", "[capi_helm] kubeconfig_file", "[cinder_client] region_name"] {
            #expect(output.contains(option), "\(option) not named:\n\(output)")
        }
        #expect(!output.contains(secret), "the password leaked:\n\(output)")
    }

    @Test("etc/magnum-capi-worker.conf.sample is what check-config --sample prints (every option documented, never stale)")
    func sampleConfiguration() async throws {
        let (status, output) = try await Self.run(["check-config", "--sample"])
        #expect(status == 0)
        let committed = try String(contentsOf: TestEnvironment.projectDirectory.appendingPathComponent("etc/magnum-capi-worker.conf.sample"),
                                   encoding: .utf8)
        #expect(output == committed, "regenerate it: .build/debug/magnum-capi-worker check-config --sample > etc/magnum-capi-worker.conf.sample")
        for option in ["#transport_url = ", "[database]", "#connection = ", "[capi_helm]", "#kubeconfig_file = ", "[capi_worker]",
                       "#helm_mode = real", "[oslo_messaging_rabbit]", "[conductor]", "[kubernetes]", "[drivers]", "[certificates]"] {
            #expect(committed.contains(option), "\(option) missing from the sample")
        }
    }
}
