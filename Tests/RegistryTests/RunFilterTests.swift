import Testing
import Postgres
@testable import Registry

@Suite struct RunFilterTests {
    @Test func parsesMLflowsFilterLanguage() throws {
        let clauses = try RunFilter.parse(
            "metrics.acc >= 0.5 and params.optimizer = 'adam' AND tags.`my tag` LIKE 'x%' "
                + "and attributes.status != 'FAILED'"
        )
        #expect(
            clauses == [
                RunFilter(entity: .metric, key: "acc", comparator: ">=", value: .number(0.5)),
                RunFilter(entity: .param, key: "optimizer", comparator: "=", value: .string("adam")),
                RunFilter(entity: .tag, key: "my tag", comparator: "LIKE", value: .string("x%")),
                RunFilter(entity: .attribute, key: "status", comparator: "!=", value: .string("FAILED"))
            ])
        #expect(try RunFilter.parse("metrics.\"val loss\" < 1e-3").first?.key == "val loss")
        #expect(try RunFilter.parse("run_id IN ('a', 'b')").first?.value == .list(["a", "b"]))
        #expect(try RunFilter.parse("").isEmpty)
    }

    @Test func refusesWhatMLflowRefuses() {
        for bad in [
            "metrics.acc >>> 1", "metrics.acc = 'high'", "params.lr > 0.1", "bogus.x = 'y'",
            "metrics.acc > 1 or params.a = 'b'",
            "params.a = 'unterminated", "attributes.colour = 'red'", "metrics.acc >"
        ] {
            #expect(throws: RegistryError.self, "\(bad)") { try RunFilter.parse(bad) }
        }
    }

    @Test func valuesAreBoundNeverSpliced() throws {
        let sql = try RunQuery.condition(for: try RunFilter.parse("params.x = 'a''; DROP TABLE steward.runs; --'")[0])
        #expect(!sql.text.contains("DROP"))
        #expect(sql.binds.map(\.postgresText) == ["x", "a'; DROP TABLE steward.runs; --"])
        let order = try RunQuery.ordering(["metrics.acc DESC", "start_time", "metrics.loss"])
        #expect(order.leadingMetric?.key == "acc" && order.leadingMetric?.direction.text == "DESC")
        #expect(order.rest.text.hasPrefix("r.start_time ASC NULLS LAST, (SELECT m.value FROM steward.latest_metrics m"))
        #expect(order.rest.binds.map(\.postgresText) == ["loss"])
        #expect(try RunQuery.ordering(["params.lr", "metrics.acc"]).leadingMetric == nil)
        #expect(throws: RegistryError.self) { try RunQuery.ordering(["metrics.acc DESC; DROP"]) }
    }
}

@Suite struct FilterNumberTests {
    /// Each once trapped the process (a Double out of Int64's range converted to Int64).
    @Test func outOfRangeNumbersAreRefusedNotTrapped() throws {
        for bad in [
            "attributes.start_time > 1e19", "attributes.start_time < -1e400", "attributes.end_time = 1e400",
            "start_time > 9223372036854775808", "attributes.start_time > 1.5"
        ] {
            #expect(throws: RegistryError.self, "\(bad)") { try RunFilter.parse(bad) }
        }
        let edge = try RunFilter.parse("attributes.start_time > -9223372036854775808")[0]
        #expect(try RunQuery.condition(for: edge).text.hasPrefix("r.start_time >"))
        // Metrics are doubles: huge values and infinities are numbers to compare with.
        #expect(try RunFilter.parse("metrics.loss < 1e400").first?.value == .number(.infinity))
        for bad in [
            "version_number = 1e19", "version_number > -2147483649", "version_number = 2147483648",
            "version_number = 'x'",
            "version_number = 1.5"
        ] {
            #expect(throws: RegistryError.self, "\(bad)") { try ModelFilter.parse(bad) }
        }
        #expect(try ModelFilter.parse("version_number <= 2147483647 and version_number > -1").clauses.count == 2)
    }

    @Test func eachSearchRefusesFieldsItHasNot() throws {
        #expect(throws: RegistryError.self) { try ModelFilter.parse("run_id = 'x'").sql(for: .models) }
        #expect(throws: RegistryError.self) { try ModelFilter.parse("version_number = 1").sql(for: .experiments) }
        let experiments = try ModelFilter.parse("name = 'e' and tags.team = 'nlp'").sql(for: .experiments)
        #expect(experiments.text.contains("e.name =") && experiments.text.contains("e.tags->>"))
        let stage = try ModelFilter.parse("current_stage = 'production'").sql(for: .versions)
        #expect(stage.text.contains("v.stage ="))
        #expect(stage.binds.last?.postgresText == "Production")
    }

    @Test func orderByTakesBackquotedKeys() throws {
        let order = try RunQuery.ordering(["tags.`a b` DESC", "params.`learning rate`"]).rest
        #expect(order.text.hasPrefix("(SELECT p.value FROM steward.run_tags p"))
        #expect(order.binds.map(\.postgresText) == ["a b", "learning rate"])
        #expect(try RunQuery.ordering(["metrics.`val acc` DESC"]).leadingMetric?.key == "val acc")
    }
}
