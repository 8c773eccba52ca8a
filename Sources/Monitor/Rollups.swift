import Foundation
import Postgres

/// Per-minute serving rollups from the prediction log, one row per minute per
/// model version and track, recomputed idempotently for closed minutes: requests
/// (not texts), server errors (5xx, timeouts) and client errors (4xx) apart, and
/// latency percentiles over every request, failed ones included.
public struct Rollups: Sendable {
    let pool: PostgresPool
    /// Most minutes taken in one pass (a long backlog is worked off over several).
    static let maxMinutesPerPass = 360

    public init(pool: PostgresPool) { self.pool = pool }

    /// Rolls up the minutes closed since the last pass, starting `FeatureCounts.grace` before
    /// its end so that rows serving's log queue wrote late are counted; the first pass starts an
    /// hour back. Returns the minutes rolled, [from, to) (`to` is the new progress).
    @discardableResult
    public func rollUpClosedMinutes(now: Date) throws -> (from: Date, to: Date) {
        try pool.withTransaction { c in
            let done: Date? = try c.query("SELECT rolled_up_to FROM steward.serving_rollup_progress FOR UPDATE")
                .first?.get("rolled_up_to")
            let start = FeatureCounts.minute(
                done?.addingTimeInterval(-FeatureCounts.grace) ?? now.addingTimeInterval(-3600))
            let end = min(FeatureCounts.minute(now), start.addingTimeInterval(Double(Self.maxMinutesPerPass) * 60))
            guard end > start else { return (start, start) }
            try rollUp(c, from: start, to: end)
            _ = try c.query(
                """
                INSERT INTO steward.serving_rollup_progress (rolled_up_to) VALUES (\(end))
                ON CONFLICT (id) DO UPDATE SET rolled_up_to = excluded.rolled_up_to
                """)
            return (start, end)
        }
    }

    /// Rolls up every minute in [from, to) (to is truncated to a whole minute).
    @discardableResult
    public func rollUp(from: Date, to: Date) throws -> Int {
        try pool.withConnection { c in try rollUp(c, from: from, to: to) }
    }

    private func rollUp(_ c: PostgresConnection, from: Date, to: Date) throws -> Int {
        try c.query(
            """
            INSERT INTO steward.serving_rollup_1m AS r (minute, model_name, model_version, track, requests, errors,
                client_errors,
                latency_p50_ms, latency_p95_ms, latency_p99_ms, mean_confidence, label_counts)
            SELECT m.minute, m.model_name, m.model_version, m.track, m.requests, m.errors, m.client_errors, m.p50,
                m.p95, m.p99, m.confidence,
                   COALESCE((SELECT jsonb_object_agg(label, n) FROM (
                       SELECT label, count(*) AS n FROM steward.prediction_log p
                       WHERE p.at >= m.minute AND p.at < m.minute + interval '1 minute' AND p.model_name = m.model_name
                         AND p.model_version = m.model_version AND p.track = m.track AND p.label IS NOT NULL
                         AND NOT p.shadow GROUP BY
                             label) l), '{}')
            FROM (
                SELECT date_trunc('minute', at) AS minute, model_name, model_version, track,
                       count(*) FILTER (WHERE text_index = 0) AS requests,
                       count(*) FILTER (WHERE text_index = 0 AND status >= 500) AS errors,
                       count(*) FILTER (WHERE text_index = 0 AND status BETWEEN 400 AND 499) AS client_errors,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE text_index = 0) AS p50,
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE text_index = 0) AS p95,
                       percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE text_index = 0) AS p99,
                       avg(confidence) AS confidence
                FROM steward.prediction_log WHERE NOT shadow AND at >= date_trunc('minute', \(from)::timestamptz) AND
                    at < date_trunc('minute', \(to)::timestamptz)
                GROUP BY 1, 2, 3, 4) m
            ON CONFLICT (minute, model_name, model_version, track) DO UPDATE SET requests = excluded.requests, errors =
                excluded.errors,
                client_errors = excluded.client_errors,
                latency_p50_ms = excluded.latency_p50_ms, latency_p95_ms = excluded.latency_p95_ms, latency_p99_ms =
                    excluded.latency_p99_ms,
                mean_confidence = excluded.mean_confidence, label_counts = excluded.label_counts
            """
        ).affectedRows
    }
}
