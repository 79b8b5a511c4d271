import Foundation

extension TestEnvironment {
    /// Starts a RabbitMQ node of the test's own (`tools/broker start`), for fault tests that
    /// stop or restart the broker and must not disturb tests running in parallel on the shared
    /// one. Call `destroy()` when done.
    public static func startPrivateBroker(tls: Bool = false) async throws -> Broker {
        let base = ProcessInfo.processInfo.environment["MCW_RUN_DIR"] ?? NSTemporaryDirectory()
        let directory = URL(fileURLWithPath: base)
            .appendingPathComponent("private-broker-\(UUID().uuidString.prefix(8))").path
        try await runTool("broker", ["start", directory] + (tls ? ["--tls"] : []))
        let text = try String(contentsOfFile: directory + "/broker.env", encoding: .utf8)
        let env = parseShellAssignments(text)
        guard let node = env["BROKER_NODE"], let port = env["BROKER_PORT"].flatMap(Int.init), let url = env["BROKER_URL"]
        else { throw MissingService(name: "private RabbitMQ in \(directory)") }
        return Broker(
            directory: directory, node: node, port: port, tlsPort: env["BROKER_TLS_PORT"].flatMap(Int.init),
            tlsDirectory: env["BROKER_TLS_DIR"].flatMap { $0.isEmpty ? nil : $0 }, url: url)
    }
}

extension TestEnvironment.Broker {
    /// Stops the node and forgets it (`tools/broker destroy`), removing its directory. Usable
    /// from `defer`: it runs on a thread of its own and is not waited for (`tools/test` destroys
    /// any private broker still running when the suite ends).
    public func destroy() {
        let directory = self.directory
        Thread.detachNewThread {
            _ = try? TestEnvironment.runToolBlocking("broker", ["destroy", directory])
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
