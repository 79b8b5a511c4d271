import Foundation
public import OsloConfig
public import OsloMessaging

/// The magnum.conf options the conductor service honours: Magnum's own (same names, defaults
/// and meaning) and a few of the worker's in `[capi_worker]`. See docs/conductor.md.
public struct ConductorOptions: Sendable, Equatable {
    /// `[DEFAULT] host`: the RPC server name, the `magnum_service` row's host and the notifier's
    /// `container-infra.<host>`. Default: this machine's host name.
    public var host: String
    /// `[conductor] topic`.
    public var topic: String
    /// `[DEFAULT] control_exchange` (Magnum sets `magnum`).
    public var controlExchange: String
    /// `[DEFAULT] periodic_enable`: the status and health syncs (the heartbeat always runs).
    public var periodicEnable: Bool
    /// `[DEFAULT] periodic_interval_max`: the longest a periodic timer sleeps; bounds the heartbeat.
    public var periodicIntervalMax: Int
    /// `[DEFAULT] service_down_time`: how old a heartbeat may be for the service to count as up.
    public var serviceDownTime: Int
    /// `[kubernetes] health_polling_interval`: seconds between health syncs; negative disables.
    public var healthPollingInterval: Int
    /// `[DEFAULT] rpc_ping_enabled` (oslo.messaging): answer `oslo_rpc_server_ping`.
    public var rpcPingEnabled: Bool
    /// `[oslo_messaging_notifications] driver` / `topics`.
    public var notificationDriver: NotificationDriver
    public var notificationTopics: [String]
    /// `[audit] namespace` (pycadf): the namespace of CADF event ids.
    public var auditNamespace: String
    /// `[capi_worker] status_sync_interval`: seconds between status syncs (Magnum: 10).
    public var statusSyncInterval: Double
    /// `[capi_worker] periodic_max_concurrency`: clusters synced at once.
    public var periodicMaxConcurrency: Int
    /// `[capi_worker] status_update_notifications`: send `magnum.cluster.status_update`.
    public var statusUpdateNotifications: Bool

    public init(host: String = ConductorOptions.defaultHost, topic: String = "magnum-conductor", controlExchange: String = "magnum",
                periodicEnable: Bool = true, periodicIntervalMax: Int = 60, serviceDownTime: Int = 180,
                healthPollingInterval: Int = 60, rpcPingEnabled: Bool = false, notificationDriver: NotificationDriver = .noop,
                notificationTopics: [String] = ["notifications"], auditNamespace: String = "openstack",
                statusSyncInterval: Double = 10, periodicMaxConcurrency: Int = 8, statusUpdateNotifications: Bool = true) {
        self.host = host
        self.topic = topic
        self.controlExchange = controlExchange
        self.periodicEnable = periodicEnable
        self.periodicIntervalMax = periodicIntervalMax
        self.serviceDownTime = serviceDownTime
        self.healthPollingInterval = healthPollingInterval
        self.rpcPingEnabled = rpcPingEnabled
        self.notificationDriver = notificationDriver
        self.notificationTopics = notificationTopics
        self.auditNamespace = auditNamespace
        self.statusSyncInterval = statusSyncInterval
        self.periodicMaxConcurrency = periodicMaxConcurrency
        self.statusUpdateNotifications = statusUpdateNotifications
    }

    /// Seconds between heartbeats: `periodic_interval_max` as in Magnum, but at least three
    /// reports per `service_down_time`, so a short down time does not make the service flap.
    public var heartbeatInterval: Double {
        max(0.05, min(Double(periodicIntervalMax), Double(serviceDownTime) / 3))
    }

    public static let workerGroup = "capi_worker"

