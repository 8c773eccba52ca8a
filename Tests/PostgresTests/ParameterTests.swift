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
        "\u{202E}right-to-left", String(repeating: "x", count: 100_000)
    ]

    @Test("strings round-trip unchanged through bound parameters", arguments: awkwardStrings)
    func stringRoundTrip(value: String) throws {
        let echoed: String = try #require(try database.pool.query("SELECT \(value)::text").first).get(0)
        #expect(echoed == value)
    }

    @Test func arraysOfAwkwardStringsRoundTrip() throws {
        let values = Self.awkwardStrings + ["{}", "NULL", ",", "\\\"", "null"]
        let echoed: [String] = try #require(try database.pool.query("SELECT \(values)::text[]").first).get(0)
        #expect(echoed == values)
    }

    @Test func preparedStatementsAnswerLikeUnpreparedOnesAndOutliveARollback() throws {
        try database.pool.withConnection { connection in
            func sql(_ a: Int, _ b: Int, _ label: String) -> SQL {
                "SELECT \(a)::int + \(b)::int AS sum, \(label)::text AS label"
            }
            for (a, b) in [(1, 2), (40, 2), (-5, 5)] {
                let row = try #require(try connection.query(sql(a, b, "n\(a)"), prepared: true).first)
                #expect(try row.get("sum") == a + b)
                #expect(try row.get("label") == "n\(a)")
            }
            // PREPARE is not transactional: a rolled-back transaction keeps the statement usable.
            struct Abort: Error {}
            _ = try? connection.withTransaction {
                _ = try connection.query(sql(1, 1, "inside"), prepared: true)
                throw Abort()
            }
            let after = try #require(try connection.query(sql(2, 3, "after"), prepared: true).first)
            #expect(try after.get("sum") == 5)
            let names = try connection.query("SELECT count(*)::int AS n FROM pg_prepared_statements")
            #expect(try names[0].get("n") == 1)
        }
    }

    @Test func preparedStatementsStayBoundedAndAFailedPrepareIsNotKept() throws {
        try database.pool.withConnection { connection in
            #expect(throws: PostgresError.self) { try connection.query("SELEC \(1)::int", prepared: true) }
            for k in 0..<(PostgresConnection.preparedLimit + 5) {
                let row = try #require(try connection.query("SELECT \(1)::int + \(raw: k) AS v", prepared: true).first)
                #expect(try row.get("v") == k + 1)
            }
            let kept: Int = try connection.query("SELECT count(*)::int AS n FROM pg_prepared_statements")[0].get("n")
            #expect(kept <= PostgresConnection.preparedLimit)
            #expect(kept > 0)
            let first = try #require(try connection.query("SELECT \(7)::int + 0 AS v", prepared: true).first)
            #expect(try first.get("v") == 7)
        }
    }

    @Test func injectionStringIsDataNotSQL() throws {
        try database.pool.withConnection { connection in
            try connection.execute("CREATE TABLE people (name text)")
            let hostile = "x'); DROP TABLE people; --"
            try connection.query("INSERT INTO people (name) VALUES (\(hostile))")
            let rows = try connection.query("SELECT name FROM people")
            #expect(rows.count == 1)
            #expect(try rows[0].get(0) == hostile)
        }
    }

    @Test func nulIsRefusedWithAClearError() throws {
        let error = #expect(throws: PostgresError.self) {
            try database.pool.query("SELECT \("a\u{0}b")::text")
        }
        #expect(error?.code == .invalidParameter)
        #expect(error?.description.contains("$1") == true)
    }

    @Test func typedValuesRoundTrip() throws {
        let id = UUID()
        let when = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let bytes = Data([0, 1, 2, 0xFE, 0xFF])
        let row = try #require(
            try database.pool.query(
                """
                SELECT \(Int64.max)::bigint, \(0.1)::float8, \(true)::boolean, \(id)::uuid, \(when)::timestamptz,
                    \(bytes)::bytea, \(["a", "b,c", "d\"e", ""])::text[], \(Double.infinity)::float8,
                    \(Int?.none)::int
                """
            ).first)
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
            try connection.query("INSERT INTO secrets VALUES (\("hunter2-secret"))")
            let error = #expect(throws: PostgresError.self) {
                try connection.query("INSERT INTO secrets VALUES (\("hunter2-secret"))")
            }
            #expect(error?.isUniqueViolation == true)
            #expect(error?.sqlState == "23505")
            #expect(error?.description.contains("hunter2") == false)
            #expect(error?.detail?.contains("hunter2") == true)
        }
    }
}
