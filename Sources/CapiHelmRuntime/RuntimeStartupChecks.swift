import Foundation
public import Helm
public import Kubernetes
public import Logging
public import OsloConfig

/// The checks `CapiHelmRuntime.start` runs once, each giving a `StartupProblem` that names the
/// option to change and says how. Public so `check-config` can run them one by one.
public enum RuntimeStartupChecks {
    /// Combinations that cannot work: real helm needs a real management cluster (it installs
    /// there); render-only mode must not write Secrets to a real one.
    public static func modes(_ settings: RuntimeSettings) -> [StartupProblem] {
        switch (settings.helmMode, settings.managementCluster) {
        case (.real, .none), (.real, .simulated):
            return [StartupProblem(
                option: "[capi_worker] management_cluster",
                "management_cluster = \(settings.managementCluster.rawValue) cannot be used with helm_mode = real (helm installs on the management cluster). Set helm_mode = render-only for an offline worker, or management_cluster = real.")]
        case (.renderOnly, .real), (.record, .real):
            return [StartupProblem(
                option: "[capi_worker] helm_mode",
                "helm_mode = \(settings.helmMode.rawValue) would still write Namespaces and Secrets to the real management cluster. Set management_cluster = none (or simulated) with \(settings.helmMode.rawValue), or helm_mode = real.")]
        default:
            return []
        }
    }

    /// The helm executor the settings describe (real mode: with `[capi_helm] kubeconfig_file`).
    public static func helmExecutor(_ settings: RuntimeSettings, environment: [String: String]?, logger: Logger,
                                    observer: (@Sendable (HelmInvocation) -> Void)? = nil) -> HelmCommandExecutor {
        let kubeconfig: HelmKubeconfig? = settings.helmMode == .real && !settings.kubeconfigFile.isEmpty
            ? .file(path: settings.kubeconfigFile) : nil
        var configuration = HelmConfiguration(executable: settings.helmExecutable, kubeconfig: kubeconfig,
                                              maxConcurrentProcesses: max(1, settings.helmMaxConcurrency),
                                              stateDirectory: settings.helmStateDirectory, inheritedEnvironment: environment)
        configuration.observer = observer
        return HelmCommandExecutor(configuration: configuration, logger: logger)
    }

    /// helm is there, answers `helm version`, is 3.8 or newer; the chart can be located.
    public static func helm(_ executor: HelmCommandExecutor, chart: HelmChartReference) async -> Result<HelmVersion, StartupProblem> {
        do {
            return .success(try await HelmPreflight.check(executor, chart: chart))
        } catch let error as HelmConfigurationError {
            return .failure(StartupProblem(option: error.option, error.message))
        } catch {
            return .failure(StartupProblem(option: HelmConfiguration.Option.executable, "helm could not be checked: \(error)"))
        }
    }

