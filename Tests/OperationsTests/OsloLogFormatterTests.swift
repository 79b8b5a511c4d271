import Logging
import Operations
import Testing

/// Lines shaped like oslo.log's defaults, so operators' parsers and habits keep working.
@Suite struct OsloLogFormatterTests {
    /// 2026-11-26 04:41:05.123 UTC
    static let time = 1_795_668_065.123_4
    let formatter = OsloLogFormatter(localTime: false)

    func record(_ level: Logger.Level = .info, _ message: String, _ metadata: Logger.Metadata = [:],
                error: String? = nil) -> LogRecord {
        LogRecord(time: Self.time, level: level, logger: "magnum_capi_worker.rpc", message: message, metadata: metadata,
                  error: error, source: "Worker", file: "Worker/Dispatcher.swift", function: "handle(_:)", line: 42,
                  pid: 12345)
    }

    @Test func withoutRequestContextTheBracketIsADash() {
        let line = formatter.format(record(.info, "consuming from magnum-conductor"))
        #expect(line == "2026-11-26 04:41:05.123 12345 INFO magnum_capi_worker.rpc [-] consuming from magnum-conductor")
    }

    @Test func requestContextFillsTheBracketLikeOsloContext() {
        let line = formatter.format(record(.warning, "cluster create failed", [
            "request_id": "req-6f1c2a7e-0b1d-4c5e-9f8a-1b2c3d4e5f60",
            "user_id": "5d3f9e1b0c7a4e2f8a6b4c2d0e9f7a1b",
            "project_id": "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b",
            "cluster_uuid": "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70",
            "msg_id": "2f3c4d5e6f708192a3b4c5d6e7f80912",
        ]))
        #expect(line == "2026-11-26 04:41:05.123 12345 WARNING magnum_capi_worker.rpc "
            + "[req-6f1c2a7e-0b1d-4c5e-9f8a-1b2c3d4e5f60 5d3f9e1b0c7a4e2f8a6b4c2d0e9f7a1b 9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b - - - -] "
            + "cluster create failed cluster_uuid=0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70 msg_id=2f3c4d5e6f708192a3b4c5d6e7f80912")
    }

    @Test func globalRequestIDAndDomainsTakeTheirPlaces() {
        let line = formatter.format(record(.info, "ok", [
            "global_request_id": "req-global", "request_id": "req-local", "user_id": "u", "project_id": "p",
            "user_domain_id": "default", "project_domain_id": "default",
        ]))
        #expect(line.hasSuffix("[req-global req-local u p - - default default] ok"))
    }

    @Test func userWithoutRequestIDStaysInTheMetadata() {
        let line = formatter.format(record(.info, "periodic", ["user_id": "u1"]))
        #expect(line.hasSuffix("[-] periodic user_id=u1"))
    }

    @Test func contextPartsAreSingleWords() {
        let line = formatter.format(record(.info, "x", ["request_id": "req 1]", "user_id": ""]))
        #expect(line.hasSuffix("[req_1_ - - - - - -] x"))
    }

    @Test(arguments: [
        (Logger.Level.trace, "TRACE"), (.debug, "DEBUG"), (.info, "INFO"), (.notice, "INFO"),
        (.warning, "WARNING"), (.error, "ERROR"), (.critical, "CRITICAL"),
    ])
    func levelsUsePythonNames(level: Logger.Level, name: String) {
        #expect(formatter.format(record(level, "m")).contains(" 12345 \(name) magnum_capi_worker.rpc "))
    }

    @Test func debugLinesEndWithFunctionAndFileLikeOslosSuffix() {
        #expect(formatter.format(record(.debug, "decoded")).hasSuffix("[-] decoded handle(_:) Worker/Dispatcher.swift:42"))
        #expect(formatter.format(record(.info, "decoded")).hasSuffix("[-] decoded"))
    }

    @Test func valuesWithSpacesQuotesOrEqualsAreQuoted() {
        let line = formatter.format(record(.info, "m", [
            "reason": "chart not found", "empty": "", "expr": "a=b", "plain": "x", "quote": #"say "hi""#,
            "list": ["a", "b"], "dict": ["k": "v"],
        ]))
        #expect(line.hasSuffix(#"[-] m dict={"k":"v"} empty="" expr="a=b" list=["a","b"] plain=x quote="say \"hi\"" reason="chart not found""#))
    }

    @Test func errorsFollowTheMessageLikeOslosErrorSummary() {
        #expect(formatter.format(record(.error, "helm failed", error: "timed out after 5m")).hasSuffix("[-] helm failed: timed out after 5m"))
    }

    @Test func multiLineMessagesRepeatThePrefixOnEveryLine() {
        let line = formatter.format(record(.error, "Traceback:\n  line 1\r\n  line 2", ["request_id": "req-1"]))
        let lines = line.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        for l in lines {
            #expect(l.hasPrefix("2026-11-26 04:41:05.123 12345 ERROR magnum_capi_worker.rpc [req-1 - - - - - -] "))
        }
        #expect(lines[2].hasSuffix("  line 2"))
    }

    @Test func terminalControlCharactersAreWrittenAsEscapes() {
        let line = formatter.format(record(.info, "evil \u{1B}[2Jcleared\u{0}"))
        #expect(line.hasSuffix(#"[-] evil \x1b[2Jcleared\x00"#))
        #expect(!line.contains("\u{1B}"))
    }

    @Test func dateFormatFollowsLogDateFormat() {
        let f = OsloLogFormatter(dateFormat: "%d/%m/%Y %H:%M:%S", localTime: false)
        #expect(f.format(record(.info, "m")).hasPrefix("26/11/2026 04:41:05.123 12345 INFO "))
    }

    @Test func millisecondsAreTruncatedNotRounded() {
        let r = LogRecord(time: 1_795_668_065.9999, level: .info, logger: "l", message: "m", metadata: [:], pid: 1)
        #expect(formatter.format(r).hasPrefix("2026-11-26 04:41:05.999 1 INFO l [-] m"))
    }

    @Test func loggerNamesArePrefixedOnce() {
        #expect(LogRecord.loggerName(forLabel: "rpc") == "magnum_capi_worker.rpc")
        #expect(LogRecord.loggerName(forLabel: "magnum_capi_worker.helm") == "magnum_capi_worker.helm")
        #expect(LogRecord.loggerName(forLabel: "") == "magnum_capi_worker")
    }
}
