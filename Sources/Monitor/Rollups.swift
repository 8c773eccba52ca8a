import Foundation
import Postgres

/// Per-minute serving rollups from the prediction log, one row per minute per
/// model version and track, recomputed idempotently for closed minutes: requests
/// (not texts), server errors (5xx, timeouts) and client errors (4xx) apart, and
/// latency percentiles over every request, failed ones included.
public struct Rollups: Sendable {
    let pool: PostgresPool
    public init(pool: PostgresPool) { self.pool = pool }

    /// Rolls up every minute in [from, to) (to is truncated to a whole minute).
    @discardableResult
    public func rollUp(from: Date, to: Date) throws -> Int {
        try pool.query("""
            INSERT INTO steward.serving_rollup_1m AS r (minute, model_name, model_version, track, requests, errors, client_errors,
                latency_p50_ms, latency_p95_ms, latency_p99_ms, mean_confidence, label_counts)
            SELECT m.minute, m.model_name, m.model_version, m.track, m.requests, m.errors, m.client_errors, m.p50, m.p95, m.p99, m.confidence,
                   COALESCE((SELECT jsonb_object_agg(label, n) FROM (
                       SELECT label, count(*) AS n FROM steward.prediction_log p
                       WHERE p.at >= m.minute AND p.at < m.minute + interval '1 minute' AND p.model_name = m.model_name
                         AND p.model_version = m.model_version AND p.track = m.track AND p.label IS NOT NULL GROUP BY label) l), '{}')
            FROM (
                SELECT date_trunc('minute', at) AS minute, model_name, model_version, track,
                       count(*) FILTER (WHERE text_index = 0) AS requests,
                       count(*) FILTER (WHERE text_index = 0 AND status >= 500) AS errors,
                       count(*) FILTER (WHERE text_index = 0 AND status BETWEEN 400 AND 499) AS client_errors,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE text_index = 0) AS p50,
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE text_index = 0) AS p95,
                       percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE text_index = 0) AS p99,
                       avg(confidence) AS confidence
                FROM steward.prediction_log WHERE at >= date_trunc('minute', \(from)::timestamptz) AND at < date_trunc('minute', \(to)::timestamptz)
                GROUP BY 1, 2, 3, 4) m
            ON CONFLICT (minute, model_name, model_version, track) DO UPDATE SET requests = excluded.requests, errors = excluded.errors,
                client_errors = excluded.client_errors,
                latency_p50_ms = excluded.latency_p50_ms, latency_p95_ms = excluded.latency_p95_ms, latency_p99_ms = excluded.latency_p99_ms,
                mean_confidence = excluded.mean_confidence, label_counts = excluded.label_counts
            """).affectedRows
    }
}

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
            let done: Date? = try c.query("SELECT rolled_up_to FROM steward.feature_counts_progress FOR UPDATE").first?.get("rolled_up_to")
            guard let start = try done ?? c.query("SELECT min(at) AS at FROM steward.prediction_log").first?.get("at", as: Date?.self).map({ Self.minute($0) })
            else { return nil }
            let end = min(Self.minute(now.addingTimeInterval(-Self.grace)), start.addingTimeInterval(Double(Self.maxMinutesPerPass) * 60))
            guard end > start else { return Pass(from: start, to: start) }
            _ = try c.query("""
                INSERT INTO steward.feature_counts_1m (model_name, feature, minute, model_version, track, value, n)
                SELECT p.model_name, f.feature, date_trunc('minute', p.at), p.model_version, p.track, f.value, count(*)
                FROM steward.prediction_log p,
                     LATERAL (VALUES ('char_length', p.char_length::float8), ('word_count', p.word_count::float8),
                                     ('oov_share', p.oov_share), ('non_letter_share', p.non_letter_share)) AS f (feature, value)
                WHERE p.at >= \(start) AND p.at < \(end) AND f.value IS NOT NULL
                GROUP BY 1, 2, 3, 4, 5, 6
                ON CONFLICT (model_name, feature, minute, model_version, track, value) DO UPDATE SET n = excluded.n
                """)
            _ = try c.query("""
                INSERT INTO steward.feature_counts_progress (rolled_up_to) VALUES (\(end))
                ON CONFLICT (id) DO UPDATE SET rolled_up_to = excluded.rolled_up_to
                """)
            return Pass(from: start, to: end)
        }
    }
}
