import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ParameterTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase(migrated: false) }

    static let awkwardStrings = [
        "plain", "", "it's", "\"double\"", "back\\slash", "Robert'); DROP TABLE students;--",
        "1 OR 1=1", "$1", "tab\there", "new\nline", "ünïcödé ñ", "日本語のテキスト", "emoji 🙂👍🏽",
        "\u{202E}right-to-left", String(repeating: "x", count: 100_000),
    ]

    @Test("strings round-trip unchanged through bound parameters", arguments: awkwardStrings)
    func stringRoundTrip(value: String) throws {
        let echoed: String = try #require(try database.pool.query("SELECT $1::text", [value]).first).get(0)
        #expect(echoed == value)
    }

    @Test func injectionStringIsDataNotSQL() throws {
        try database.pool.withConnection { connection in
            try connection.execute("CREATE TABLE people (name text)")
            let hostile = "x'); DROP TABLE people; --"
            try connection.query("INSERT INTO people (name) VALUES ($1)", [hostile])
            let rows = try connection.query("SELECT name FROM people")
            #expect(rows.count == 1)
            #expect(try rows[0].get(0) == hostile)
        }
    }

    @Test func nulIsRefusedWithAClearError() throws {
        let error = #expect(throws: PostgresError.self) {
            try database.pool.query("SELECT $1::text", ["a\u{0}b"])
        }
        #expect(error?.code == .invalidParameter)
        #expect(error?.description.contains("$1") == true)
    }

    @Test func typedValuesRoundTrip() throws {
        let id = UUID()
        let when = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let bytes = Data([0, 1, 2, 0xFE, 0xFF])
        let row = try #require(try database.pool.query(
            "SELECT $1::bigint, $2::float8, $3::boolean, $4::uuid, $5::timestamptz, $6::bytea, $7::text[], $8::float8, $9::int",
            [Int64.max, 0.1, true, id, when, bytes, ["a", "b,c", "d\"e", ""], Double.infinity, Int?.none]).first)
        #expect(try row.get(0) == Int64.max)
        #expect(try row.get(1) == 0.1)
        #expect(try row.get(2) == true)
        #expect(try row.get(3) == id)
        let decoded: Date = try row.get(4)
        #expect(abs(decoded.timeIntervalSince1970 - when.timeIntervalSince1970) < 1e-6)
        #expect(try row.get(5) == bytes)
        #expect(try row.get(6) == ["a", "b,c", "d\"e", ""])
        #expect(try row.get(7) == Double.infinity)
        #expect(try row.get(8, as: Int?.self) == nil)
    }

    @Test func nullIntoANonOptionalIsADecodingError() throws {
        let row = try #require(try database.pool.query("SELECT NULL::int AS missing").first)
        let error = #expect(throws: PostgresError.self) { _ = try row.get("missing", as: Int.self) }
        #expect(error?.code == .decodingFailed)
        #expect(error?.message.contains("missing") == true)
    }

    @Test func errorsCarrySQLStateButNotValues() throws {
        try database.pool.withConnection { connection in
            try connection.execute("CREATE TABLE secrets (value text PRIMARY KEY)")
            try connection.query("INSERT INTO secrets VALUES ($1)", ["hunter2-secret"])
            let error = #expect(throws: PostgresError.self) {
                try connection.query("INSERT INTO secrets VALUES ($1)", ["hunter2-secret"])
            }
            #expect(error?.isUniqueViolation == true)
            #expect(error?.sqlState == "23505")
            #expect(error?.description.contains("hunter2") == false)
            #expect(error?.detail?.contains("hunter2") == true)
        }
    }
}
