import ArgumentParser
import CapiHelmRuntime
import Foundation
import Operations
import OsloConfig
import OsloMessaging
import Worker

/// `--config-file` / `--config-dir`, as every OpenStack service takes them.
struct ConfigFileOptions: ParsableArguments {
    @Option(name: .customLong("config-file"),
            help: ArgumentHelp("A magnum.conf to read; repeat for several (later files win). Default: the first of ~/.magnum/magnum.conf, ~/magnum.conf, /etc/magnum/magnum.conf, /etc/magnum.conf that exists, as oslo.config finds it.",
                               valueName: "path"))
    var configFiles: [String] = []

    @Option(name: .customLong("config-dir"),
            help: ArgumentHelp("A directory of *.conf files read after the config files, in name order; repeatable. Default: magnum.conf.d next to the default config file, when present.",
                               valueName: "dir"))
    var configDirs: [String] = []

    /// The files oslo.config would read: the given ones, else the first default that exists.
    func resolved() -> (files: [String], dirs: [String]) {
        if !configFiles.isEmpty || !configDirs.isEmpty { return (configFiles, configDirs) }
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let directories = ["\(home)/.magnum", home, "/etc/magnum", "/etc"]
        for directory in directories where FileManager.default.isReadableFile(atPath: "\(directory)/magnum.conf") {
            let dir = "\(directory)/magnum.conf.d"
            var isDirectory: ObjCBool = false
            let dirs = FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) && isDirectory.boolValue ? [dir] : []
            return (["\(directory)/magnum.conf"], dirs)
        }
        return ([], [])
    }

    /// Every option the worker reads, registered once.
    static func registry() -> OptionRegistry {
        var registry = OptionRegistry()
        OperationsOptions.register(in: &registry)
        MessagingSettings.register(in: &registry)
        WorkerAssembly.register(into: &registry)
        // Groups of a shared magnum.conf that belong to magnum-api, keystonemiddleware and
        // oslo libraries the worker does not use: not warned about.
        for group in ["api", "oslo_policy", "oslo_middleware", "oslo_concurrency", "oslo_reports", "profiler",
                      "keystone_authtoken", "trust", "barbican_client", "heat_client", "octavia_client", "magnum_client",
                      "docker", "docker_registry", "glance", "nova", "neutron", "heat", "octavia", "cors",
                      "healthcheck", "oslo_versionedobjects", "quotas", "cluster_heat", "cluster_template",
                      "coordination", "cluster", "oslo_messaging_kafka", "oslo_messaging_amqp", "capi_driver", "kubernetes_driver"] {
            registry.ignoreGroup(group)
        }
        return registry
    }

    /// Reads the configuration; a file that cannot be read or parsed is a `ConfigurationLoadError`.
    func load() throws -> (configuration: Configuration, files: [String], dirs: [String]) {
        let (files, dirs) = resolved()
        do {
            return (try Configuration(registry: Self.registry(), configFiles: files, configDirs: dirs), files, dirs)
        } catch {
            throw ConfigurationLoadError(description: "cannot read the configuration: \(error)")
        }
    }
}

/// The configuration could not be read: printed as it is, exit status 2.
struct ConfigurationLoadError: Error, CustomStringConvertible {
    let description: String
}
