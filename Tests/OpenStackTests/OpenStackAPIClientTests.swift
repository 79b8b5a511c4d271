import FakeOpenStack
import JSON
import Logging
import OpenStack
import Testing

/// Every call the driver makes, against the local fake cloud.
@Suite struct OpenStackAPIClientTests {
    func client(_ cloud: FakeOpenStackCloud) throws -> OpenStackAPIClient {
        try OpenStackAPIClient(configuration: Cloud.configuration(cloud), logger: Logger(label: "t"))
    }

    @Test func applicationCredentialLifecycle() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let client = try client(cloud)
        let name = "magnum-0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02-1a2b3c4d"
        let created = try await client.createApplicationCredential(userID: Cloud.userID, name: name, description: "Magnum cluster (prod)")
        #expect(created.name == name)
        #expect(created.description == "Magnum cluster (prod)")
        #expect(created.projectID == Cloud.projectID)
        #expect(created.secret != nil)
        let fetched = try await client.applicationCredential(userID: Cloud.userID, id: created.id)
        #expect(fetched.name == name)
        #expect(fetched.secret == nil)
        let other = try await client.createApplicationCredential(userID: Cloud.userID, name: "unrelated", description: nil)
        let listed = try await client.applicationCredentials(userID: Cloud.userID)
        #expect(Set(listed.map(\.id)) == [created.id, other.id])
        #expect(listed.first { $0.id == created.id }?.name == name)
        #expect(listed.allSatisfy { $0.secret == nil })
        try await client.deleteApplicationCredential(userID: Cloud.userID, id: other.id)
        let duplicate = await #expect(throws: OpenStackError.self) {
            _ = try await client.createApplicationCredential(userID: Cloud.userID, name: name, description: nil)
        }
        #expect(duplicate?.kind == .conflict)
        try await client.deleteApplicationCredential(userID: Cloud.userID, id: created.id)
        let gone = await #expect(throws: OpenStackError.self) { _ = try await client.applicationCredential(userID: Cloud.userID, id: created.id) }
        #expect(gone?.kind == .notFound)
        #expect(gone?.message == "Could not find application credential: \(created.id).")
        let otherUser = await #expect(throws: OpenStackError.self) {
            _ = try await client.createApplicationCredential(userID: "someone-else", name: "x", description: nil)
        }
        #expect(otherUser?.kind == .forbidden)
    }

    @Test func regionsAndIdentityEndpoint() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let client = try client(cloud)
        #expect(try await client.regions() == ["RegionOne", "RegionTwo"])
        #expect(try await client.endpointURL(serviceType: "identity", interface: .public) == cloud.authURL)
    }

    @Test func imagesByIDOrName() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let client = try client(cloud)
        let byID = try await client.findImage("0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70")
        #expect(byID.name == "ubuntu-jammy-kube-v1.31.4")
        #expect(byID.osDistro == "ubuntu")
        #expect(byID.kubeVersion == "v1.31.4")
        let byName = try await client.findImage("flatcar")
        #expect(byName.id == "1d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f71")
        #expect(byName.kubeVersion == nil)
        let missing = await #expect(throws: OpenStackError.self) { _ = try await client.findImage("nope") }
        #expect(missing?.kind == .notFound)
        let missingID = await #expect(throws: OpenStackError.self) { _ = try await client.findImage("ffffffff-7f2c-4a55-9c1e-2b3c4d5e6f70") }
        #expect(missingID?.kind == .notFound)
        let twins = await #expect(throws: OpenStackError.self) { _ = try await client.findImage("twin") }
        #expect(twins?.kind == .ambiguous)
    }

    @Test func flavorsWithMinimumRAMAcrossPages() async throws {
        let cloud = try await Cloud.start { $0.flavorPageSize = 1 }
        defer { Task { await cloud.shutdown() } }
        let client = try client(cloud)
        let flavors = try await client.flavors(minimumRAM: 2048)
        #expect(flavors.map(\.name) == ["m1.small", "m1.medium", "m1.large"])
        #expect(flavors.map(\.vcpus) == [1, 2, 4])
        #expect(flavors.first?.ram == 2048)
        #expect(try await client.findFlavor("3").name == "m1.large")
        #expect(try await client.findFlavor("m1.medium").id == "2")
        let missing = await #expect(throws: OpenStackError.self) { _ = try await client.findFlavor("m9.huge") }
        #expect(missing?.kind == .notFound)
    }

    @Test func networksAndSubnetsLikeMagnumsNeutronHelpers() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let client = try client(cloud)
        #expect(try await client.externalNetworkID("public") == "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b")
        #expect(try await client.externalNetworkID("7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b") == "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b")
        let notExternal = await #expect(throws: OpenStackError.self) { _ = try await client.externalNetworkID("private") }
        #expect(notExternal?.message == "External network private could not be found")
        let duplicate = await #expect(throws: OpenStackError.self) { _ = try await client.externalNetworkID("dup") }
        #expect(duplicate?.kind == .ambiguous)
        #expect(try await client.findNetwork("private", byName: true, external: false).id == "8e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6c")
        #expect(try await client.fixedSubnetID("private-subnet") == "5f0c2a1b-3c4d-4e5f-8a9b-0c1d2e3f4a5b")
        #expect(try await client.fixedSubnetID(nil) == nil)
        let noSubnet = await #expect(throws: OpenStackError.self) { _ = try await client.fixedSubnetID("nope") }
        #expect(noSubnet?.message == "Fixed subnet nope could not be found")
        #expect(cloud.requests.contains("GET /RegionOne/public/network/v2.0/networks?name=public&router%3Aexternal=True")
                || cloud.requests.contains("GET /RegionOne/public/network/v2.0/networks?name=public&router:external=True"))
    }

    @Test func volumeTypes() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let types = try await client(cloud).volumeTypes()
        #expect(types.map(\.name) == ["__DEFAULT__", "ssd"])
        #expect(types.allSatisfy { $0.isPublic })
    }
}
