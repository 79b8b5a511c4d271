import BlockingIO
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where formatted, redacted log lines go. Sinks only ever receive text the `LogOutput` has
/// already redacted.
public protocol LogSink: Sendable {
    /// Writes one record; `line` is its formatted text without the final newline.
    func write(_ line: String, record: LogRecord)
    /// Reopens the destination (a log file after logrotate moved it). No-op for streams.
    func reopen() throws
}

extension LogSink {
    public func reopen() throws {}
}

/// Standard output or standard error. Lines are written with one `write(2)` each, under a lock
/// shared by every sink on the same descriptor, so records from concurrent tasks never interleave.
public struct StandardStreamSink: LogSink {
    public enum Stream: Sendable { case standardOutput, standardError }

    public let stream: Stream

    public init(_ stream: Stream) {
        self.stream = stream
    }

    public func write(_ line: String, record: LogRecord) {
        let bytes = Array((line + "\n").utf8)
        switch stream {
        case .standardOutput: Self.stdoutLock.withLock { _ in _ = FileDescriptorWriter.writeAll(1, bytes) }
        case .standardError: Self.stderrLock.withLock { _ in _ = FileDescriptorWriter.writeAll(2, bytes) }
        }
    }

    static let stdoutLock = Mutex<Void>(())
    static let stderrLock = Mutex<Void>(())
}
