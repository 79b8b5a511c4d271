public import ClusterStore
import JSON
public import MagnumObjects
public import OsloConfig

/// The `[drivers]` options that decide which driver serves a template.
public struct DriverSelectionOptions: Sendable, Equatable {
    /// `[drivers] disabled_drivers`: entry-point names left out of the type lookup.
    public var disabledDrivers: [String]
    /// `[drivers] enabled_beta_drivers`: beta drivers that may be used.
    public var enabledBetaDrivers: [String]

    public init(disabledDrivers: [String] = [], enabledBetaDrivers: [String] = []) {
        self.disabledDrivers = disabledDrivers
        self.enabledBetaDrivers = enabledBetaDrivers
    }

    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("drivers", "disabled_drivers", .list, default: "",
                   help: "Disabled driver entry points. If empty, then all available drivers are enabled."),
        OptionSpec("drivers", "enabled_beta_drivers", .list, default: "",
                   help: "List of beta drivers to enable. Beta drivers are not intended for production."),
    ]

    public init(configuration: Configuration) throws {
        self.init(disabledDrivers: try configuration.list("drivers", "disabled_drivers") ?? [],
                  enabledBetaDrivers: try configuration.list("drivers", "enabled_beta_drivers") ?? [])
    }
}

/// The drivers this worker has, by entry-point name (`k8s_capi_helm_v1`), and Magnum's rules for
/// picking one (`Driver.get_driver` / `get_driver_for_cluster`): a template naming a driver gets
/// that driver; otherwise its `(server_type, cluster_distro, coe)` must be provided by exactly
/// the enabled driver registered last for that type; beta drivers must be enabled by name.
public struct ClusterDriverRegistry: Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let driver: any ClusterDriver

        public init(name: String, driver: any ClusterDriver) {
            self.name = name
            self.driver = driver
        }
    }

    public let entries: [Entry]
    public let options: DriverSelectionOptions

    public init(_ entries: [Entry], options: DriverSelectionOptions = DriverSelectionOptions()) {
        self.entries = entries
        self.options = options
    }

    /// `Driver.get_drivers()`: cluster type → (name, driver) over the enabled entry points;
    /// a later entry point providing the same type wins, as in Magnum.
    public var definitions: [ClusterType: Entry] {
        var map: [ClusterType: Entry] = [:]
        for entry in entries where !options.disabledDrivers.contains(entry.name) {
            for type in entry.driver.provides { map[type] = entry }
        }
        return map
    }

    /// `Driver.get_driver(server_type, os, coe, driver_name)`.
    public func driver(serverType: String?, os: String?, coe: String?, driverName: String?) throws(MagnumError) -> any ClusterDriver {
        if let driverName, !driverName.isEmpty {
            // Magnum loads a named driver through its entry point, disabled or not.
            guard let entry = entries.last(where: { $0.name == driverName }) else {
                throw MagnumError("ClusterDriverNotSupported", ["driver_name": .string(driverName)])
            }
            return entry.driver
        }
        let type = ClusterType(serverType: serverType, os: os, coe: coe)
        let definitions = self.definitions
        guard let entry = definitions[type] else {
            let supported = definitions.keys.sorted().map(\.description).joined(separator: ", ")
            throw MagnumError("ClusterTypeNotSupported", [
                "server_type": JSONValue(serverType), "os": JSONValue(os), "coe": JSONValue(coe),
                "supported_cluster_types": .string(supported.isEmpty ? "none (no cluster drivers are loaded)" : supported),
            ])
        }
        if entry.driver.isBeta && !options.enabledBetaDrivers.contains(entry.name) {
            throw MagnumError("ClusterTypeBetaNotEnabled", [
                "server_type": JSONValue(serverType), "os": JSONValue(os), "coe": JSONValue(coe),
                "driver_name": .string(entry.name),
            ])
        }
        return entry.driver
    }

    /// The driver for a template (`get_driver(ct.server_type, ct.cluster_distro, ct.coe, ct.driver)`).
    public func driver(for template: ClusterTemplate) throws(MagnumError) -> any ClusterDriver {
        try driver(serverType: template.serverType, os: template.clusterDistro, coe: template.coe, driverName: template.driver)
    }

    /// `Driver.get_driver_for_cluster(context, cluster)`: the cluster's template read with the
    /// caller's scope (`ClusterTemplateNotFound` when it cannot see it), then its driver.
    public func driver(for cluster: Cluster, store: any ClusterStore, context: StoreContext) async throws -> any ClusterDriver {
        let template = try await store.clusterTemplate(uuid: cluster.clusterTemplateId ?? "None", context: context)
        return try driver(for: template)
    }
}
