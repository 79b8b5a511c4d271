import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import Testing
import TestSupport

/// TLS options in `[database] connection` reach the connections the store makes.
@Suite("MariaDB store over TLS", .enabled(if: TestEnvironment.mariadbEnabled))
struct MariaDBTLSStoreTests {
    static func cipher(_ store: any ClusterStore) async throws -> [[SQLValue]] {
        guard let store = store as? MariaDBClusterStore else { return [] }
        return try await store.database.read { try $0.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'", []).rows }
    }

    @Test func sslCAInTheConnectionURLVerifiesTheServer() async throws {
        let server = try TestEnvironment.requireMariaDB()
        try await TestEnvironment.mariadbGate.shared {
            let dbName = try await server.makeMagnumDatabase("tls")
            defer { server.dropDatabase(dbName) }
            let logger = Logger(label: "test.tls")
            let url = server.url(database: dbName) + "&ssl_ca=\(server.tlsDirectory)/ca.pem"
            let store = try await ClusterStores.open(connection: url, logger: logger)
            let rows = try await Self.cipher(store)
            #expect(rows.count == 1)
            if rows.count == 1, case .text(let cipher) = rows[0][1] { #expect(!cipher.isEmpty) } else { Issue.record("no cipher: \(rows)") }
            _ = try await store.createCluster(Sample.cluster("over-tls"))
            await store.close()

            // The magnum_tls user must present a client certificate: given in the URL, it works.
            let clientURL = "mysql+pymysql://\(server.tlsUser):\(server.tlsPassword)@127.0.0.1:\(server.port)/\(dbName)?charset=utf8"
                + "&ssl_ca=\(server.tlsDirectory)/ca.pem&ssl_cert=\(server.tlsDirectory)/client.pem&ssl_key=\(server.tlsDirectory)/client.key"
            let client = try await ClusterStores.open(connection: clientURL, logger: logger)
            #expect(try await client.cluster(name: "over-tls", context: Sample.context).name == "over-tls")
            await client.close()

            // A CA that did not sign the server's certificate: refused, clearly, without the password.
            let wrongCA = server.url(database: dbName) + "&ssl_ca=\(server.tlsDirectory)/other-ca.pem"
            let error = await #expect(throws: StoreError.self) {
                _ = try await ClusterStores.open(connection: wrongCA, pool: .init(maxReconnectAttempts: 0), logger: logger)
            }
            #expect(error?.kind == .connection)
            #expect(error?.message.contains(server.password) == false)
        }
    }
}
