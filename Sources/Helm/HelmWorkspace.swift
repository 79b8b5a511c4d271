internal import Foundation
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// helm's private corner of the file system: its HOME and cache/config/data directories (so it
/// never reads or writes the worker user's `~/.config/helm`, `~/.cache/helm`), and short-lived
/// 0600 kubeconfig files.
final class HelmWorkspace: Sendable {
    let root: String
    /// Whether `root` is ours to delete (a temporary directory) or the operator's.
    let ownsRoot: Bool

    /// Uses `directory` (creating it 0700 when missing), or a new private temporary directory.
    init(directory: String?) throws(HelmWorkspaceError) {
        if let directory {
            try Self.makeDirectory(directory)
            root = directory
            ownsRoot = false
        } else {
            let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            var template = Array("\(base)/mcw-helm.XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
                guard let base = buffer.baseAddress else { return false }
                return mkdtemp(base) != nil
            }
            guard made else { throw HelmWorkspaceError(path: base, reason: Self.errnoText()) }
            root = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
            ownsRoot = true
        }
        for sub in ["home", "cache", "config", "data", "tmp"] {
            try Self.makeDirectory("\(root)/\(sub)")
        }
    }

    /// The variables that point helm (and Go) at this workspace.
    var environment: [String: String] {
        [
            "HOME": "\(root)/home",
            "XDG_CACHE_HOME": "\(root)/cache",
            "XDG_CONFIG_HOME": "\(root)/config",
            "XDG_DATA_HOME": "\(root)/data",
            "HELM_CACHE_HOME": "\(root)/cache/helm",
            "HELM_CONFIG_HOME": "\(root)/config/helm",
            "HELM_DATA_HOME": "\(root)/data/helm",
            "TMPDIR": "\(root)/tmp",
        ]
    }

    /// Writes `content` to a new 0600 file (created with O_EXCL, never readable by others, not
    /// even for an instant), runs `body` with its path, and removes the file however `body` ends.
    func withTemporaryFile<Result>(
        named prefix: String, content: String, _ body: (String) async throws -> Result
    ) async throws -> Result {
        let path = try writeTemporaryFile(prefix: prefix, content: content)
        do {
            let result = try await body(path)
            unlink(path)
            return result
        } catch {
            unlink(path)
            throw error
        }
    }

    private func writeTemporaryFile(prefix: String, content: String) throws(HelmWorkspaceError) -> String {
        var template = Array("\(root)/tmp/\(prefix).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)  // O_CREAT | O_EXCL, mode 0600
        }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard fd >= 0 else { throw HelmWorkspaceError(path: path, reason: Self.errnoText()) }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else {
            let reason = Self.errnoText()
            unlink(path)
            throw HelmWorkspaceError(path: path, reason: reason)
        }
        var bytes = Array(content.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = Self.errnoText()
                unlink(path)
                throw HelmWorkspaceError(path: path, reason: reason)
            }
            bytes = bytes.dropFirst(written)
        }
        return path
    }

    /// Removes the workspace when it is a temporary directory of ours.
    func remove() {
        guard ownsRoot else { return }
        try? FileManager.default.removeItem(atPath: root)
    }

    private static func makeDirectory(_ path: String) throws(HelmWorkspaceError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw HelmWorkspaceError(path: path, reason: errnoText())
        }
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// helm's private directory or a temporary kubeconfig file could not be made.
struct HelmWorkspaceError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "cannot prepare \(path) for helm: \(reason)" }
}
