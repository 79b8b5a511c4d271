import Foundation
import JSON
import Logging
import Operations
import Testing

/// The handler every log call goes through: levels, metadata, and redaction nobody can skip.
@Suite struct WorkerLogHandlerTests {
    @Test func levelFilteringFollowsDebugOption() throws {
        let capture = LogCapture()
        let logging = OperationsLogging(output: LogOutput(
            formatter: OsloLogFormatter(localTime: false), redactor: LogRedactor(), sinks: [capture], level: .info))
        let logger = Logger(label: "levels") { logging.makeHandler(label: $0) }
        logger.debug("hidden at INFO")
        logger.info("shown")
        logger.warning("shown too")
        #expect(capture.messages == ["shown", "shown too"])

        // [DEFAULT] debug = true: existing loggers follow the new configuration.
        logging.use(LogOutput(formatter: OsloLogFormatter(localTime: false), redactor: LogRedactor(),
                              sinks: [capture], level: .debug))
        logger.debug("now shown")
        logger.trace("never at DEBUG")
        #expect(capture.messages == ["shown", "shown too", "now shown"])

        var quiet = logger
        quiet.logLevel = .error
        quiet.warning("below this logger's own level")
        #expect(capture.messages.count == 3)
    }

    @Test func metadataPrecedenceIsCallSiteThenProviderThenHandler() {
        let provider = Logger.MetadataProvider { ["request_id": "req-from-provider", "source": "provider"] }
        let capture = LogCapture()
        let output = LogOutput(formatter: JSONLogFormatter(), redactor: LogRedactor(), sinks: [capture], level: .trace)
        var logger = Logger(label: "meta") { WorkerLogHandler(label: $0, output: output, metadataProvider: provider) }
        logger[metadataKey: "cluster_uuid"] = "c-1"
        logger[metadataKey: "source"] = "handler"
        logger.info("m", metadata: ["msg_id": "m-1", "source": "call"])
        let record = capture.entries[0].record
        #expect(record.metadata == ["cluster_uuid": "c-1", "request_id": "req-from-provider", "msg_id": "m-1", "source": "call"])
    }

    @Test func messagesMetadataErrorsAndLabelsAreRedactedBeforeWriting() throws {
        struct ConnectError: Error, CustomStringConvertible {
            var description: String { "cannot connect to amqp://magnum:ErrPass1@mq:5672/" }
        }
        struct Credentials: CustomStringConvertible {
            var description: String { "Credentials(password=DescPass2)" }
        }
        let secrets = KnownSecrets(["RegisteredSecret3"])
        for format in LogFormat.allCases {
            let (base, capture) = CapturingLogHandler.logger(label: "label-RegisteredSecret3", format: format,
                                                              knownSecrets: secrets)
            var logger = base
            logger[metadataKey: "token"] = "HandlerToken4"
            logger.error("login with password=MsgPass5 failed RegisteredSecret3", error: ConnectError(),
                         metadata: ["creds": .stringConvertible(Credentials()), "kubeconfig": "token: KubeToken6",
                                    "nested": ["app": ["application_credential_secret": "AppSecret7"]]])
            let text = capture.text
            for secret in ["ErrPass1", "DescPass2", "RegisteredSecret3", "HandlerToken4", "MsgPass5", "KubeToken6", "AppSecret7"] {
                #expect(!text.contains(secret), "\(format): \(secret) written: \(text)")
            }
            #expect(text.contains("amqp://magnum:***@mq:5672/"))
            #expect(text.contains("password=***"))
            if format == .json {
                #expect(try JSONValue(parsing: capture.lines[0])["error"] == "cannot connect to amqp://magnum:***@mq:5672/")
            }
        }
    }

    @Test func capturedLinesAreExactlyWhatAFileWouldGet() throws {
        let dir = try TemporaryDirectory()
        let capture = LogCapture()
        let output = LogOutput(formatter: OsloLogFormatter(localTime: false), redactor: LogRedactor(),
                               sinks: [capture, try LogFile(path: dir.file("w.log"))], level: .info)
        let logger = Logger(label: "same") { WorkerLogHandler(label: $0, output: output) }
        logger.info("a", metadata: ["request_id": "req-1", "password": "p"])
        logger.warning("b\nc")
        #expect(capture.text == dir.read("w.log"))
        #expect(capture.lines.count == 3)
        #expect(capture.lines[0].hasSuffix(" INFO magnum_capi_worker.same [req-1 - - - - - -] a password=***"))
    }

    @Test func bootstrapHelperInstallsAFactoryThatFollowsConfigure() throws {
        // LoggingSystem.bootstrap may run once per process; this test checks the factory it installs.
        let logging = OperationsLogging()
        let capture = LogCapture()
        logging.use(LogOutput(formatter: OsloLogFormatter(localTime: false), redactor: LogRedactor(knownSecrets: logging.knownSecrets),
                              sinks: [capture], level: .info))
        logging.knownSecrets.register("LateSecret8")
        let logger = Logger(label: "boot") { logging.makeHandler(label: $0) }
        logger.info("uses LateSecret8")
        #expect(capture.messages == ["uses ***"])
    }

    @Test func aLogFileThatCannotBeOpenedKeepsThePreviousOutput() throws {
        let capture = LogCapture()
        let logging = OperationsLogging(output: LogOutput(
            formatter: OsloLogFormatter(localTime: false), redactor: LogRedactor(), sinks: [capture], level: .info))
        let dir = try TemporaryDirectory()
        #expect(throws: LogFileError.self) {
            try logging.configure(LoggingSettings(destinations: [.file(path: dir.file("no/such/dir/w.log"))]))
        }
        let logger = Logger(label: "fallback") { logging.makeHandler(label: $0) }
        logger.info("still logged")
        #expect(capture.messages == ["still logged"])
    }

    @Test func configureSwitchesFormatAndDestination() throws {
        let dir = try TemporaryDirectory()
        let logging = OperationsLogging()
        let logger = Logger(label: "switch") { logging.makeHandler(label: $0) }
        try logging.configure(LoggingSettings(level: .debug, format: .json, destinations: [.file(path: dir.file("w.log"))]))
        logger.debug("as json", metadata: ["cluster_uuid": "c-1"])
        let object = try JSONValue(parsing: dir.read("w.log").trimmingCharacters(in: .newlines))
        #expect(object["level"] == "DEBUG")
        #expect(object["logger"] == "magnum_capi_worker.switch")
        #expect(object["metadata"] == ["cluster_uuid": "c-1"])
    }
}