    /// Render-only mode's chart: a directory with `Chart.yaml`, or a packaged `.tgz`.
    public static func renderChart(_ settings: RuntimeSettings) -> Result<String, StartupProblem> {
        let option = "[capi_worker] render_chart"
        let how = "Set \(option) to a local copy of the chart, e.g. from `helm pull openstack-cluster --repo https://azimuth-cloud.github.io/capi-helm-charts --version 0.10.1 --untar --untardir /var/lib/magnum`."
        guard let configured = settings.renderChart else {
            return .failure(StartupProblem(option: option, "helm_mode = render-only needs a chart on disk (the chart repository is not used offline). \(how)"))
        }
        let path = configured.hasPrefix("/") ? configured : FileManager.default.currentDirectoryPath + "/" + configured
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(StartupProblem(option: option, "\(path) does not exist. \(how)"))
        }
        if isDirectory.boolValue {
            guard FileManager.default.isReadableFile(atPath: "\(path)/Chart.yaml") else {
                return .failure(StartupProblem(option: option, "\(path) is a directory without a readable Chart.yaml, so not a chart. \(how)"))
            }
        } else if !path.hasSuffix(".tgz") && !path.hasSuffix(".tar.gz") {
            return .failure(StartupProblem(option: option, "\(path) is neither a chart directory nor a packaged chart (.tgz). \(how)"))
        }
        return .success(path)
    }

    /// Render-only mode's output directory exists (or can be made) and is writable.
    public static func renderOutput(_ settings: RuntimeSettings) -> StartupProblem? {
        let option = "[capi_worker] render_output_dir"
        let path = settings.renderOutputDirectory
        guard !path.isEmpty else { return StartupProblem(option: option, "is empty. Set it to a directory the worker may write.") }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            return StartupProblem(option: option, "\(path) cannot be created: \(error.localizedDescription). Set it to a directory the worker may write.")
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            return StartupProblem(option: option, "\(path) is not writable by this worker. Set it to a directory the worker may write.")
        }
        return nil
    }

    /// The kubeconfig loads, its server answers with its credentials, and Cluster API is served
    /// (`KubernetesStartupCheck`).
    public static func kubernetes(_ settings: RuntimeSettings, logger: Logger) async -> Result<KubernetesStartupCheck.Report, StartupProblem> {
        do {
            return .success(try await KubernetesStartupCheck.run(configuredPath: settings.kubeconfigFile, logger: logger))
        } catch let failure as KubernetesStartupCheck.Failure {
            return .failure(StartupProblem(option: "[capi_helm] kubeconfig_file", failure.description))
        } catch {
            return .failure(StartupProblem(option: "[capi_helm] kubeconfig_file", "the management cluster could not be checked: \(error)"))
        }
    }

    /// `[drivers] openstack_ca_file`, when set, is readable PEM.
    public static func clusterCABundle(_ path: String?) -> StartupProblem? {
        guard let path else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            return StartupProblem(option: "[drivers] openstack_ca_file", "\(path) cannot be read. Point it at the PEM CA bundle clusters should trust for the OpenStack APIs, or unset it to use the system bundle.")
        }
        guard String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            return StartupProblem(option: "[drivers] openstack_ca_file", "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----).")
        }
        return nil
    }

    /// `[capi_worker] offline_state_dir`: the directory exists (or is made, mode 0700) and the
    /// shared event file `name` in it opens for reading and appending.
    public static func offlineState(_ directory: String, _ name: String) -> Result<SharedEventLog, StartupProblem> {
        let option = "[capi_worker] offline_state_dir"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            return .failure(StartupProblem(option: option, "\(directory) cannot be created: \(error.localizedDescription). Set it to a local directory the worker may write, or unset it."))
        }
        do {
            return .success(try SharedEventLog(path: (directory as NSString).appendingPathComponent(name)))
        } catch {
            return .failure(StartupProblem(option: option, error.description))
        }
    }

    /// `[capi_worker] offline_cloud_file` parses and describes a cloud.
    public static func offlineCloud(_ path: String) -> Result<OfflineCloudDescription, StartupProblem> {
        do {
            return .success(try OfflineCloudDescription.load(path: path))
        } catch {
            return .failure(StartupProblem(option: "[capi_worker] offline_cloud_file",
                                           "\(path): \(error.problem). Fix the file (see docs/runtime.md for its format) or unset the option to use the real cloud."))
        }
    }

    /// What acting in OpenStack needs: where Keystone is, the admin service user (deleting
    /// application credentials), the region clusters' clouds.yaml names, a readable CA file.
    public static func openStack(_ configuration: Configuration) -> Result<OpenStackSettings, CapiHelmRuntimeStartupError> {
        let settings: OpenStackSettings
        do {
            settings = try OpenStackSettings(configuration: configuration)
        } catch {
            let location = error.location.map { " (\($0))" } ?? ""
            return .failure(CapiHelmRuntimeStartupError(problems: [StartupProblem(option: error.option?.description ?? "[keystone_auth]", error.message + location)]))
        }
        var problems: [StartupProblem] = []
        if settings.authURL == nil {
            problems.append(StartupProblem(option: "[keystone_auth] auth_url",
                                           "is not set (nor [keystone_authtoken] www_authenticate_uri): callers' tokens cannot be used without Keystone's URL. Set it as for magnum-conductor."))
        }
        if let missing = settings.adminCredentialsProblem {
            problems.append(StartupProblem(option: missing.option,
                                           "\(missing.message): Magnum's admin context (the [keystone_auth] service user) deletes the application credentials of deleted clusters. Set username, password and project_name as for magnum-conductor."))
        }
        if settings.cinderRegion == nil {
            problems.append(StartupProblem(option: "[cinder_client] region_name",
                                           "is not set: every cluster create would fail with \"region_name needs to be configured in magnum.conf\" (it becomes the region of the clusters' clouds.yaml). Set it to the cloud's region."))
        }
        if let file = settings.caFile, !FileManager.default.isReadableFile(atPath: file) {
            problems.append(StartupProblem(option: "[keystone_auth] cafile", "\(file) cannot be read: the OpenStack APIs' certificates cannot be verified."))
        }
        return problems.isEmpty ? .success(settings) : .failure(CapiHelmRuntimeStartupError(problems: problems))
    }
}
