import Foundation
@testable import Monitor
import Postgres
import Testing
import TestSupport

/// The monitor rolls up each minute once it closes, re-rolling the grace before the last pass's
/// end for rows serving's log wrote late, instead of the whole last hour on every pass.
@Suite struct RollupsTests {
    @Test func eachPassRollsTheMinutesClosedSinceTheLastAndTakesLateRows() throws {
        let database = try TestDatabase()
        let pool = database.pool
        let minute = FeatureCounts.minute(Date().addingTimeInterval(-7200))  // any minute: `now` is passed in
        let now = minute.addingTimeInterval(30)
        func log(_ offsets: [TimeInterval]) throws {
            _ = try pool.withConnection { c in
                try c.copyIn(
                    table: "steward.prediction_log",
                    columns: ["at", "model_name", "model_version", "track", "latency_ms", "status"],
                    rows: offsets.map { [minute.addingTimeInterval($0), "m", "1", "stable", 5.0, 200] })
            }
        }
        func requests() throws -> [TimeInterval: Int] {
            let rows = try pool.query("SELECT minute, requests FROM steward.serving_rollup_1m WHERE model_name = 'm'")
            return Dictionary(
                uniqueKeysWithValues: try rows.map { row in
                    ((try row.get("minute", as: Date.self)).timeIntervalSince(minute), try row.get("requests") as Int)
                })
        }
        try log([-175, -170, -165, -55, -50, 5])
        let rollups = Rollups(pool: pool)

        let first = try rollups.rollUpClosedMinutes(now: now)
        #expect(first.from == minute.addingTimeInterval(-3600) && first.to == minute, "the open minute waits")
        #expect(try requests() == [-180: 3, -60: 2])

        // A row of the minute before arrives late (within the grace), and the next minute closes.
        try log([-20, 20])
        let second = try rollups.rollUpClosedMinutes(now: now.addingTimeInterval(60))
        #expect(
            second.from == minute.addingTimeInterval(-FeatureCounts.grace) && second.to == minute.addingTimeInterval(60)
        )
        #expect(try requests() == [-180: 3, -60: 3, 0: 2])

        // Nothing closed since: the pass re-rolls the grace only, and the progress stays.
        let third = try rollups.rollUpClosedMinutes(now: now.addingTimeInterval(75))
        #expect(third.to == second.to && third.from == second.to.addingTimeInterval(-FeatureCounts.grace))
        let progress: Date = try pool.query("SELECT rolled_up_to FROM steward.serving_rollup_progress").first!
            .get("rolled_up_to")
        #expect(progress == second.to)
    }
}
