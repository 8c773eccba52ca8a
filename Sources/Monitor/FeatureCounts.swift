import Foundation
import Postgres

/// The streaming side of drift: each closed minute's feature values are counted
/// once into `feature_counts_1m`, so PSI over a window of any size reads counts
/// instead of raw predictions. Minutes are taken in order; a grace keeps the
/// newest minutes out while serving's log queue may still be writing them.
public struct FeatureCounts: Sendable {
    let pool: PostgresPool
    /// Rows logged this long after their prediction may miss their minute's count.
    public static let grace: TimeInterval = 120
    /// Most minutes taken in one pass (a long backlog is worked off over several).
    static let maxMinutesPerPass = 360

    public init(pool: PostgresPool) { self.pool = pool }

    static func minute(_ date: Date, _ rule: FloatingPointRoundingRule = .down) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(rule) * 60)
    }

    /// The minutes one pass counted: [from, to).
    public struct Pass: Sendable, Equatable {
        public let from: Date
        public let to: Date
    }

    /// Counts the minutes from the last pass's end up to `now` less the grace;
    /// `to` is the new `feature_counts_progress.rolled_up_to`. Nil before any prediction.
    @discardableResult
    public func rollUp(now: Date) throws -> Pass? {
        try pool.withTransaction { c -> Pass? in
            let done: Date? = try c.query("SELECT rolled_up_to FROM steward.feature_counts_progress FOR UPDATE").first?
                .get("rolled_up_to")
            guard
                let start = try done
                    ?? c.query("SELECT min(at) AS at FROM steward.prediction_log").first?.get("at", as: Date?.self).map(
                        { Self.minute($0) })
            else { return nil }
            let end = min(
                Self.minute(now.addingTimeInterval(-Self.grace)),
                start.addingTimeInterval(Double(Self.maxMinutesPerPass) * 60))
            guard end > start else { return Pass(from: start, to: start) }
            _ = try c.query(
                """
                INSERT INTO steward.feature_counts_1m (model_name, feature, minute, model_version, track, value, n)
                SELECT p.model_name, f.feature, date_trunc('minute', p.at), p.model_version, p.track, f.value, count(*)
                FROM steward.prediction_log p,
                     LATERAL (VALUES ('char_length', p.char_length::float8), ('word_count', p.word_count::float8),
                                     ('oov_share', p.oov_share), ('non_letter_share', p.non_letter_share)) AS f
                                         (feature, value)
                WHERE p.at >= \(start) AND p.at < \(end) AND f.value IS NOT NULL
                GROUP BY 1, 2, 3, 4, 5, 6
                ON CONFLICT (model_name, feature, minute, model_version, track, value) DO UPDATE SET n = excluded.n
                """)
            _ = try c.query(
                """
                INSERT INTO steward.feature_counts_progress (rolled_up_to) VALUES (\(end))
                ON CONFLICT (id) DO UPDATE SET rolled_up_to = excluded.rolled_up_to
                """)
            return Pass(from: start, to: end)
        }
    }
}
