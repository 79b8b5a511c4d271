import Foundation
import Logging
import MariaDB
import Testing
import TestSupport

/// A scratch database on the run's MariaDB for one test, dropped afterwards.
struct ScratchDatabase {
    let server: TestEnvironment.MariaDB
    let name: String

    init(_ prefix: String) async throws {
        server = try TestEnvironment.requireMariaDB()
        name = "mcw_test_\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
        try await server.sql("CREATE DATABASE \(name) CHARACTER SET utf8mb3")
    }

    var options: MariaDBOptions {
        MariaDBOptions(host: "127.0.0.1", port: server.port, user: server.user, password: server.password, database: name)
    }

    func drop() { server.dropDatabase(name) }
}

@Suite("MariaDB connection", .enabled(if: TestEnvironment.mariadbEnabled))
struct MariaDBConnectionTests {
    @Test func preparedStatementsRoundTripEveryColumnKind() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let scratch = try await ScratchDatabase("conn")
            defer { scratch.drop() }
            let db = try MariaDBConnection(options: scratch.options)
            try db.execute("""
                CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT, name VARCHAR(255), body TEXT, flag TINYINT(1),
                seen DATETIME, ratio DOUBLE, n INT, PRIMARY KEY (id), UNIQUE KEY uniq_name (name)) ENGINE=InnoDB
                """)
            let text = "it's \"quoted\" — ünïcode ✓ x'); DROP TABLE t; --"
            let inserted = try db.execute("INSERT INTO t (name, body, flag, seen, ratio, n) VALUES (?, ?, ?, ?, ?, ?)",
                                          [.text("a"), .text(text), .integer(1), .text("2026-11-25 00:01:42"), .double(0.25), .integer(3)])
            #expect(inserted.affectedRows == 1)
            #expect(inserted.lastInsertID == 1)
            try db.execute("INSERT INTO t (name, body, flag, seen, ratio, n) VALUES (?, ?, ?, ?, ?, ?)",
                           [.text("b"), .text(""), .null, .null, .null, .integer(4)])
            let rows = try db.query("SELECT id, name, body, flag, seen, ratio FROM t ORDER BY id")
            #expect(rows.columns == ["id", "name", "body", "flag", "seen", "ratio"])
            #expect(rows.rows == [
                [.integer(1), .text("a"), .text(text), .integer(1), .text("2026-11-25 00:01:42"), .double(0.25)],
                [.integer(2), .text("b"), .text(""), .null, .null, .null],
            ])
            // SUM() of an INT column is a DECIMAL, read in its text form.
            #expect(try db.query("SELECT SUM(n), COUNT(*) FROM t WHERE name IN (?, ?)", [.text("a"), .text("b")]).rows
                    == [[.text("7"), .integer(2)]])
            // CLIENT_FOUND_ROWS: an UPDATE that matches but does not change reports the match.
            #expect(try db.execute("UPDATE t SET n = ? WHERE id = ?", [.integer(3), .integer(1)]).affectedRows == 1)
            // Many rows, long values: buffers are sized per value.
            let long = String(repeating: "x", count: 60_000)
            try db.execute("UPDATE t SET body = ? WHERE id = ?", [.text(long), .integer(2)])
            #expect(try db.query("SELECT body FROM t WHERE id = ?", [.integer(2)]).rows == [[.text(long)]])
        }
    }

    @Test func duplicateKeyIsRecognised() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let scratch = try await ScratchDatabase("dup")
            defer { scratch.drop() }
            let db = try MariaDBConnection(options: scratch.options)
            try db.execute("CREATE TABLE t (name VARCHAR(20), UNIQUE KEY u (name))")
            try db.execute("INSERT INTO t VALUES (?)", [.text("x")])
            let error = #expect(throws: MariaDBError.self) { try db.execute("INSERT INTO t VALUES (?)", [.text("x")]) }
            #expect(error?.isDuplicateEntry == true)
            #expect(error?.code == 1062)
            #expect(error?.sql == "INSERT INTO t VALUES (?)")
        }
    }

    @Test func wrongPasswordFailsWithoutShowingIt() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let server = try TestEnvironment.requireMariaDB()
            let secret = "not-the-password-\(UUID().uuidString)"
            let options = MariaDBOptions(host: "127.0.0.1", port: server.port, user: server.user, password: secret, database: "magnum")
            let error = #expect(throws: MariaDBError.self) { try MariaDBConnection(options: options) }
            #expect(error?.code == 1045)
            #expect(error?.description.contains(secret) == false)
            #expect(options.description.contains(secret) == false)
        }
    }

    @Test func unreachableServerIsAConnectionError() {
        let options = MariaDBOptions(host: "127.0.0.1", port: 1, user: "magnum", password: "x", connectTimeout: 2)
        let error = #expect(throws: MariaDBError.self) { try MariaDBConnection(options: options) }
        #expect(error?.isConnectionLost == true)
    }

    @Test func tlsWithVerifiedServerCertificate() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let server = try TestEnvironment.requireMariaDB()
            let tls = server.tlsDirectory
            var options = MariaDBOptions(host: "127.0.0.1", port: server.port, user: server.user, password: server.password,
                                         database: "magnum", tls: .init(caFile: "\(tls)/ca.pem"))
            let verified = try MariaDBConnection(options: options)
            #expect(verified.tlsCipher != nil)

            // A CA that did not sign the server certificate: verification fails.
            options.tls = .init(caFile: "\(tls)/other-ca.pem")
            let error = #expect(throws: MariaDBError.self) { try MariaDBConnection(options: options) }
            #expect(error?.kind == .tls)

            // Without TLS options the connection is plain.
            options.tls = nil
            #expect(try MariaDBConnection(options: options).tlsCipher == nil)
        }
    }

    @Test func clientCertificateForAUserThatRequiresX509() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let server = try TestEnvironment.requireMariaDB()
            let tls = server.tlsDirectory
            var options = MariaDBOptions(host: "127.0.0.1", port: server.port, user: server.tlsUser, password: server.tlsPassword,
                                         database: "magnum",
                                         tls: .init(caFile: "\(tls)/ca.pem", certificateFile: "\(tls)/client.pem", keyFile: "\(tls)/client.key"))
            let db = try MariaDBConnection(options: options)
            #expect(db.tlsCipher != nil)
            #expect(try db.query("SELECT CURRENT_USER()").rows.first?.first?.textValue?.hasPrefix("magnum_tls@") == true)

            options.tls = .init(caFile: "\(tls)/ca.pem")  // TLS but no client certificate
            #expect(throws: MariaDBError.self) { try MariaDBConnection(options: options) }
            options.tls = nil
            #expect(throws: MariaDBError.self) { try MariaDBConnection(options: options) }
        }
    }
}

