import ArgumentParser
import CapiHelmRuntime
import ClusterCertificates
import ClusterStore
import Foundation
import JSON
import Logging
import Operations
import OsloConfig
import OsloMessaging
import Worker

/// `magnum-capi-worker check-config`: what the worker would make of a magnum.conf, before
/// anything is started with it.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a magnum.conf and print what the worker would use (secrets masked).",
        discussion: """
            Reads the configuration exactly as `serve` does (--config-file, repeatable, and --config-dir; \
            [DEFAULT] inheritance and $interpolation as oslo.config) and reports:

              errors     values of the wrong type or outside their choices or range, with file, line and \
            the accepted form, and combinations the worker refuses;
              warnings   unknown options (typos), and options accepted for compatibility that have no effect;
              values     every option the worker reads, its effective value and where it came from \
            (file:line or default). Passwords, tokens and URLs' passwords are masked.

            With --startup the capi-helm driver's startup checks run too (helm present, chart, kubeconfig \
            and management cluster, OpenStack settings, offline files) and the database is opened; the \
            broker is not contacted.

            EXIT STATUS: 0 when the configuration can be used, 1 when it has errors, 2 when it cannot be read.
            """)

    @OptionGroup var config: ConfigFileOptions

    @Flag(name: .long, help: "Also run the driver's startup checks and open the database.")
    var startup = false

    @Flag(name: .long, help: "Print the values as JSON (name, value, source).")
    var json = false

    @Flag(name: .long, help: "Only errors and warnings, no values.")
    var quiet = false

    @Flag(name: .long, help: "Print a sample magnum.conf fragment with every option the worker reads (help, type, default) and exit.")
    var sample = false

    func run() async throws {
        if sample {
            FileHandle.standardOutput.write(Data(Self.sampleConfiguration().utf8))
            return
        }
        let loaded: (configuration: Configuration, files: [String], dirs: [String])
        do {
            loaded = try config.load()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let configuration = loaded.configuration
        let (errors, validationWarnings) = configuration.validate()
        var warnings = validationWarnings.map(\.description)
        var problems = errors.map(\.description)
        // Semantic checks of each part, as serve makes them.
        func semantic(_ part: String, _ body: () throws -> Void) {
            do { try body() } catch { problems.append("\(part): \(error)") }
        }
        semantic("messaging") { _ = try MessagingSettings(configuration: configuration).parsedTransportURL() }
        semantic("conductor") { _ = try ConductorOptions(configuration: configuration) }
        semantic("database") { _ = try DatabaseSettings(configuration: configuration) }
        semantic("x509") { _ = try X509Options(configuration: configuration) }
        semantic("logging") {
            let settings = try OperationsSettings(configuration: configuration)
            warnings += settings.warnings
        }
        let (runtime, runtimeErrors) = RuntimeSettings.read(configuration)
        problems += runtimeErrors.map(\.description)
        problems += RuntimeStartupChecks.modes(runtime).map(\.description)

        if startup && problems.isEmpty {
            var logger = Logger(label: "check-config")
            logger.logLevel = .warning
            do {
                let database = try DatabaseSettings(configuration: configuration)
                let store = try await ClusterStores.open(connection: database.connection, logger: logger)
                do {
                    let runtime = try await CapiHelmRuntime.start(configuration: configuration, store: store, logger: logger)
                    await runtime.shutdown()
                } catch {
                    problems += error.problems.map(\.description)
                }
                await store.close()
            } catch {
                problems.append("[database] connection: \(error)")
            }
        }

        var out = ""
        let sources = loaded.files + loaded.dirs.map { "\($0)/*.conf" }
        out += "configuration: \(sources.isEmpty ? "none found (defaults only)" : sources.joined(separator: ", "))\n"
        if !quiet {
            let values = configuration.effectiveValues()
            if json {
                let rows = values.map { v -> String in
                    let row: JSONValue = ["option": .string(v.name.description), "value": .string(v.value), "source": .string(v.source)]
                    return row.jsonString(.compact)
                }
                out += "[\n  " + rows.joined(separator: ",\n  ") + "\n]\n"
            } else {
                let width = min(values.map { $0.name.description.count }.max() ?? 0, 60)
                for v in values {
                    let name = v.name.description.padding(toLength: max(width, v.name.description.count), withPad: " ", startingAt: 0)
                    out += "  \(name)  \(v.value)  (\(v.source))\n"
                }
            }
        }
        for w in warnings { out += "warning: \(w)\n" }
        for p in problems { out += "error: \(p)\n" }
        out += problems.isEmpty ? "OK: the worker can start with this configuration\(startup ? " (startup checks passed)" : "").\n"
            : "\(problems.count) error\(problems.count == 1 ? "" : "s"): fix them before starting the worker.\n"
        FileHandle.standardOutput.write(Data(out.utf8))
        if !problems.isEmpty { throw ExitCode(1) }
    }

    /// Every option, grouped by section in registration order, as oslo-config-generator writes
    /// a sample: help as comments, the type and default, the line commented out.
    static func sampleConfiguration() -> String {
        let registry = ConfigFileOptions.registry()
        var groups: [String] = []
        var byGroup: [String: [OptionSpec]] = [:]
        for name in registry.order {
            guard let spec = registry.spec(name) else { continue }
            if byGroup[name.group] == nil { groups.append(name.group) }
            byGroup[name.group, default: []].append(spec)
        }
        groups.sort { a, b in a == "DEFAULT" ? b != "DEFAULT" : (b == "DEFAULT" ? false : a < b) }
        var out = """
            # magnum-capi-worker: every magnum.conf option the worker reads.
            # Generated by `magnum-capi-worker check-config --sample`; do not edit by hand.
            # Options of magnum.conf not listed here are ignored by the worker (unknown ones are
            # warned about at start). Lines are commented out: the value shown is the default.

            """
        for group in groups {
            out += "\n[\(group)]\n"
            for spec in byGroup[group] ?? [] {
                out += "\n"
                for line in wrap(spec.help, width: 76) { out += "# \(line)\n" }
                out += "# (\(spec.type.acceptedForm)\(spec.secret ? ", secret" : ""))\n"
                if !spec.deprecatedNames.isEmpty {
                    out += "# Deprecated names: \(spec.deprecatedNames.map(\.description).joined(separator: ", "))\n"
                }
                out += "#\(spec.name.name) = \(spec.defaultText ?? "<None>")\n"
            }
        }
        return out
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
