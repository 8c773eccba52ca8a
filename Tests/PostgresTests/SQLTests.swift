import Postgres
import Testing
import TestSupport

@Suite struct SQLTests {
    @Test func interpolatedValuesAreBindsAndRawTextIsNot() {
        let name = "x'; DROP TABLE t; --", limit = 5
        let sql: SQL = "SELECT * FROM \(raw: "steward.runs") WHERE name = \(name) LIMIT \(limit)"
        #expect(sql.text == "SELECT * FROM steward.runs WHERE name = $1 LIMIT $2")
        #expect(sql.binds.map(\.postgresText) == [name, "5"])
        let none: String? = nil
        let optional: SQL = "SELECT \(none)::text"
        #expect(optional.text == "SELECT $1::text" && optional.binds.map(\.postgresText) == [nil])
    }

    @Test func fragmentsComposeWithTheirPlaceholdersRenumbered() {
        let filter = SQL.joined(["a = \(1)", "b = \(2) OR b = \(3)", "TRUE"], separator: " AND ")
        #expect(filter.text == "a = $1 AND b = $2 OR b = $3 AND TRUE")
        var query: SQL = "SELECT 1 FROM t WHERE x = \("first") AND \(filter) AND y = \(4)"
        query.append(" LIMIT \(10)")
        #expect(
            query.text == "SELECT 1 FROM t WHERE x = $1 AND a = $2 AND b = $3 OR b = $4 AND TRUE AND y = $5 LIMIT $6")
        #expect(query.binds.map(\.postgresText) == ["first", "1", "2", "3", "4", "10"])
        // Ten and more placeholders renumber as numbers, not digit by digit.
        let many = SQL.joined((1...11).map { "c = \($0)" }, separator: ",")
        let shifted: SQL = "\(0) \(many)"
        #expect(shifted.text.hasSuffix("c = $11,c = $12"))
    }

    @Test func aStatementRunsWithItsBinds() throws {
        let database = try TestDatabase(migrated: false)
        let value = "it's $1 \\ \"quoted\""
        let row = try #require(try database.pool.query("SELECT \(value)::text AS v, \(41)::int + 1 AS n").first)
        #expect(try row.get("v") == value)
        #expect(try row.get("n") == 42)
    }
}
