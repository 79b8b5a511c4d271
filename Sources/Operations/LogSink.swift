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

enum FileDescriptorWriter {
    /// Writes every byte, retrying short writes and EINTR; returns the errno of a failure.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc_write(fd, base + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if written == 0 { return EIO }
            offset += written
        }
        return nil
    }
}

@inline(__always)
func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
