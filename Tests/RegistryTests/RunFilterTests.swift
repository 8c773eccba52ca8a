import Testing
import Postgres
@testable import Registry

@Suite struct RunFilterTests {
    @Test func parsesMLflowsFilterLanguage() throws {
        let clauses = try RunFilter.parse("metrics.acc >= 0.5 and params.optimizer = 'adam' AND tags.`my tag` LIKE 'x%' and attributes.status != 'FAILED'")
        #expect(clauses == [
            RunFilter(entity: .metric, key: "acc", comparator: ">=", value: .number(0.5)),
            RunFilter(entity: .param, key: "optimizer", comparator: "=", value: .string("adam")),
            RunFilter(entity: .tag, key: "my tag", comparator: "LIKE", value: .string("x%")),
            RunFilter(entity: .attribute, key: "status", comparator: "!=", value: .string("FAILED")),
        ])
        #expect(try RunFilter.parse("metrics.\"val loss\" < 1e-3").first?.key == "val loss")
        #expect(try RunFilter.parse("run_id IN ('a', 'b')").first?.value == .list(["a", "b"]))
        #expect(try RunFilter.parse("").isEmpty)
    }

    @Test func refusesWhatMLflowRefuses() {
        for bad in ["metrics.acc >>> 1", "metrics.acc = 'high'", "params.lr > 0.1", "bogus.x = 'y'", "metrics.acc > 1 or params.a = 'b'",
                    "params.a = 'unterminated", "attributes.colour = 'red'", "metrics.acc >"] {
            #expect(throws: RegistryError.self, "\(bad)") { try RunFilter.parse(bad) }
        }
    }

    @Test func valuesAreBoundNeverSpliced() throws {
        var query = RunQuery()
        let sql = try query.condition(for: try RunFilter.parse("params.x = 'a''; DROP TABLE steward.runs; --'")[0])
        #expect(!sql.contains("DROP"))
        #expect(query.binds.count == 2)
        let order = try query.ordering(["metrics.acc DESC", "start_time"])
        #expect(order.hasPrefix("(SELECT m.value FROM steward.latest_metrics m"))
        #expect(order.contains("r.start_time ASC"))
        #expect(throws: RegistryError.self) { try query.ordering(["metrics.acc DESC; DROP"]) }
    }
}

@Suite struct FilterNumberTests {
    /// Each once trapped the process (a Double out of Int64's range converted to Int64).
    @Test func outOfRangeNumbersAreRefusedNotTrapped() throws {
        for bad in ["attributes.start_time > 1e19", "attributes.start_time < -1e400", "attributes.end_time = 1e400",
                    "start_time > 9223372036854775808", "attributes.start_time > 1.5"] {
            #expect(throws: RegistryError.self, "\(bad)") { try RunFilter.parse(bad) }
        }
        var query = RunQuery()
        let edge = try RunFilter.parse("attributes.start_time > -9223372036854775808")[0]
        #expect(try query.condition(for: edge).hasPrefix("r.start_time >"))
        // Metrics are doubles: huge values and infinities are numbers to compare with.
        #expect(try RunFilter.parse("metrics.loss < 1e400").first?.value == .number(.infinity))
        for bad in ["version_number = 1e19", "version_number > -2147483649", "version_number = 2147483648", "version_number = 'x'",
                    "version_number = 1.5"] {
            #expect(throws: RegistryError.self, "\(bad)") { try ModelFilter.parse(bad) }
        }
        #expect(try ModelFilter.parse("version_number <= 2147483647 and version_number > -1").clauses.count == 2)
    }

    @Test func eachSearchRefusesFieldsItHasNot() throws {
        var binds: [any PostgresEncodable] = []
        #expect(throws: RegistryError.self) { try ModelFilter.parse("run_id = 'x'").sql(&binds, for: .models) }
        #expect(throws: RegistryError.self) { try ModelFilter.parse("version_number = 1").sql(&binds, for: .experiments) }
        let experiments = try ModelFilter.parse("name = 'e' and tags.team = 'nlp'").sql(&binds, for: .experiments)
        #expect(experiments.contains("e.name =") && experiments.contains("e.tags->>"))
        let stage = try ModelFilter.parse("current_stage = 'production'").sql(&binds, for: .versions)
        #expect(stage.contains("v.stage ="))
        #expect(binds.last as? String == "Production")
    }

    @Test func orderByTakesBackquotedKeys() throws {
        var query = RunQuery()
        let order = try query.ordering(["tags.`a b` DESC", "params.`learning rate`"])
        #expect(order.hasPrefix("(SELECT p.value FROM steward.run_tags p"))
        #expect(query.binds.compactMap { $0 as? String } == ["a b", "learning rate"])
    }
}
