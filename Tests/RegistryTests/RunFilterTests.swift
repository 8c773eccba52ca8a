import Testing
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
