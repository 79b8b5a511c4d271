import Foundation
import SQLite
import Testing
import TestSupport

@Suite("SQLite connection")
struct SQLiteConnectionTests {
    func open() throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.executeScript("CREATE TABLE t (id INTEGER NOT NULL, name VARCHAR(255), payload BLOB, score REAL, PRIMARY KEY (id), UNIQUE (name))")
        return connection
    }

    @Test func bindsAndReadsEveryStorageClass() throws {
        let db = try open()
        let changes = try db.execute("INSERT INTO t (name, payload, score) VALUES (?, ?, ?)",
                                     [.text("it's \"quoted\" — ünïcode ✓"), .blob([0, 1, 2, 255]), .real(2.5)])
        #expect(changes.changedRows == 1)
        #expect(changes.lastInsertRowID == 1)
        let rows = try db.query("SELECT id, name, payload, score FROM t WHERE name = ?", [.text("it's \"quoted\" — ünïcode ✓")])
        #expect(rows.columns == ["id", "name", "payload", "score"])
        #expect(rows.rows == [[.integer(1), .text("it's \"quoted\" — ünïcode ✓"), .blob([0, 1, 2, 255]), .real(2.5)]])
    }

    @Test func emptyTextAndBlobAreNotNull() throws {
        let db = try open()
        try db.execute("INSERT INTO t (name, payload) VALUES (?, ?)", [.text(""), .blob([])])
        let rows = try db.query("SELECT name IS NULL, payload IS NULL, name FROM t")
        #expect(rows.rows == [[.integer(0), .integer(0), .text("")]])
    }

    @Test func valuesAreBoundNeverSpliced() throws {
        let db = try open()
        let hostile = "x'); DROP TABLE t; --"
        try db.execute("INSERT INTO t (name) VALUES (?)", [.text(hostile)])
        #expect(try db.query("SELECT name FROM t").rows == [[.text(hostile)]])
    }

    @Test func uniqueViolationIsRecognised() throws {
        let db = try open()
        try db.execute("INSERT INTO t (name) VALUES (?)", [.text("a")])
        let error = #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO t (name) VALUES (?)", [.text("a")]) }
        #expect(error?.isUniqueViolation == true)
        #expect(error?.message.contains("UNIQUE constraint failed: t.name") == true)
    }

    @Test func wrongParameterCountIsAnError() throws {
        let db = try open()
        let error = #expect(throws: SQLiteError.self) { try db.query("SELECT * FROM t WHERE id = ?", []) }
        #expect(error?.message.contains("1 parameters, 0 given") == true)
    }

    @Test func transactionRollsBackWhenTheBodyThrows() throws {
        struct Boom: Error {}
        let db = try open()
        #expect(throws: Boom.self) {
            try db.transaction { conn in
                try conn.execute("INSERT INTO t (name) VALUES (?)", [.text("kept?")])
                throw Boom()
            }
        }
        #expect(try db.query("SELECT COUNT(*) FROM t").rows == [[.integer(0)]])
        #expect(!db.isInTransaction)
        try db.transaction { try $0.execute("INSERT INTO t (name) VALUES (?)", [.text("kept")]) }
        #expect(try db.query("SELECT name FROM t").rows == [[.text("kept")]])
    }

    @Test func cachedStatementsAreReusedWithNewValues() throws {
        let db = try open()
        for i in 0..<300 { try db.execute("INSERT INTO t (name) VALUES (?)", [.text("n\(i)")]) }
        #expect(try db.query("SELECT COUNT(*) FROM t WHERE name LIKE ?", [.text("n%")]).rows == [[.integer(300)]])
    }

    @Test func closedConnectionFailsClearly() throws {
        let db = try open()
        db.close()
        let error = #expect(throws: SQLiteError.self) { try db.query("SELECT 1") }
        #expect(error?.message.contains("closed") == true)
    }

    @Test func missingDirectoryFailsToOpen() {
        let error = #expect(throws: SQLiteError.self) {
            try SQLiteConnection(path: "/nonexistent-dir-\(UUID().uuidString)/db.sqlite")
        }
        #expect(error?.message.contains("unable to open") == true)
    }
}

@Suite("SQLite database on its own thread")
struct SQLiteDatabaseTests {
    @Test func concurrentTasksAreSerialisedOnTheDatabaseThread() async throws {
        let dir = try TestEnvironment.temporaryDirectory("sqlite-db")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try await SQLiteDatabase(path: dir.appendingPathComponent("test.sqlite").path)
        try await db.withConnection { try $0.executeScript("CREATE TABLE c (n INTEGER)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask {
                    _ = try await db.transaction { try $0.execute("INSERT INTO c (n) VALUES (?)", [.integer(Int64(i))]) }
                }
            }
            try await group.waitForAll()
        }
        let sum = try await db.withConnection { try $0.query("SELECT COUNT(*), SUM(n) FROM c").rows }
        #expect(sum == [[.integer(50), .integer(1225)]])
        // Write-ahead log, so other processes can read while we write.
        let mode = try await db.withConnection { try $0.query("PRAGMA journal_mode").rows }
        #expect(mode == [[.text("wal")]])
        await db.close()
        await #expect(throws: (any Error).self) { try await db.withConnection { try $0.query("SELECT 1") } }
    }
}
