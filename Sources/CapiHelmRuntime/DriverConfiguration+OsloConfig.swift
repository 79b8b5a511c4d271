public import CapiHelmDriver
import JSON
public import OsloConfig

extension DriverConfiguration {
    /// The driver's options from `magnum.conf` as `OsloConfig` read it (files, `--config-dir`,
    /// interpolation, deprecated names): every option of `[capi_helm]`,
    /// `[capi_helm_cluster_labels]`, `[cinder]`, `[drivers]` and the `[capi_worker]` switches that
    /// the files set is handed over as text, so `DriverConfiguration` applies oslo.config's
    /// conversions and choices and its own defaults to the rest. The options must be registered
    /// (`CapiHelmRuntimeOptions.register`).
    ///
    /// - Throws: `ConfigError` naming the option (and the file line) of a bad value.
    public init(configuration: Configuration) throws(ConfigError) {
        var sections: [String: [String: JSONValue]] = [:]
        for group in CapiHelmRuntimeOptions.driverGroups {
            for spec in group where configuration.isSet(spec.name) {
                do {
                    if let text = try configuration.text(spec.name) {
                        sections[spec.name.group, default: [:]][spec.name.name] = .string(text)
                    }
                } catch let error as ConfigError {
                    throw error
                } catch {
                    throw ConfigError(option: spec.name, location: configuration.location(of: spec.name), message: "\(error)")
                }
            }
        }
        do {
            try self.init(sections: sections)
        } catch {
            let name = OptionName(error.section, error.option)
            throw ConfigError(option: name, location: configuration.location(of: name), message: error.message)
        }
    }
}
