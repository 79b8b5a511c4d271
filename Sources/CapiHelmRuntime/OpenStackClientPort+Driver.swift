public import CapiHelmDriver
public import MagnumObjects

// The port's methods whose types the OpenStack module also names (`Flavor`,
// `ApplicationCredential`): here only the driver's are in scope.
extension OpenStackClientPort {
    public func flavors(minimumRAM: Int, context: RequestContext) async throws -> [Flavor] {
        try await cloudFlavors(minimumRAM: minimumRAM, context: context).map { Flavor(id: $0.id, name: $0.name, ram: $0.ram, vcpus: $0.vcpus) }
    }

    public func createApplicationCredential(cluster: Cluster, context: RequestContext) async throws -> ApplicationCredential {
        let (id, secret) = try await newApplicationCredential(cluster: cluster, context: context)
        return ApplicationCredential(id: id, secret: secret)
    }
}
