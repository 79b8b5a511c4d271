import Logging
import Operations
import OsloConfig
import Testing

/// magnum.conf's logging options mean here what oslo.log makes them mean.
@Suite struct OperationsSettingsTests {
    func settings(_ text: String) throws -> OperationsSettings {
        var registry = OptionRegistry()
        OperationsOptions.register(in: &registry)
        let file = try ConfigFile(path: "/etc/magnum/magnum.conf", contents: text)
        return try OperationsSettings(configuration: Configuration(registry: registry, files: [file]))
    }

    @Test func defaultsAreOslosDefaultsAndLoopbackOnPort9512() throws {
        let s = try settings("")
        #expect(s.logging.level == .info)
        #expect(s.logging.format == .oslo)
        #expect(s.logging.destinations == [.standardOutput])
        #expect(s.logging.dateFormat == "%Y-%m-%d %H:%M:%S")
        #expect(s.http == HTTPEndpointSettings(enabled: true, host: "127.0.0.1", port: 9512))
        #expect(s.readiness == ReadinessSettings(checkTimeout: .seconds(5), cacheDuration: .seconds(2)))
        #expect(s.warnings.isEmpty)
        #expect(OperationsOptions.defaultMetricsPort != 9511)
    }

    @Test func debugLogFileAndStderr() throws {
        let s = try settings("""
            [DEFAULT]
            debug = True
            log_dir = /var/log/magnum
            log_file = worker.log
            use_stderr = true
            """)
        #expect(s.logging.level == .debug)
        #expect(s.logging.destinations == [.file(path: "/var/log/magnum/worker.log"), .standardError])
    }

    @Test(arguments: [
        ("/var/log/a.log", nil, "/var/log/a.log"),
        ("a.log", "/var/log/magnum", "/var/log/magnum/a.log"),
        ("/abs/a.log", "/var/log/magnum", "/abs/a.log"),
        (nil, "/var/log/magnum/", "/var/log/magnum/magnum-capi-worker.log"),
    ] as [(String?, String?, String)])
    func logFilePathFollowsOsloLog(file: String?, dir: String?, expected: String) {
        #expect(OperationsSettings.logFilePath(logFile: file, logDir: dir, programName: "magnum-capi-worker") == expected)
    }

    @Test func logFileAloneMeansNoConsoleOutput() throws {
        let s = try settings("[DEFAULT]\nlogfile = /tmp/old-name.log\n")
        #expect(s.logging.destinations == [.file(path: "/tmp/old-name.log")])
    }

    @Test func jsonFromEitherOption() throws {
        #expect(try settings("[capi_worker]\nlog_format = json\n").logging.format == .json)
        let s = try settings("[DEFAULT]\nuse_json = true\n[capi_worker]\nlog_format = oslo\n")
        #expect(s.logging.format == .json)
        #expect(s.warnings == ["[DEFAULT] use_json = true overrides [capi_worker] log_format = oslo"])
    }

    @Test func endpointAndReadinessOptions() throws {
        let s = try settings("""
            [capi_worker]
            metrics_bind_address = 192.0.2.10
            metrics_port = 19512
            metrics_enabled = false
            readiness_check_timeout = 1.5
            readiness_cache_seconds = 0
            """)
        #expect(s.http == HTTPEndpointSettings(enabled: false, host: "192.0.2.10", port: 19512))
        #expect(s.readiness == ReadinessSettings(checkTimeout: .milliseconds(1500), cacheDuration: .zero))
    }

    @Test(arguments: [
        "[capi_worker]\nlog_format = xml\n",
        "[capi_worker]\nmetrics_port = 70000\n",
        "[DEFAULT]\ndebug = maybe\n",
        "[capi_worker]\nreadiness_check_timeout = 0\n",
    ])
    func badValuesAreErrorsNamingTheOption(_ text: String) throws {
        #expect(throws: ConfigError.self) { try settings(text) }
    }

    @Test func unsupportedOsloLogOptionsAreReportedWithTheirLocation() throws {
        let s = try settings("[DEFAULT]\nuse_syslog = true\nlog_config_append = /etc/magnum/logging.conf\n")
        #expect(s.warnings == [
            "[DEFAULT] log_config_append is set (/etc/magnum/magnum.conf:3) but is not supported by magnum-capi-worker and has no effect",
            "[DEFAULT] use_syslog is set (/etc/magnum/magnum.conf:2) but is not supported by magnum-capi-worker and has no effect",
        ])
    }

    @Test func everyOptionHasHelpAndIsKnownToValidation() throws {
        var registry = OptionRegistry()
        OperationsOptions.register(in: &registry)
        for spec in OperationsOptions.all { #expect(!spec.help.isEmpty, "\(spec.name)") }
        let file = try ConfigFile(path: "c", contents: "[DEFAULT]\ndebug = true\nuse_journal = false\n[capi_worker]\nmetrics_port = 9512\n")
        let (errors, warnings) = Configuration(registry: registry, files: [file]).validate()
        #expect(errors.isEmpty)
        #expect(warnings.isEmpty)
    }
}
