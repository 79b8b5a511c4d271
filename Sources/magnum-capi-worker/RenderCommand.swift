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
            From a recording (FILE): the requests up to --seq (default: all) are replayed exactly as `replay` does \
            (recording executors, the recordings' world or --seed, --config-file over the defaults), and the values \
            of the last `helm upgrade --install` — of the release of --cluster (name or uuid) when given — are \
            printed as JSON (helm reads JSON values files). \
            From the database (--from-database --config-file magnum.conf --cluster NAME|UUID): the values the driver \
            would install for that cluster now, with the operator's database and OpenStack (as the admin of \
            [keystone_auth]); helm runs nothing and no Kubernetes object is written. \
            With --command, the helm command line (values on standard input) is printed first, as a comment.
            """)

    @Argument(help: "The recording (JSON lines); not with --from-database.")
    var file: String?

    @Flag(name: .long, help: "Render a cluster of the database that --config-file names instead of a recording.")
    var fromDatabase = false

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
        var logger = Logger(label: "magnum-capi-worker.render")
        logger.logLevel = .critical
        if fromDatabase {
            guard file == nil, let configFile, let cluster else {
                throw InputError(description: "--from-database needs --config-file and --cluster, and no recording")
            }
            let rendered: DatabaseRenderer.Rendered
            do {
                rendered = try await DatabaseRenderer.render(configFile: configFile, cluster: cluster, logger: logger)
            } catch let error as ReplayError {
                throw InputError(description: error.description)
            }
            var out = command ? "# \(rendered.command)\n" : ""
            out += String(decoding: rendered.values.serialized(.pretty), as: UTF8.self) + "\n"
            FileHandle.standardOutput.write(Data(out.utf8))
            return
        }
        guard let file else { throw InputError(description: "give a recording, or --from-database") }
        guard let data = FileManager.default.contents(atPath: file) else { throw InputError(description: "cannot read \(file)") }
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
