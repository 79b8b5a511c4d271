#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BlockingIO
public import JSON
import Synchronization

/// An append-only file of JSON lines that several worker processes on one machine share, so the
/// offline modes (`management_cluster = simulated | none`, `offline_cloud_file`) show them one
/// world: what one `serve` process installed, stored or made up, the others see, and a process
/// restarted after `kill -9` finds it again (`[capi_worker] offline_state_dir`).
///
/// Each event is one line written with one `write(2)` under an exclusive `flock(2)`; readers
/// take a shared lock and read what was appended since their last read, so every process applies
/// every event once, in the file's order. A line left incomplete by a process killed while
/// writing is closed by the next writer and skipped (and counted) by every reader. The file is
/// created `0600`: it may hold Secret values, as a management cluster's etcd would.
public final class SharedEventLog: Sendable {
    public let path: String

    struct Reader {
        var descriptor: Int32
        /// Bytes of the file already applied (or skipped).
        var offset: Int
        var skippedLines = 0
    }

    let reader: Mutex<Reader>

    /// Opens (or creates) the log at `path`; nothing is read yet.
    public init(path: String) throws(SharedEventLogError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SharedEventLogError(path: path, operation: "open", errno: errno) }
        self.path = path
        self.reader = Mutex(Reader(descriptor: descriptor, offset: 0))
    }

    deinit {
        reader.withLock { _ = close($0.descriptor) }
    }

    /// Lines that could not be parsed (a writer killed mid-line), over this process's reads.
    public var skippedLines: Int { reader.withLock { $0.skippedLines } }

    /// The events appended since the last `catchUp` or `update` of this process, oldest first.
    public func catchUp() throws(SharedEventLogError) -> [JSONValue] {
        try reader.withLock { (state: inout Reader) throws(SharedEventLogError) -> [JSONValue] in
            try lock(state.descriptor, LOCK_SH)
            defer { _ = flock(state.descriptor, LOCK_UN) }
            return try readNew(&state)
        }
    }

    /// Under the exclusive lock: `decide` is given the events not seen yet (to apply first), and
    /// returns the event to append, or nil. The event is on disk when this returns; the caller
    /// then applies it (it is not given back by a later `catchUp`).
    public func update(_ decide: ([JSONValue]) throws -> JSONValue?) throws -> JSONValue? {
        try reader.withLock { (state: inout Reader) throws -> JSONValue? in
            try lock(state.descriptor, LOCK_EX)
            defer { _ = flock(state.descriptor, LOCK_UN) }
            let pending = try readNew(&state)
            guard let event = try decide(pending) else { return nil }
            var line = event.serialized(.compact)
            line.append(UInt8(ascii: "\n"))
            // A writer killed mid-line left no newline: close its line so ours starts fresh.
            if state.offset < (try size(state.descriptor)) {
                line.insert(UInt8(ascii: "\n"), at: 0)
                state.skippedLines += 1
            }
            if let failure = FileDescriptorWriter.writeAll(state.descriptor, line) {
                throw SharedEventLogError(path: path, operation: "write", errno: failure)
            }
            state.offset = try size(state.descriptor)
            return event
        }
    }

    /// How each offline part changes its state, with a shared log or without one: `decide`
    /// looks at the state (with a log, first brought up to date by `apply`ing what other
    /// processes logged, under the exclusive lock) and makes the event of the change, or nil;
    /// that event is logged, then applied. Whether there was one.
    public static func change(_ log: SharedEventLog?, apply: (JSONValue) -> Void, decide: () -> JSONValue?) throws -> Bool {
        guard let log else {
            guard let event = decide() else { return false }
            apply(event)
            return true
        }
        let appended = try log.update { pending in
            for event in pending { apply(event) }
            return decide()
        }
        if let appended { apply(appended) }
        return appended != nil
    }

    /// Before a read: `apply`s what other processes logged since the last look (nothing
    /// without a log).
    public static func catchUp(_ log: SharedEventLog?, apply: (JSONValue) -> Void) throws {
        guard let log else { return }
        for event in try log.catchUp() { apply(event) }
    }

    func lock(_ descriptor: Int32, _ operation: Int32) throws(SharedEventLogError) {
        while flock(descriptor, operation) != 0 {
            if errno != EINTR { throw SharedEventLogError(path: path, operation: "flock", errno: errno) }
        }
    }

    func size(_ descriptor: Int32) throws(SharedEventLogError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw SharedEventLogError(path: path, operation: "fstat", errno: errno) }
        return Int(info.st_size)
    }

    /// Complete lines from `offset` to the end; an incomplete last line stays for later.
    func readNew(_ state: inout Reader) throws(SharedEventLogError) -> [JSONValue] {
        let end = try size(state.descriptor)
        guard end > state.offset else { return [] }
        var bytes = [UInt8](repeating: 0, count: end - state.offset)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(state.descriptor, base + filled, buffer.count - filled, off_t(state.offset + filled))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SharedEventLogError(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            filled += n
        }
        guard let lastNewline = bytes[..<filled].lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        var events: [JSONValue] = []
        var start = 0
        while start <= lastNewline {
            let stop = bytes[start...lastNewline].firstIndex(of: UInt8(ascii: "\n")) ?? lastNewline
            if stop > start {
                if let event = try? JSONValue(parsing: bytes[start..<stop]) {
                    events.append(event)
                } else {
                    state.skippedLines += 1
                }
            }
            start = stop + 1
        }
        state.offset += lastNewline + 1
        return events
    }
}

/// The shared offline state (`[capi_worker] offline_state_dir`) cannot be read or written.
public struct SharedEventLogError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let errno: Int32

    public var description: String {
        "offline state \(path): \(operation) failed: \(String(cString: strerror(errno))) (check [capi_worker] offline_state_dir: it must be a local directory this user can write)"
    }
}

/// The event files in `[capi_worker] offline_state_dir`, one per part of the offline world.
public enum OfflineStateFiles {
    /// `SimulatedManagementCluster`: releases installed and uninstalled, machines annotated.
    public static let simulatedReleases = "simulated-releases.jsonl"
    /// `OfflineManagementCluster`: Namespaces, Secrets (with their values) and their deletion.
    public static let managementCluster = "management-cluster.jsonl"
    /// `OfflineCloud`: application credentials made up and deleted (ids and names, no secrets).
    public static let applicationCredentials = "application-credentials.jsonl"
}
