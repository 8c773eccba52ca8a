import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct TransactionTests {
    let database: TestDatabase
    init() throws {
        database = try TestDatabase(migrated: false)
        try database.pool.query("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)")
    }

    struct Boom: Error {}

    @Test func failedTransactionLeavesNoRow() throws {
        #expect(throws: Boom.self) {
            try database.pool.withTransaction { connection in
                try connection.query("INSERT INTO items VALUES (1, 'one')")
                throw Boom()
            }
        }
        #expect(throws: PostgresError.self) {
            try database.pool.withTransaction { connection in
                try connection.query("INSERT INTO items VALUES (2, 'two')")
                try connection.query("INSERT INTO items VALUES (2, 'duplicate')")
            }
        }
        #expect(try database.pool.query("SELECT count(*) FROM items").first?.get(0) == 0)
    }

    @Test func committedTransactionKeepsRows() throws {
        try database.pool.withTransaction { connection in
            try connection.query("INSERT INTO items VALUES (1, 'one')")
            try connection.query("INSERT INTO items VALUES (2, 'two')")
        }
        #expect(try database.pool.query("SELECT count(*) FROM items").first?.get(0) == 2)
    }

    @Test func nestedFailureRollsBackOnlyTheSavepoint() throws {
        try database.pool.withTransaction { connection in
            try connection.query("INSERT INTO items VALUES (1, 'outer')")
            _ = try? connection.withTransaction {
                try connection.query("INSERT INTO items VALUES (2, 'inner')")
                throw Boom()
            }
        }
        let names: [String] = try database.pool.query("SELECT name FROM items ORDER BY id").map { try $0.get(0) }
        #expect(names == ["outer"])
    }

    @Test func copyInWritesEveryRowAndEscapesData() throws {
        let rows: [[any PostgresEncodable]] = (0..<5000).map { i in [i, "name \(i)\twith\\tabs\nand lines 🙂"] }
        let copied = try database.pool.withConnection {
            try $0.copyIn(table: "items", columns: ["id", "name"], rows: rows)
        }
        #expect(copied == 5000)
        let name: String = try #require(try database.pool.query("SELECT name FROM items WHERE id = 4321").first).get(0)
        #expect(name == "name 4321\twith\\tabs\nand lines 🙂")
    }

    @Test func copyInWithABadValueWritesNothing() throws {
        let rows: [[any PostgresEncodable]] = [[1, "fine"], [2, "bad\u{0}value"], [3, "fine"]]
        #expect(throws: PostgresError.self) {
            try database.pool.withConnection { try $0.copyIn(table: "items", columns: ["id", "name"], rows: rows) }
        }
        #expect(try database.pool.query("SELECT count(*) FROM items").first?.get(0) == 0)
        // The connection is still usable afterwards.
        #expect(try database.pool.query("SELECT 1").first?.get(0) == 1)
    }
}
