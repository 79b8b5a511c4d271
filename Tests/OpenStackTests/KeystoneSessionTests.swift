import FakeOpenStack
import Logging
import OpenStack
import Testing

@Suite struct KeystoneSessionTests {
    @Test func passwordAuthIssuesOneTokenReusedAcrossCalls() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let client = try OpenStackAPIClient(configuration: Cloud.configuration(cloud), logger: Logger(label: "t"))
        _ = try await client.regions()
        _ = try await client.volumeTypes()
        _ = try await client.flavors(minimumRAM: nil)
        #expect(cloud.tokensIssued == 1)
        let token = try await client.session.currentToken()
        #expect(token.userID == Cloud.userID)
        #expect(token.projectID == Cloud.projectID)
        #expect(token.expiresAt != nil)
    }

    @Test func wrongPasswordIsUnauthorizedWithoutThePassword() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let configuration = Cloud.configuration(cloud, credentials: .password(username: "magnum", password: "wrong-pa55word", project: .name("service")))
        let client = try OpenStackAPIClient(configuration: configuration, logger: Logger(label: "t"))
        let error = await #expect(throws: OpenStackError.self) { _ = try await client.regions() }
        #expect(error?.kind == .unauthorized)
        #expect(error?.description.contains("wrong-pa55word") == false)
        #expect(error?.description.contains("password for magnum") == true)
    }

    @Test func reauthenticatesOnceWhenTheTokenIsRejected() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let client = try OpenStackAPIClient(configuration: Cloud.configuration(cloud), logger: Logger(label: "t"))
        _ = try await client.regions()
        cloud.revokeAllTokens()
        #expect(try await client.regions() == ["RegionOne", "RegionTwo"])
        #expect(cloud.tokensIssued == 2)
        #expect(await client.session.authenticationCount == 2)
    }

    @Test func renewsTokensAboutToExpire() async throws {
        let cloud = try await Cloud.start { $0.tokenLifetime = 60 }
        defer { Task { await cloud.shutdown() } }
        let client = try OpenStackAPIClient(configuration: Cloud.configuration(cloud), logger: Logger(label: "t"))
        _ = try await client.regions()
        _ = try await client.regions()
        #expect(cloud.tokensIssued == 2, "a token expiring within renewBefore (120 s) is renewed before use")
    }

    @Test func applicationCredentialAndTokenAuth() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let admin = try OpenStackAPIClient(configuration: Cloud.configuration(cloud), logger: Logger(label: "t"))
        let credential = try await admin.createApplicationCredential(userID: Cloud.userID, name: "magnum-x-1", description: nil)
        let secret = try #require(credential.secret)
        let viaAppCred = try OpenStackAPIClient(
            configuration: Cloud.configuration(cloud, credentials: .applicationCredential(id: credential.id, secret: secret)), logger: Logger(label: "t"))
        #expect(try await viaAppCred.volumeTypes().map(\.name) == ["__DEFAULT__", "ssd"])
        let userToken = try await admin.session.currentToken().value
        let viaToken = try OpenStackAPIClient(
            configuration: Cloud.configuration(cloud, credentials: .token(userToken, project: .id(Cloud.projectID))), logger: Logger(label: "t"))
        #expect(try await viaToken.regions().count == 2)
        let badSecret = try OpenStackAPIClient(
            configuration: Cloud.configuration(cloud, credentials: .applicationCredential(id: credential.id, secret: "nope")), logger: Logger(label: "t"))
        let error = await #expect(throws: OpenStackError.self) { _ = try await badSecret.regions() }
        #expect(error?.kind == .unauthorized)
    }

    @Test func catalogRegionAndInterfaceSelectTheEndpoint() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        var configuration = Cloud.configuration(cloud, region: "RegionTwo", interface: .internal)
        configuration.interfaceOverrides = ["image": .admin]
        let client = try OpenStackAPIClient(configuration: configuration, logger: Logger(label: "t"))
        _ = try await client.flavors(minimumRAM: 2048)
        _ = try await client.findImage("0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70")
        _ = try await client.volumeTypes()
        let paths = cloud.requests
        #expect(paths.contains("GET /RegionTwo/internal/compute/v2.1/flavors/detail?minRam=2048"))
        #expect(paths.contains("GET /RegionTwo/admin/image/v2/images/0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70"))
        #expect(paths.contains("GET /RegionTwo/internal/volume/v3/PROJECT/types"))
        #expect(try await client.endpointURL(serviceType: "identity", interface: .public) == cloud.authURL)

        let nowhere = try OpenStackAPIClient(configuration: Cloud.configuration(cloud, region: "RegionNine"), logger: Logger(label: "t"))
        let error = await #expect(throws: OpenStackError.self) { _ = try await nowhere.volumeTypes() }
        #expect(error?.kind == .endpointNotFound)
        #expect(error?.description.contains("RegionNine") == true)
        #expect(error?.description.contains("RegionOne, RegionTwo") == true)
    }

    @Test func unreachableKeystoneIsATransportError() async throws {
        let cloud = try await Cloud.start()
        let configuration = Cloud.configuration(cloud)
        await cloud.shutdown()
        let client = try OpenStackAPIClient(configuration: configuration, logger: Logger(label: "t"))
        let error = await #expect(throws: OpenStackError.self) { _ = try await client.regions() }
        #expect(error?.kind == .transport)
        #expect(error?.transport?.kind == .couldNotConnect)
    }
}
