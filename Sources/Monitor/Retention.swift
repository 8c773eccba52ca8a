import Foundation
import Postgres

/// Keeps the prediction log from growing without bound: deletes predictions, and the
/// per-minute feature counts made from them, older than the retention. Deletes go in
/// chunks, each its own short transaction, so steward-serve's writer and the rest of the
/// monitor never wait long on them. The aggregates (serving rollups, drift windows,
/// alerts) and the labelled feedback are kept: they are small, and history Grafana and
/// retraining read.
struct Retention {
    let pool: PostgresPool
    let keep: TimeInterval
    var chunk = 20_000
    /// At most this many chunks of predictions per pass; the rest waits for the next one.
    var maxChunks = 50

    struct Pass: Equatable {
        let predictions: Int
        let featureCounts: Int
    }

    func prune(now: Date) throws -> Pass {
        let cutoff = now.addingTimeInterval(-keep)
        var predictions = 0
        for _ in 0..<maxChunks {
            let deleted = try pool.query(
                """
                DELETE FROM steward.prediction_log WHERE id IN (
                    SELECT id FROM steward.prediction_log WHERE at < \(cutoff) LIMIT \(raw: chunk))
                """
            ).affectedRows
            predictions += deleted
            if deleted < chunk { break }
        }
        let featureCounts = try pool.query("DELETE FROM steward.feature_counts_1m WHERE minute < \(cutoff)")
            .affectedRows
        return Pass(predictions: predictions, featureCounts: featureCounts)
    }
}
