import Foundation
import TestSupport

/// A stand-in `helm` (a shell script) that records every run — argv (NUL-separated) and standard
/// input — into its own directory and answers like helm 3.17.2: `version` prints `v3.17.2`,
/// `upgrade` prints the release JSON of `helm upgrade --output json`, `uninstall` prints helm's
/// line. `mode` changes that: an old version, a failing cluster, a missing release.
struct FakeHelmScript {
    enum Mode {
        case healthy
        case version(String)
        /// `upgrade` fails with this message on stderr (exit 1).
        case upgradeFails(String)
        /// `uninstall` says the release is not there.
        case releaseNotFound
    }

    let directory: String
    var path: String { "\(directory)/helm" }

    struct Run {
        var argv: [String]
        var standardInput: [UInt8]
    }

    init(_ mode: Mode = .healthy) throws {
        directory = try TestEnvironment.temporaryDirectory("fake-helm").path
        try FileManager.default.createDirectory(atPath: "\(directory)/calls", withIntermediateDirectories: true)
        var version = "v3.17.2"
        var upgradeBody = """
            printf '{"name":"%s","info":{"status":"deployed","description":"Install complete"},"chart":{"metadata":{"name":"openstack-cluster","version":"0.10.1"}},"version":1,"namespace":"%s"}' "$2" "$NS"
            """
        var uninstallBody = #"printf 'release "%s" uninstalled\n' "$2""#
        switch mode {
        case .healthy: break
        case .version(let text): version = text
        case .upgradeFails(let message):
            upgradeBody = "printf '%s\\n' '\(message.replacingOccurrences(of: "'", with: #"'\''"#))' >&2; exit 1"
        case .releaseNotFound:
            uninstallBody = #"printf 'Error: uninstall: Release not loaded: %s: release: not found\n' "$2" >&2; exit 1"#
        }
        let script = """
            #!/bin/sh
            CALL='\(directory)/calls'/$(date +%s%N)-$$
            mkdir -p "$CALL"
            for a in "$@"; do printf '%s\\0' "$a"; done > "$CALL/argv"
            NS=
            prev=
            for a in "$@"; do
              if [ "$prev" = "--namespace" ]; then NS=$a; fi
              prev=$a
            done
            case "$1" in
              version) printf '%s' '\(version)'; touch "$CALL/done"; exit 0 ;;
              upgrade|template) cat > "$CALL/stdin" ;;
            esac
            touch "$CALL/done"
            case "$1" in
              upgrade) \(upgradeBody) ;;
              uninstall) \(uninstallBody) ;;
              *) echo "fake helm: unexpected command $1" >&2; exit 2 ;;
            esac

            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
    }

    /// Every run but `helm version` (the startup check's), oldest first.
    func runs() throws -> [Run] {
        let calls = "\(directory)/calls"
        return try FileManager.default.contentsOfDirectory(atPath: calls).sorted().compactMap { name -> Run? in
            let call = "\(calls)/\(name)"
            guard FileManager.default.fileExists(atPath: "\(call)/done") else { return nil }
            let argvBytes = FileManager.default.contents(atPath: "\(call)/argv").map { Array($0) } ?? []
            let argv = argvBytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
            guard argv.first != "version" else { return nil }
            return Run(argv: argv, standardInput: FileManager.default.contents(atPath: "\(call)/stdin").map { Array($0) } ?? [])
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
