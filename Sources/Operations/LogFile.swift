import BlockingIO
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A log file that is appended to and survives log rotation: reopened on `reopen()` (SIGHUP,
/// `ExecReload`, logrotate's `postrotate`) and, like oslo.log's `WatchedFileHandler`, when the
/// path no longer names the open file (moved or removed; checked at most once a second).
/// `copytruncate` rotation works as it is, since the file is opened with `O_APPEND`.
public final class LogFile: LogSink {
    public let path: String
    /// How often the path is compared with the open file.
    public let watchInterval: Double

    struct State {
        var fd: Int32
        var device: UInt64
        var inode: UInt64
        var lastCheck: Double
        var failing = false
    }

    private let state: Mutex<State>

    /// Opens (creating with mode 0640 when missing) the file for appending.
    public init(path: String, watchInterval: Double = 1) throws(LogFileError) {
        self.path = path
        self.watchInterval = watchInterval
        let opened = try Self.open(path)
        state = Mutex(State(fd: opened.fd, device: opened.device, inode: opened.inode, lastCheck: Self.now()))
    }

    deinit {
        state.withLock { s in
            if s.fd >= 0 { close(s.fd) }
            s.fd = -1
        }
    }

    public func write(_ line: String, record: LogRecord) {
        let bytes = Array((line + "\n").utf8)
        let failure: (reason: String, first: Bool)? = state.withLock { s in
            let now = Self.now()
            if now - s.lastCheck >= watchInterval {
                s.lastCheck = now
                if !pathStillNamesOpenFile(s) { reopenLocked(&s) }
            }
            if s.fd >= 0, FileDescriptorWriter.writeAll(s.fd, bytes) == nil {
                s.failing = false
                return nil
            }
            // One retry on a fresh descriptor (the file may have been removed under us).
            reopenLocked(&s)
            var reason = "cannot open it"
            if s.fd >= 0 {
                guard let err = FileDescriptorWriter.writeAll(s.fd, bytes) else {
                    s.failing = false
                    return nil
                }
                reason = Self.describe(err)
            }
            let first = !s.failing
            s.failing = true
            return (reason, first)
        }
        guard let failure else { return }
        // Never lose a record: while the file cannot be written, lines go to standard error.
        let stderr = StandardStreamSink(.standardError)
        if failure.first {
            stderr.write("magnum-capi-worker: cannot write log file \(path) (\(failure.reason)); logging to stderr",
                         record: record)
        }
        stderr.write(line, record: record)
    }

    /// Closes and reopens the file (after logrotate renamed it, a new file is created).
    public func reopen() throws {
        let opened = try Self.open(path)
        state.withLock { s in
            if s.fd >= 0 { close(s.fd) }
            s.fd = opened.fd
            s.device = opened.device
            s.inode = opened.inode
            s.lastCheck = Self.now()
            s.failing = false
        }
    }

    private func reopenLocked(_ s: inout State) {
        guard let opened = try? Self.open(path) else { return }
        if s.fd >= 0 { close(s.fd) }
        s.fd = opened.fd
        s.device = opened.device
        s.inode = opened.inode
    }

    private func pathStillNamesOpenFile(_ s: State) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return UInt64(st.st_dev) == s.device && UInt64(st.st_ino) == s.inode
    }

    static func open(_ path: String) throws(LogFileError) -> (fd: Int32, device: UInt64, inode: UInt64) {
        let fd = Glibc_open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw LogFileError(path: path, reason: describe(errno)) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = describe(errno)
            close(fd)
            throw LogFileError(path: path, reason: reason)
        }
        return (fd, UInt64(st.st_dev), UInt64(st.st_ino))
    }

    static func describe(_ err: Int32) -> String {
        guard let cString = strerror(err) else { return "errno \(err)" }
        return String(cString: cString)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

@inline(__always)
func Glibc_open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}

/// A log file that cannot be opened, with the path and the system's reason.
public struct LogFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot open log file \(path): \(reason)" }
}
