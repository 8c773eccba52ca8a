import Foundation
@testable import Monitor
import Postgres
import Testing
import TestSupport

/// Retention deletes old predictions (in chunks) and old feature counts, and nothing else.
@Suite struct RetentionTests {
    @Test func oldPredictionsAndTheirCountsGoEverythingElseStays() throws {
        let database = try TestDatabase()
        let pool = database.pool
        let now = Date()
        // 25 predictions 40 days old, 10 from an hour ago; counts for an old and a recent minute; a rollup row.
        let rows: [[any PostgresEncodable]] = (0..<35).map { i in
            [
                now.addingTimeInterval(i < 25 ? -40 * 86_400 - Double(i) : -3600), "m", "1", "stable", 5.0, 200, 10 + i,
                2, 0.0, 0.1
            ]
        }
        _ = try pool.withConnection { c in
            try c.copyIn(
                table: "steward.prediction_log",
                columns: [
                    "at", "model_name", "model_version", "track", "latency_ms", "status",
                    "char_length", "word_count", "oov_share", "non_letter_share"
                ], rows: rows)
        }
        for (minute, n) in [(now.addingTimeInterval(-40 * 86_400), 25), (now.addingTimeInterval(-3600), 10)] {
            _ = try pool.query(
                """
                INSERT INTO steward.feature_counts_1m (model_name, feature, minute, model_version, track, value, n)
                VALUES ('m', 'word_count', date_trunc('minute', \(minute)::timestamptz), '1', 'stable', 2, \(n))
                """)
        }
        try Rollups(pool: pool).rollUp(from: now.addingTimeInterval(-41 * 86_400), to: now)
        let rollups: Int = try pool.query("SELECT count(*)::int AS n FROM steward.serving_rollup_1m").first!.get("n")

        // Chunks of 10: three DELETEs for the 25 old rows.
        let pass = try Retention(pool: pool, keep: 30 * 86_400, chunk: 10).prune(now: now)
        #expect(pass == Retention.Pass(predictions: 25, featureCounts: 1))
        let left: [Int] = try pool.query("SELECT char_length FROM steward.prediction_log ORDER BY char_length").map {
            try $0.get("char_length")
        }
        #expect(left == Array(35..<45))
        #expect(try pool.query("SELECT n FROM steward.feature_counts_1m").map { try $0.get("n", as: Int.self) } == [10])
        #expect(try pool.query("SELECT count(*)::int AS n FROM steward.serving_rollup_1m").first!.get("n") == rollups)
        #expect(rollups > 0)
        // Nothing left to prune.
        #expect(
            try Retention(pool: pool, keep: 30 * 86_400, chunk: 10).prune(now: now)
                == Retention.Pass(predictions: 0, featureCounts: 0))
    }
}
