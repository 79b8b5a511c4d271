public import OsloConfig

/// The options the operations layer reads: oslo.log's `[DEFAULT]` logging options that we honour
/// (so an existing magnum.conf keeps working), the ones we recognise but do not implement (so they
/// are reported, not silently ignored), and our own `[capi_worker]` options for the metrics and
/// health endpoints.
public enum OperationsOptions {
    /// The group of the worker's own options.
    public static let group = "capi_worker"

    /// magnum-api listens on 9511; 9512 is the next port, unused by any OpenStack service
    /// (Keystone 5000, Nova 8774/6080, Neutron 9696, Glance 9292, Cinder 8776, Heat 8004/8000,
    /// Octavia 9876, Barbican 9311, Designate 9001, Placement 8778, Ironic 6385, Magnum 9511),
    /// and sits next to Magnum's so firewall rules and runbooks keep them together.
    public static let defaultMetricsPort = 9512

    /// `[DEFAULT]` options of oslo.log that we honour, with oslo.log's defaults and meaning.
    public static let loggingOptions: [OptionSpec] = [
        OptionSpec("DEFAULT", "debug", .boolean, default: "false",
                   help: "If set to true, the logging level will be set to DEBUG instead of the default INFO level."),
        OptionSpec("DEFAULT", "log_file", .string, deprecatedNames: [OptionName("DEFAULT", "logfile")],
                   help: "(Optional) Name of log file to send logging output to. If no default is set, logging will "
                       + "go to stderr as defined by use_stderr, or to stdout when use_stderr is false. The file is "
                       + "reopened on SIGHUP and when it has been moved or removed (logrotate)."),
        OptionSpec("DEFAULT", "log_dir", .string, deprecatedNames: [OptionName("DEFAULT", "logdir")],
                   help: "(Optional) The base directory used for relative log_file paths. With log_dir alone the "
                       + "file is <log_dir>/magnum-capi-worker.log."),
        OptionSpec("DEFAULT", "use_stderr", .boolean, default: "false",
                   help: "Log output to standard error (in addition to log_file when both are set)."),
        OptionSpec("DEFAULT", "use_json", .boolean, default: "false",
                   help: "Use JSON formatting for logging (same as [capi_worker] log_format = json)."),
        OptionSpec("DEFAULT", "log_date_format", .string, default: "%Y-%m-%d %H:%M:%S",
                   help: "Format string (strftime) for the timestamp of oslo-format log lines; milliseconds are "
                       + "appended as .NNN."),
    ]

    /// oslo.log options an operator may have set that we do not implement: reported at startup
    /// (`OperationsSettings.warnings`) when set, instead of being taken as unknown or ignored.
    public static let unsupportedLoggingOptions: [OptionSpec] = [
        OptionSpec("DEFAULT", "log_config_append", .string, deprecatedNames: [OptionName("DEFAULT", "log_config")],
                   help: "Not supported by magnum-capi-worker (Python logging configuration files)."),
        OptionSpec("DEFAULT", "use_syslog", .boolean, default: "false",
                   help: "Not supported by magnum-capi-worker; use log_file, or stdout/stderr under systemd-journald."),
        OptionSpec("DEFAULT", "use_journal", .boolean, default: "false",
                   help: "Not supported by magnum-capi-worker; standard output under systemd goes to the journal."),
        OptionSpec("DEFAULT", "syslog_log_facility", .string, default: "LOG_USER",
                   help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "log_color", .boolean, default: "false", help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "log_rotation_type", .string, default: "none",
                   help: "Not supported by magnum-capi-worker: rotate with logrotate (the file is reopened on SIGHUP "
                       + "or when moved)."),
        OptionSpec("DEFAULT", "log_rotate_interval", .integer, default: "1", help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "log_rotate_interval_type", .string, default: "days", help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "max_logfile_count", .integer, default: "30", help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "max_logfile_size_mb", .integer, default: "200", help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "logging_context_format_string", .string,
                   help: "Not supported by magnum-capi-worker: the line format is fixed to oslo.log's default."),
        OptionSpec("DEFAULT", "logging_default_format_string", .string,
                   help: "Not supported by magnum-capi-worker: the line format is fixed to oslo.log's default."),
        OptionSpec("DEFAULT", "logging_debug_format_suffix", .string,
                   help: "Not supported by magnum-capi-worker: the line format is fixed to oslo.log's default."),
        OptionSpec("DEFAULT", "logging_exception_prefix", .string,
                   help: "Not supported by magnum-capi-worker: the line format is fixed to oslo.log's default."),
        OptionSpec("DEFAULT", "logging_user_identity_format", .string,
                   help: "Not supported by magnum-capi-worker: the line format is fixed to oslo.log's default."),
        OptionSpec("DEFAULT", "default_log_levels", .list,
                   help: "Not supported by magnum-capi-worker (per-library levels of Python loggers)."),
        OptionSpec("DEFAULT", "publish_errors", .boolean, default: "false", help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "rate_limit_interval", .integer, default: "0", help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "rate_limit_burst", .integer, default: "0", help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "rate_limit_except_level", .string, default: "CRITICAL",
                   help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "instance_format", .string, help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "instance_uuid_format", .string, help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "fatal_deprecations", .boolean, default: "false", help: "Not supported by magnum-capi-worker."),
        OptionSpec("DEFAULT", "watch_log_file", .boolean, default: "false",
                   help: "Not needed: the log file is always watched (reopened when moved or removed)."),
    ]

    /// `[capi_worker]` options of the operations layer.
    public static let workerOptions: [OptionSpec] = [
        OptionSpec(group, "log_format", .string(choices: ["oslo", "json"]), default: "oslo",
                   help: "Log line format: 'oslo' writes lines shaped like oslo.log's default "
                       + "(timestamp pid LEVEL logger [request context] message key=value...); 'json' writes one JSON "
                       + "object per line. [DEFAULT] use_json = true also selects json."),
        OptionSpec(group, "metrics_enabled", .boolean, default: "true",
                   help: "Serve /metrics (Prometheus text format), /healthz (liveness) and /readyz (readiness) over "
                       + "HTTP on metrics_bind_address:metrics_port."),
        OptionSpec(group, "metrics_bind_address", .string, default: "127.0.0.1",
                   help: "Address the metrics and health endpoints listen on. The default keeps them on the loopback "
                       + "interface; set the host's management address (or 0.0.0.0 / ::) for a remote Prometheus "
                       + "and restrict it with a firewall: the endpoints have no authentication."),
        OptionSpec(group, "metrics_port", .port, default: String(defaultMetricsPort),
                   help: "TCP port of the metrics and health endpoints. 9512 by default: next to magnum-api's 9511 "
                       + "and not used by any other OpenStack service."),
        OptionSpec(group, "readiness_check_timeout", .float(min: 0.1, max: 300), default: "5",
                   help: "Seconds one readiness check (broker, database, helm, management cluster) may take before "
                       + "it is reported as failed."),
        OptionSpec(group, "readiness_cache_seconds", .float(min: 0, max: 300), default: "2",
                   help: "Seconds a readiness result is reused, so frequent probes and scrapes cannot overload the "
                       + "broker, the database or the Kubernetes API."),
    ]

    /// Every option above, for the program's `OptionRegistry`.
    public static var all: [OptionSpec] { loggingOptions + unsupportedLoggingOptions + workerOptions }

    /// Registers every option of this layer.
    public static func register(in registry: inout OptionRegistry) {
        for spec in all { registry.register(spec) }
    }
}
