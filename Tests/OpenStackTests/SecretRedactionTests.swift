import FakeOpenStack
import Logging
import OpenStack
import Testing

/// Passwords, tokens and application-credential secrets never reach a log line or an error.
@Suite struct SecretRedactionTests {
    @Test func nothingSecretIsLoggedEvenAtTrace() async throws {
        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let (logger, logs) = CollectingLogHandler.logger()
        let client = try OpenStackAPIClient(configuration: Cloud.configuration(cloud), logger: logger)
        let credential = try await client.createApplicationCredential(userID: Cloud.userID, name: "magnum-u-1", description: nil)
        let token = try await client.session.currentToken()
        cloud.revokeAllTokens()
        _ = try await client.regions()
        let secret = try #require(credential.secret)
        let appCredClient = try OpenStackAPIClient(
            configuration: Cloud.configuration(cloud, credentials: .applicationCredential(id: credential.id, secret: secret)), logger: logger)
        _ = try await appCredClient.volumeTypes()
        try await client.deleteApplicationCredential(userID: Cloud.userID, id: credential.id)
        let bad = try OpenStackAPIClient(
            configuration: Cloud.configuration(cloud, credentials: .applicationCredential(id: credential.id, secret: secret)), logger: logger)
        let error = await #expect(throws: OpenStackError.self) { _ = try await bad.regions() }

        let text = logs.all
        #expect(text.contains("Application credential created"))
        #expect(text.contains("HTTP request"))
        for value in [Cloud.password, secret.value, token.value.value] {
            #expect(!text.contains(value))
            #expect(error.map { "\($0)" }?.contains(value) == false)
        }
        #expect("\(secret)" == "<redacted>")
        #expect("\(KeystoneCredentials.password(username: "u", password: "p4ss", project: .id("x")))".contains("p4ss") == false)
    }
}
