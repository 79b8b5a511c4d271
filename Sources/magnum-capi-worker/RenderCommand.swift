import ArgumentParser
import Foundation
import JSON
import Logging
import Replay

/// `magnum-capi-worker render`: the helm values the worker would install for a cluster.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the helm values (openstack-cluster chart) the worker installs for a recorded request.",
        discussion: """
            FILE is a recording. The requests up to --seq (default: all) are replayed exactly as `replay` does \
            (recording executors, the recordings' world or --seed, --config-file over the defaults), and the values \
            of the last `helm upgrade --install` — of the release of --cluster (name or uuid) when given — are \
            printed as JSON (helm reads JSON values files). With --command, the helm command line is printed too.
            """)

    @Argument(help: "The recording (JSON lines).")
    var file: String

    @Option(name: .long, help: "Replay the messages up to this seq only.")
    var seq: Int?

    @Option(name: .long, help: "The cluster (name or uuid) whose release to show.")
    var cluster: String?

    @Option(name: .long, help: "A magnum.conf read over the replay's defaults.")
    var configFile: String?

    @Option(name: .long, help: "A seed file added to the embedded world.")
    var seed: String?

    @Flag(name: .long, help: "Print the helm command line (values on stdin) before the values.")
    var command = false

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw InputError(description: "cannot read \(file)") }
        var logger = Logger(label: "magnum-capi-worker.render")
        logger.logLevel = .critical
        var options = ReplayOptions(configFile: configFile, seedFile: seed, settleSeconds: 0)
        options.lastSeq = seq
        let result: JSONValue
        do {
            result = try await ReplaySession.run(recording: Array(data), options: options, logger: logger)
        } catch let error as ReplayError {
            throw InputError(description: error.description)
        }
        let installs = (result["executor_calls"]?["helm"]?.arrayValue ?? []).filter { $0["operation"] == "upgrade_install" }
        let wanted = cluster.map { name in
            installs.filter { call in
                // A release is named after its cluster (`<name>-<suffix>`); a uuid appears in the values.
                call["release"]?.stringValue?.hasPrefix("\(name)-") == true || call.jsonString(.compact).contains(name)
            }
        } ?? installs
        guard let chosen = wanted.last, let values = chosen["values"] else {
            throw InputError(description: "no helm install or upgrade\(cluster.map { " for \($0)" } ?? "") in the replay of \(file)"
                             + (seq.map { " up to seq \($0)" } ?? ""))
        }
        var out = ""
        if command, let line = chosen["command"]?.stringValue { out += "# \(line)\n" }
        out += String(decoding: values.serialized(.pretty), as: UTF8.self) + "\n"
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