@Suite("MariaDB pool", .enabled(if: TestEnvironment.mariadbEnabled))
struct MariaDBPoolTests {
    let logger = Logger(label: "test.mariadb")

    @Test func neverOpensMoreThanMaxConnections() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let scratch = try await ScratchDatabase("pool")
            defer { scratch.drop() }
            let pool = MariaDBPool(options: scratch.options, configuration: .init(maxConnections: 2), logger: logger)
            let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await pool.withConnection { conn in
                            _ = try conn.query("SELECT SLEEP(0.05)")
                            return try conn.query("SELECT CONNECTION_ID()").rows[0][0].integerValue ?? -1
                        }
                    }
                }
                var ids: Set<Int64> = []
                for try await id in group { ids.insert(id) }
                return ids
            }
            #expect(ids.count <= 2)
            #expect(await pool.connectionCount <= 2)
            await pool.close()
        }
    }

    @Test func checkoutTimesOutWhenEveryConnectionIsBusy() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let scratch = try await ScratchDatabase("pooltimeout")
            defer { scratch.drop() }
            let pool = MariaDBPool(options: scratch.options,
                                   configuration: .init(maxConnections: 1, checkoutTimeout: .milliseconds(200)), logger: logger)
            async let slow: Void = pool.withConnection { _ = try $0.query("SELECT SLEEP(1)") }
            try await Task.sleep(for: .milliseconds(100))
            let error = await #expect(throws: MariaDBError.self) { try await pool.withConnection { _ = try $0.query("SELECT 1") } }
            #expect(error?.kind == .poolTimeout)
            try await slow
            await pool.close()
        }
    }

    @Test func transactionRollsBackWhenTheBodyThrows() async throws {
        struct Boom: Error {}
        try await TestEnvironment.mariadbGate.shared {
            let scratch = try await ScratchDatabase("tx")
            defer { scratch.drop() }
            let pool = MariaDBPool(options: scratch.options, logger: logger)
            try await pool.withConnection { try $0.execute("CREATE TABLE t (n INT) ENGINE=InnoDB") }
            await #expect(throws: Boom.self) {
                try await pool.transaction { conn in
                    try conn.execute("INSERT INTO t VALUES (?)", [.integer(1)])
                    throw Boom()
                }
            }
            try await pool.transaction { try $0.execute("INSERT INTO t VALUES (?)", [.integer(2)]) }
            #expect(try await pool.withConnection { try $0.query("SELECT n FROM t").rows } == [[.integer(2)]])
            await pool.close()
        }
    }

    @Test func reconnectsAndRetriesWhenTheConnectionDiedBeforeAnyWrite() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let scratch = try await ScratchDatabase("killed")
            defer { scratch.drop() }
            let pool = MariaDBPool(options: scratch.options, configuration: .init(maxConnections: 1), logger: logger)
            try await pool.withConnection { try $0.execute("CREATE TABLE t (n INT) ENGINE=InnoDB") }
            let first = try await pool.withConnection { try $0.query("SELECT CONNECTION_ID()").rows[0][0].integerValue ?? 0 }
            try await scratch.server.sql("KILL CONNECTION \(first)")
            // The pooled connection is dead; the unit starts with a read, so it is retried.
            let second = try await pool.transaction { conn in
                let id = try conn.query("SELECT CONNECTION_ID()").rows[0][0].integerValue ?? 0
                try conn.execute("INSERT INTO t VALUES (?)", [.integer(1)])
                return id
            }
            #expect(second != first)
            #expect(await pool.reconnects == 1)
            #expect(try await pool.withConnection { try $0.query("SELECT COUNT(*) FROM t").rows } == [[.integer(1)]])
            await pool.close()
        }
    }

    @Test func doesNotRetryAfterWritesWereSent() async throws {
        try await TestEnvironment.mariadbGate.shared {
            let scratch = try await ScratchDatabase("afterwrite")
            defer { scratch.drop() }
            let pool = MariaDBPool(options: scratch.options, configuration: .init(maxConnections: 1), logger: logger)
            try await pool.withConnection { try $0.execute("CREATE TABLE t (n INT) ENGINE=InnoDB") }
            let server = scratch.server
            let attempts = Counter()
            let error = await #expect(throws: MariaDBError.self) {
                try await pool.transaction { conn in
                    attempts.increment()
                    try conn.execute("INSERT INTO t VALUES (?)", [.integer(1)])
                    let id = try conn.query("SELECT CONNECTION_ID()").rows[0][0].integerValue ?? 0
                    try server.sqlBlocking("KILL CONNECTION \(id)")
                    try conn.execute("INSERT INTO t VALUES (?)", [.integer(2)])
                }
            }
            #expect(error?.kind == .connectionLostAfterWrites)
            #expect(attempts.value == 1)
            // The server rolled the open transaction back: nothing was half written.
            #expect(try await pool.withConnection { try $0.query("SELECT COUNT(*) FROM t").rows } == [[.integer(0)]])
            await pool.close()
        }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
