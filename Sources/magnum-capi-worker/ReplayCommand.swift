import ArgumentParser
import Foundation
import JSON
import Logging
import Replay

/// `magnum-capi-worker replay`: recorded bus traffic through the worker, on virtual time.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recording through the worker (in-memory broker, recording executors, scratch database).",
        discussion: """
            Every request in FILE (a recording: JSON lines with seq, exchange, routing_key, properties and body) \
            is published, as recorded, to an in-memory broker the worker consumes from, one at a time; the \
            worker is the one `serve` runs (same dispatcher, endpoints, driver, notifier) with helm_mode = record, \
            a simulated management cluster, an offline cloud and an SQLite database seeded with the recordings' \
            world. Periodic tasks run on virtual time. The result — replies, notifications, helm/Kubernetes/\
            OpenStack calls and the final database — is one deterministic JSON document. With --expect, it is \
            compared with a golden result: differences are printed and the exit status is 1.
            """)

    @Argument(help: "The recording (JSON lines).")
    var file: String

    @Option(name: .long, help: "A magnum.conf read over the replay's defaults (database, helm mode and render directory are always the replay's).")
    var configFile: String?

    @Option(name: .long, help: "A seed file (cluster_templates, clusters, nodegroups) added to the embedded world.")
    var seed: String?

    @Option(name: .long, help: "A golden result to compare with; exit status 1 when they differ.")
    var expect: String?

    @Option(name: .long, help: "Write the result here instead of standard output.")
    var out: String?

    @Option(name: .long, help: "Virtual seconds between two requests.")
    var stepSeconds: Double = 5

    @Option(name: .long, help: "Virtual seconds of periodic tasks after the last request.")
    var settleSeconds: Double = 120

    @Flag(name: .long, help: "Log the worker's activity to standard error.")
    var verbose = false

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw InputError(description: "cannot read \(file)")
        }
        var logger = Logger(label: "magnum-capi-worker.replay")
        logger.logLevel = verbose ? .info : .critical
        let options = ReplayOptions(configFile: configFile, seedFile: seed, stepSeconds: stepSeconds, settleSeconds: settleSeconds)
        let result: JSONValue
        do {
            result = try await ReplaySession.run(recording: Array(data), options: options, logger: logger)
        } catch let error as ReplayError {
            throw InputError(description: error.description)
        }
        let text = result.serialized(.pretty) + Array("\n".utf8)
        if let out {
            try Data(text).write(to: URL(fileURLWithPath: out))
        } else {
            FileHandle.standardOutput.write(Data(text))
        }
        if let expect {
            guard let golden = FileManager.default.contents(atPath: expect) else { throw InputError(description: "cannot read \(expect)") }
            let expected = try JSONValue(parsing: Array(golden))
            let diff = ReplayDiff.render(expected: expected, actual: result)
            if !diff.isEmpty {
                FileHandle.standardError.write(Data("replay of \(file) differs from \(expect)\n\(diff)\n".utf8))
                throw ExitCode(1)
            }
            FileHandle.standardError.write(Data("replay of \(file) matches \(expect)\n".utf8))
        }
    }
}
