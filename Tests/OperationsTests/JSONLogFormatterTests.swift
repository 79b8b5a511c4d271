import JSON
import Logging
import Operations
import Testing

/// One JSON object per record, for log pipelines.
@Suite struct JSONLogFormatterTests {
    func record(_ metadata: Logger.Metadata, error: String? = nil, message: String = "cluster created") -> LogRecord {
        LogRecord(time: 1_795_668_065.123_4, level: .info, logger: "magnum_capi_worker.driver", message: message,
                  metadata: metadata, error: error, source: "CapiHelmDriver", file: "CapiHelmDriver/Driver.swift",
                  function: "create(_:)", line: 7, pid: 4242)
    }

    @Test func everyRecordIsOneJSONObjectWithTheDocumentedFields() throws {
        let line = JSONLogFormatter().format(record([
            "msg_id": "2f3c4d5e6f708192a3b4c5d6e7f80912",
            "cluster_uuid": "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70",
            "request_id": "req-6f1c2a7e",
            "attempt": .stringConvertible(3),
            "nodegroups": ["default-master", "default-worker"],
        ]))
        #expect(!line.contains("\n"))
        let object = try JSONValue(parsing: line)
        #expect(object["timestamp"] == "2026-11-26T04:41:05.123Z")
        #expect(object["level"] == "INFO")
        #expect(object["logger"] == "magnum_capi_worker.driver")
        #expect(object["message"] == "cluster created")
        #expect(object["pid"] == 4242)
        #expect(object["hostname"]?.stringValue?.isEmpty == false)
        #expect(object["metadata"] == [
            "attempt": "3",
            "cluster_uuid": "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70",
            "msg_id": "2f3c4d5e6f708192a3b4c5d6e7f80912",
            "nodegroups": ["default-master", "default-worker"],
            "request_id": "req-6f1c2a7e",
        ])
        #expect(object["metadata"]?.objectValue.map { Array($0.keys) } == ["attempt", "cluster_uuid", "msg_id", "nodegroups", "request_id"])
        #expect(object["source"] == "CapiHelmDriver")
        #expect(object["function"] == "create(_:)")
        #expect(object["file"] == "CapiHelmDriver/Driver.swift")
        #expect(object["line"] == 7)
        #expect(object["error"] == nil)
    }

    @Test func withoutContextMetadataIsAnEmptyObject() throws {
        let object = try JSONValue(parsing: JSONLogFormatter().format(record([:])))
        #expect(object["metadata"] == .object([:]))
    }

    @Test func errorsAndMultiLineMessagesStayInsideTheObject() throws {
        let line = JSONLogFormatter().format(record([:], error: "HelmError(timeout)", message: "line one\nline \"two\"\u{1B}"))
        #expect(!line.contains("\n"))
        let object = try JSONValue(parsing: line)
        #expect(object["message"] == "line one\nline \"two\"\u{1B}")
        #expect(object["error"] == "HelmError(timeout)")
    }
}