    /// This machine's host name (Magnum's notifier falls back to the FQDN the same way).
    public static var defaultHost: String { ProcessInfo.processInfo.hostName }

    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("DEFAULT", "host", .string,
                   help: "Name of this node: the RPC server name, the magnum_service host and the notification publisher."),
        OptionSpec("DEFAULT", "control_exchange", .string, default: "magnum",
                   help: "The exchange RPC and notifications are sent to."),
        OptionSpec("conductor", "topic", .string, default: "magnum-conductor", help: "The queue to add conductor tasks to."),
        OptionSpec("conductor", "workers", .integer(min: 1, max: nil),
                   help: "Ignored: the worker runs one process; see [capi_worker] periodic_max_concurrency."),
        OptionSpec("DEFAULT", "periodic_enable", .boolean, default: "true", help: "Enable periodic tasks."),
        OptionSpec("DEFAULT", "periodic_interval_max", .integer(min: 1, max: nil), default: "60",
                   help: "Max interval size between periodic tasks execution in seconds."),
        OptionSpec("DEFAULT", "service_down_time", .integer(min: 1, max: nil), default: "180",
                   help: "Max interval size between periodic tasks execution in seconds."),
        OptionSpec("kubernetes", "health_polling_interval", .integer, default: "60",
                   help: "The default polling interval for Kubernetes cluster health. If this number is negative the periodic task will be disabled."),
        OptionSpec("DEFAULT", "rpc_ping_enabled", .boolean, default: "false",
                   help: "Add an endpoint to answer to ping calls (oslo_rpc_server_ping)."),
        OptionSpec("oslo_messaging_notifications", "driver", .multiString,
                   help: "The drivers to handle sending notifications: messagingv2, messaging or noop."),
        OptionSpec("oslo_messaging_notifications", "topics", .list, default: "notifications",
                   help: "AMQP topic used for OpenStack notifications."),
        OptionSpec("audit", "namespace", .string, default: "openstack", help: "namespace prefix for generated id"),
        OptionSpec(workerGroup, "status_sync_interval", .float(min: 0.1, max: nil), default: "10",
                   help: "Seconds between two runs of the cluster status sync (Magnum: 10)."),
        OptionSpec(workerGroup, "periodic_max_concurrency", .integer(min: 1, max: 256), default: "8",
                   help: "Clusters the status and health syncs work on at the same time."),
        OptionSpec(workerGroup, "status_update_notifications", .boolean, default: "true",
                   help: "Send magnum.cluster.status_update on every cluster status change."),
    ]

    public init(configuration: Configuration) throws {
        self.init()
        if let v = try configuration.string("DEFAULT", "host"), !v.isEmpty { host = v }
        if let v = try configuration.string("DEFAULT", "control_exchange") { controlExchange = v }
        if let v = try configuration.string("conductor", "topic") { topic = v }
        if let v = try configuration.bool("DEFAULT", "periodic_enable") { periodicEnable = v }
        if let v = try configuration.int("DEFAULT", "periodic_interval_max") { periodicIntervalMax = v }
        if let v = try configuration.int("DEFAULT", "service_down_time") { serviceDownTime = v }
        if let v = try configuration.int("kubernetes", "health_polling_interval") { healthPollingInterval = v }
        if let v = try configuration.bool("DEFAULT", "rpc_ping_enabled") { rpcPingEnabled = v }
        notificationDriver = try Self.notificationDriver(try configuration.multi("oslo_messaging_notifications", "driver"))
        if let v = try configuration.list("oslo_messaging_notifications", "topics") { notificationTopics = v }
        if let v = try configuration.string("audit", "namespace") { auditNamespace = v }
        if let v = try configuration.double(Self.workerGroup, "status_sync_interval") { statusSyncInterval = v }
        if let v = try configuration.int(Self.workerGroup, "periodic_max_concurrency") { periodicMaxConcurrency = v }
        if let v = try configuration.bool(Self.workerGroup, "status_update_notifications") { statusUpdateNotifications = v }
    }

    /// oslo.messaging loads every driver listed; no driver sends nothing. We send with
    /// `messagingv2` (or `messaging`) when listed, and refuse drivers we do not implement
    /// (`log`, `routing`, ...) rather than silently dropping what an operator asked for.
    static func notificationDriver(_ names: [String]) throws -> NotificationDriver {
        let drivers = names.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        for name in drivers where !["messagingv2", "messaging", "noop"].contains(name) {
            throw ConfigError(option: OptionName("oslo_messaging_notifications", "driver"), location: nil,
                              message: "notification driver \(name.debugDescription) is not supported by magnum-capi-worker (use messagingv2, messaging or noop)")
        }
        if drivers.contains("messagingv2") { return .messagingV2 }
        if drivers.contains("messaging") { return .messaging }
        return .noop
    }
}
