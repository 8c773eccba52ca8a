import Testing
@testable import Orchestrator

@Suite struct PromotionPolicyTests {
    let policy = try! PromotionPolicy(
        parsing: "accuracy >= 0.80 and f1 >= production.f1 + 0.005 and dataset.rows >= 500")

    @Test func passesWhenEveryClauseHolds() {
        let verdict = policy.evaluate(
            .init(candidate: ["accuracy": 0.83, "f1": 0.86], production: ["f1": 0.85], dataset: ["rows": 12_752]))
        #expect(verdict.passed)
        #expect(verdict.clauses.map(\.passed) == [true, true, true])
        #expect(verdict.clauses[1].left == 0.86 && abs((verdict.clauses[1].right ?? 0) - 0.855) < 1e-12)
        #expect(verdict.reasons.isEmpty)
    }

    @Test func failsWithAReasonPerClause() {
        let verdict = policy.evaluate(.init(candidate: ["accuracy": 0.79], production: nil, dataset: ["rows": 100]))
        #expect(!verdict.passed)
        #expect(
            verdict.reasons == [
                "accuracy >= 0.80: 0.79 >= 0.8 does not hold",
                "f1 >= production.f1 + 0.005: the candidate has no metric f1",
                "dataset.rows >= 500: 100 >= 500 does not hold"
            ])
        let noProduction = policy.evaluate(
            .init(candidate: ["accuracy": 0.9, "f1": 0.9], production: nil, dataset: ["rows": 600]))
        #expect(noProduction.reasons == ["f1 >= production.f1 + 0.005: there is no Production version to compare with"])
    }

    @Test func arithmeticAndBoundaries() throws {
        let p = try PromotionPolicy(parsing: "(accuracy - production.accuracy) * 100 >= -0.5 && latency_p99_ms <= 40")
        #expect(
            p.evaluate(
                .init(candidate: ["accuracy": 0.8, "latency_p99_ms": 40], production: ["accuracy": 0.805], dataset: [:])
            ).passed)
        #expect(
            try PromotionPolicy(parsing: "accuracy >= 0.8").evaluate(
                .init(candidate: ["accuracy": 0.8], production: nil, dataset: [:])
            ).passed)
    }

    @Test func deepNestingIsAParseErrorNotACrash() throws {
        // Each sign or parenthesis was one recursive call: 400 leading '-' overflowed a worker's stack.
        for text in [
            "accuracy >= " + String(repeating: "-", count: 5000) + "1",
            "accuracy >= " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        ] {
            #expect(throws: PromotionPolicy.ParseError.self) { try PromotionPolicy(parsing: text) }
        }
        let nested = try PromotionPolicy(
            parsing: "accuracy >= " + String(repeating: "-(", count: 16) + "0" + String(repeating: ")", count: 16))
        #expect(nested.clauses.count == 1)
    }

    @Test func parseErrorsPointAtTheColumn() {
        let cases: [(String, Int)] = [
            ("accuracy >= ", 13), ("accuracy 0.8", 10), ("accuracy >= 0.8 or f1 > 0", 17),
            ("", 1), ("accuracy >= (0.8", 17), ("production. >= 1", 1)
        ]
        for (text, column) in cases {
            do {
                _ = try PromotionPolicy(parsing: text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.column == column, "\(text): \(error)")
            }
        }
    }
}
