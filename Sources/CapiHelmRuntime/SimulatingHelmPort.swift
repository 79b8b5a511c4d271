public import CapiHelmDriver
public import JSON

/// A `HelmPort` that tells the `SimulatedManagementCluster` what helm did (after it succeeded),
/// so the simulated Cluster API objects follow the releases.
public struct SimulatingHelmPort: HelmPort {
    public let helm: any HelmPort
    public let simulation: SimulatedManagementCluster

    public init(helm: any HelmPort, simulation: SimulatedManagementCluster) {
        self.helm = helm
        self.simulation = simulation
    }

    public func installOrUpgrade(release: String, chart: String, values: JSONValue, repo: String, version: String, namespace: String) async throws {
        try await helm.installOrUpgrade(release: release, chart: chart, values: values, repo: repo, version: version, namespace: namespace)
        try await simulation.installed(release: release, namespace: namespace, values: values)
    }

    public func uninstallRelease(release: String, namespace: String) async throws {
        try await helm.uninstallRelease(release: release, namespace: namespace)
        try await simulation.uninstalled(release: release, namespace: namespace)
    }
}
