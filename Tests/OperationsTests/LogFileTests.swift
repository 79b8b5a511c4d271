import Foundation
import Logging
import Operations
import Testing

/// The log file survives logrotate: reopened on request (SIGHUP) and when moved away.
@Suite struct LogFileTests {
    func record(_ message: String) -> LogRecord {
        LogRecord(time: 0, level: .info, logger: "t", message: message, metadata: [:], pid: 1)
    }

    @Test func appendsToAnExistingFileWithRestrictedMode() throws {
        let dir = try TemporaryDirectory()
        try "earlier line\n".write(toFile: dir.file("w.log"), atomically: false, encoding: .utf8)
        let file = try LogFile(path: dir.file("w.log"))
        file.write("new line", record: record("new line"))
        #expect(dir.read("w.log") == "earlier line\nnew line\n")

        let created = try LogFile(path: dir.file("created.log"))
        created.write("x", record: record("x"))
        let mode = try FileManager.default.attributesOfItem(atPath: dir.file("created.log"))[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o007 } == 0, "log files are not world-readable")
    }

    @Test func reopenAfterRenameWritesToTheNewFile() throws {
        let dir = try TemporaryDirectory()
        let file = try LogFile(path: dir.file("w.log"), watchInterval: 3600)
        file.write("before rotation", record: record(""))
        try FileManager.default.moveItem(atPath: dir.file("w.log"), toPath: dir.file("w.log.1"))
        file.write("after rename, before reopen", record: record(""))
        try file.reopen()
        file.write("after reopen", record: record(""))
        #expect(dir.read("w.log.1") == "before rotation\nafter rename, before reopen\n")
        #expect(dir.read("w.log") == "after reopen\n")
    }

    @Test func aMovedFileIsNoticedWithoutASignal() throws {
        let dir = try TemporaryDirectory()
        let file = try LogFile(path: dir.file("w.log"), watchInterval: 0)
        file.write("one", record: record(""))
        try FileManager.default.moveItem(atPath: dir.file("w.log"), toPath: dir.file("w.log.1"))
        file.write("two", record: record(""))
        try FileManager.default.removeItem(atPath: dir.file("w.log"))
        file.write("three", record: record(""))
        #expect(dir.read("w.log.1") == "one\n")
        #expect(dir.read("w.log") == "three\n")
    }

    @Test func anUnopenableFileIsAClearError() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: LogFileError(path: dir.file("missing/w.log"), reason: "No such file or directory")) {
            try LogFile(path: dir.file("missing/w.log"))
        }
    }

    @Test func reopenThroughTheLoggingOutputUsesTheSameFile() throws {
        let dir = try TemporaryDirectory()
        let logging = OperationsLogging()
        try logging.configure(LoggingSettings(level: .info, destinations: [.file(path: dir.file("w.log"))], localTime: false))
        let logger = Logger(label: "rotation") { logging.makeHandler(label: $0) }
        logger.info("first")
        try FileManager.default.moveItem(atPath: dir.file("w.log"), toPath: dir.file("w.log.1"))
        #expect(logging.reopen().isEmpty)
        logger.info("second")
        #expect(dir.read("w.log.1").hasSuffix(" INFO magnum_capi_worker.rotation [-] first\n"))
        #expect(dir.read("w.log").hasSuffix(" INFO magnum_capi_worker.rotation [-] second\n"))
    }
}
