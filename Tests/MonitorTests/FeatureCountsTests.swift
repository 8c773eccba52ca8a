import Foundation
@testable import Monitor
import Postgres
import Testing
import TestSupport
import TextFeatures

/// PSI read from the per-minute feature counts equals PSI over the raw
/// predictions, for both methods, including a window with ragged edges and
/// minutes not yet counted.
@Suite struct FeatureCountsTests {
    @Test func countedMinutesGiveTheSamePSIAsTheRawRows() throws {
        let database = try TestDatabase()
        let pool = database.pool
        // Reference: lengths 20...120; current: shifted longer, with repeats, over 12 minutes ending 5 minutes ago.
        let reference = (0..<2000).map { 20.0 + Double(($0 * 37) % 101) }
        let datasetID: Int64 = try pool.query(
            """
            INSERT INTO steward.datasets (name, version, uri, sha256, rows) VALUES ('d', '1', 'file:///d', 'x',
                2000) RETURNING id
            """
        )
        .first!.get("id")
        _ = try pool.withConnection { c in
            try c.copyIn(
                table: "steward.reference_values", columns: ["dataset_id", "feature", "value"],
                rows: reference.map { [datasetID, "char_length", $0] })
        }
        let end = FeatureCounts.minute(Date().addingTimeInterval(-300))
        let start = end.addingTimeInterval(-12 * 60)
        let rows: [[any PostgresEncodable]] = (0..<6000).map { i in
            let at = start.addingTimeInterval(Double(i) * 0.12)
            return [
                at, "m", "1", i % 3 == 0 ? "canary" : "stable", 5.0, 200, 40 + (i * 53) % 140, 1 + i % 30,
                Double(i % 7) / 10, 0.05
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
        let drift = DriftStore(pool: pool)
        let profile = try #require(FeatureProfile(values: reference))
        // Ragged edges on both sides; the second window reaches past what the counts cover.
        let windows = [
            DriftStore.Window(
                model: "m", version: "1", track: "stable", from: start.addingTimeInterval(25),
                to: end.addingTimeInterval(-35)),
            DriftStore.Window(model: "m", version: nil, track: nil, from: start, to: Date())
        ]
        func measure() throws -> [DriftStore.Result] {
            try windows.flatMap { w in
                [
                    try drift.quantilePSI(w, feature: "char_length", profile: profile),
                    try drift.evidentlyPSI(w, feature: "char_length", datasetID: datasetID)
                ]
            }
        }
        let raw = try measure()
        #expect(raw.allSatisfy { $0.psi > 0.1 && $0.currentRows > 1000 }, "\(raw)")

        let counted = try #require(try FeatureCounts(pool: pool).rollUp(now: Date())).to
        #expect(counted > end && counted <= Date().addingTimeInterval(-FeatureCounts.grace))
        let stored: Int = try pool.query(
            "SELECT count(*) AS n FROM steward.feature_counts_1m WHERE feature = 'char_length'"
        ).first!.get("n")
        #expect(stored > 0 && stored < 6000)
        let fromCounts = try measure()
        for (a, b) in zip(raw, fromCounts) {
            #expect(a.currentRows == b.currentRows && a.bins == b.bins)
            #expect(abs(a.psi - b.psi) < 1e-12, "\(a) vs \(b)")
        }
        // A second pass has nothing new to count.
        let again = try #require(try FeatureCounts(pool: pool).rollUp(now: Date())).to
        #expect(
            abs(again.timeIntervalSince(counted)) < 0.001 || again.timeIntervalSince(counted) == 60,
            "a minute may have closed meanwhile")
    }
}
