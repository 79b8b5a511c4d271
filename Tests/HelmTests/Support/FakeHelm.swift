import Foundation

/// A stand-in `helm`: a shell script that records how it was started (argv, the environment it
/// received, standard input, the kubeconfig file it was pointed at, its pid and process group)
/// into its own directory, then runs a test-chosen shell snippet (print output, fail, fork, sleep).
struct FakeHelm {
    let directory: String
    var path: String { "\(directory)/helm" }

    /// What one run of the fake saw.
    struct Run {
        var argv: [String]
        var environment: [String: String]
        var standardInput: [UInt8]
        var kubeconfigPath: String?
        var kubeconfigMode: String?
        var kubeconfigContent: String?
        var pid: Int32
        var processGroup: Int32
        var directory: String
    }

    /// `body` runs after recording, with `$REC` (the calls directory) and `$CALL` (this call's
    /// directory) set and the original arguments in `$@`.
    init(body: String, readsStandardInput: Bool = true) throws {
        directory = try makeTemporaryDirectory("fake-helm")
        try FileManager.default.createDirectory(atPath: "\(directory)/calls", withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            REC='\(directory)/calls'
            CALL="$REC/$(date +%s%N)-$$"
            mkdir -p "$CALL"
            for a in "$@"; do printf '%s\\0' "$a"; done > "$CALL/argv"
            cat /proc/$$/environ > "$CALL/env"
            \(readsStandardInput ? "cat > \"$CALL/stdin\"" : ": no stdin read")
            prev=
            for a in "$@"; do
              if [ "$prev" = "--kubeconfig" ]; then
                printf '%s' "$a" > "$CALL/kubeconfig.path"
                stat -c '%a' "$a" > "$CALL/kubeconfig.mode" 2>/dev/null
                cat "$a" > "$CALL/kubeconfig.content" 2>/dev/null
              fi
              prev=$a
            done
            echo $$ > "$CALL/pid"
            cut -d' ' -f5 /proc/$$/stat > "$CALL/pgid"
            touch "$CALL/recorded"
            \(body)

            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
    }

    /// Runs so far, oldest first.
    func runs() throws -> [Run] {
        let callsDirectory = "\(directory)/calls"
        let names = try FileManager.default.contentsOfDirectory(atPath: callsDirectory).sorted()
        return try names.compactMap { name -> Run? in
            let call = "\(callsDirectory)/\(name)"
            guard FileManager.default.fileExists(atPath: "\(call)/recorded") else { return nil }
            func bytes(_ file: String) -> [UInt8]? {
                FileManager.default.contents(atPath: "\(call)/\(file)").map { Array($0) }
            }
            func text(_ file: String) -> String? {
                bytes(file).map { String(decoding: $0, as: UTF8.self) }
            }
            let argv = (bytes("argv") ?? []).split(separator: 0, omittingEmptySubsequences: false)
                .dropLast().map { String(decoding: $0, as: UTF8.self) }
            var environment: [String: String] = [:]
            for entry in (bytes("env") ?? []).split(separator: 0) {
                let string = String(decoding: entry, as: UTF8.self)
                guard let eq = string.firstIndex(of: "=") else { continue }
                environment[String(string[..<eq])] = String(string[string.index(after: eq)...])
            }
            guard let pid = text("pid").flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
                  let group = text("pgid").flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            else { throw FakeHelmError(message: "incomplete record in \(call)") }
            return Run(
                argv: argv, environment: environment, standardInput: bytes("stdin") ?? [],
                kubeconfigPath: text("kubeconfig.path"),
                kubeconfigMode: text("kubeconfig.mode")?.trimmingCharacters(in: .whitespacesAndNewlines),
                kubeconfigContent: text("kubeconfig.content"),
                pid: pid, processGroup: group, directory: call)
        }
    }

    func onlyRun() throws -> Run {
        let runs = try runs()
        guard runs.count == 1, let run = runs.first else {
            throw FakeHelmError(message: "expected one helm run, got \(runs.count)")
        }
        return run
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A shell snippet printing `text` to standard output (single-quoted safely).
    static func printing(_ text: String, exit status: Int = 0) -> String {
        "printf '%s' '\(text.replacingOccurrences(of: "'", with: #"'\''"#))'\nexit \(status)"
    }

    /// A shell snippet printing `text` to standard error and exiting with `status`.
    static func failing(_ text: String, exit status: Int = 1) -> String {
        "printf '%s\\n' '\(text.replacingOccurrences(of: "'", with: #"'\''"#))' >&2\nexit \(status)"
    }
}

struct FakeHelmError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A new private directory under the system's temporary directory.
func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(base)/mcw-\(prefix).XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
    guard made else { throw FakeHelmError(message: "mkdtemp failed: \(String(cString: strerror(errno)))") }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Whether a process exists and is not a zombie (from /proc).
func processIsAlive(_ pid: Int32) -> Bool {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return false }
    let line = String(decoding: data, as: UTF8.self)
    guard let close = line.lastIndex(of: ")") else { return false }
    let state = line[line.index(after: close)...].split(separator: " ").first
    return state != "Z" && state != "X"
}

/// Waits up to `seconds` for `condition`.
func eventually(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
