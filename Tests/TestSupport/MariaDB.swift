public import Foundation

extension TestEnvironment {
    /// A MariaDB server started by `tools/mariadb` (one per test run), with Magnum's schema in
    /// database `magnum` created by the real `magnum-db-manage upgrade`.
    public struct MariaDB: Sendable {
        public let directory: String
        public let port: Int
        public let socket: String
        public let user: String
        public let password: String
        public let database: String
        /// `mysql+pymysql://magnum:...@127.0.0.1:PORT/magnum?charset=utf8`
        public let url: String
        /// `ca.pem`, `client.pem`, `client.key`, `other-ca.pem`
        public let tlsDirectory: String
        /// A user that must connect with TLS and a client certificate.
        public let tlsUser: String
        public let tlsPassword: String

        /// `mysql+pymysql://` URL of another database on this server, for the `magnum` user.
        public func url(database: String) -> String {
            "mysql+pymysql://\(user):\(password)@127.0.0.1:\(port)/\(database)?charset=utf8"
        }

        /// Runs `tools/mariadb <command> <dir>` (stop, restart, kill) and waits for it.
        public func control(_ command: String) async throws {
            try await TestEnvironment.runTool("mariadb", [command, directory])
        }

        /// Runs SQL as root over the server's socket; returns tab-separated rows.
        @discardableResult
        public func sql(_ statements: String) async throws -> String {
            try await TestEnvironment.runTool("mariadb", ["sql", directory, statements])
        }

        /// A new database `mcw_test_<prefix>_<random>` holding a copy of the migrated Magnum
        /// schema (every table `CREATE TABLE ... LIKE magnum.<table>`, and the alembic revision),
        /// so tests running in parallel never see each other's rows.
        public func makeMagnumDatabase(_ prefix: String) async throws -> String {
            let name = "mcw_test_\(prefix.filter { $0.isLetter || $0.isNumber })_\(UInt32.random(in: 0...UInt32.max))"
            let tables = ["alembic_version", "cluster", "cluster_template", "federation", "magnum_service", "nodegroup",
                          "quotas", "x509keypair"]
            var sql = "CREATE DATABASE \(name) CHARACTER SET utf8mb3;"
            for t in tables { sql += " CREATE TABLE \(name).\(t) LIKE magnum.\(t);" }
            sql += " INSERT INTO \(name).alembic_version SELECT * FROM magnum.alembic_version;"
            try await self.sql(sql)
            return name
        }

        /// `sql` for code already running on a thread of its own (a database connection's closure).
        @discardableResult
        public func sqlBlocking(_ statements: String) throws -> String {
            try TestEnvironment.runToolBlocking("mariadb", ["sql", directory, statements])
        }

        /// Drops a test database; usable from `defer`, so it does not wait for the drop.
        public func dropDatabase(_ name: String) {
            TestEnvironment.runToolDetached("mariadb", ["sql", directory, "DROP DATABASE IF EXISTS \(name)"])
        }
    }

    public static let mariadb: MariaDB? = {
        guard let path = ProcessInfo.processInfo.environment["MCW_MARIADB_ENV"],
              let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let env = parseShellAssignments(text)
        guard let dir = env["MARIADB_DIR"], let port = env["MARIADB_PORT"].flatMap(Int.init), let socket = env["MARIADB_SOCKET"],
              let user = env["MARIADB_USER"], let password = env["MARIADB_PASSWORD"], let database = env["MARIADB_DATABASE"],
              let url = env["MARIADB_URL"], let tlsDir = env["MARIADB_TLS_DIR"], let tlsUser = env["MARIADB_TLS_USER"],
              let tlsPassword = env["MARIADB_TLS_PASSWORD"] else { return nil }
        return MariaDB(directory: dir, port: port, socket: socket, user: user, password: password, database: database,
                       url: url, tlsDirectory: tlsDir, tlsUser: tlsUser, tlsPassword: tlsPassword)
    }()

    /// For `.enabled(if:)`: run when MariaDB is there, or when `tools/test` promised it.
    public static var mariadbEnabled: Bool { servicesRequired || mariadb != nil }

    public static func requireMariaDB() throws -> MariaDB {
        guard let mariadb else { throw MissingService(name: "MariaDB (MCW_MARIADB_ENV)") }
        return mariadb
    }

    /// A fresh empty directory under the system temp dir.
    public static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `tools/peers/<script>` with a JSON request on stdin and decodes its JSON answer.
    public static func runPythonPeerJSON(_ script: String, request: String) async throws -> Data {
        try await runPythonPeer(script, input: Data(request.utf8))
    }
}
