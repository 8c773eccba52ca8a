import Foundation
import HTTPKit
import Postgres
import Registry
import Telemetry

/// Alert rules evaluated on each monitor pass. A rule whose value stays above
/// its threshold for `for_seconds` fires; it resolves when the value drops back.
/// Each change opens or closes an `alerts` row and queues a webhook
/// notification, all in one transaction.
public struct AlertEvaluator: Sendable {
    let pool: PostgresPool
    public init(pool: PostgresPool) { self.pool = pool }

    /// The rule's current value, or nil when there is nothing to judge yet.
    func value(_ c: PostgresConnection, metric: String, model: String, now: Date) throws -> Double? {
        let since = now.addingTimeInterval(-300)
        switch metric {
        case "input_psi":
            return try c.query(
                """
                SELECT psi FROM steward.drift_windows WHERE model_name = \(model) AND track = 'stable' ORDER BY
                    window_start DESC, psi DESC LIMIT 1
                """
            ).first?.get("psi")
        case "error_rate":
            return try c.query(
                """
                SELECT sum(errors)::float8 / NULLIF(sum(requests), 0) AS v FROM steward.serving_rollup_1m WHERE
                    model_name = \(model) AND minute >= \(since)
                """
            ).first?.get("v")
        default:
            return try c.query(
                """
                SELECT max(latency_p99_ms) AS v FROM steward.serving_rollup_1m WHERE model_name = \(model) AND
                    minute >= \(since)
                """
            ).first?.get("v")
        }
    }

    /// Evaluates every enabled rule; returns the names of the rules that changed state.
    ///
    /// A value above the threshold for `for_seconds` opens an alert; an open alert
    /// resolves once the value has stayed at or under the threshold for
    /// `resolve_after_seconds` (a value above it again restarts that wait). A rule
    /// silenced until a later time still opens and resolves its alerts; only its
    /// notifications are held back.
    @discardableResult
    public func evaluate(now: Date) throws -> [String] {
        try pool.withTransaction { c in
            var changed: [String] = []
            for rule in try c.query(
                """
                SELECT r.id, r.name, r.metric, r.model_name, r.threshold, r.for_seconds, r.pending_since,
                       r.resolve_after_seconds, r.resolving_since, r.silenced_until,
                       (SELECT a.id FROM steward.alerts a WHERE a.rule_id = r.id AND a.ended_at IS NULL) AS open
                FROM steward.alert_rules r WHERE r.enabled FOR UPDATE OF r
                """)
            {
                let id: Int64 = try rule.get("id"), name: String = try rule.get("name")
                let threshold: Double = try rule.get("threshold"), forSeconds: Int = try rule.get("for_seconds")
                let resolveAfter: Int = try rule.get("resolve_after_seconds")
                let open: Int64? = try rule.get("open"), pending: Date? = try rule.get("pending_since")
                let resolving: Date? = try rule.get("resolving_since")
                let silenced = (try rule.get("silenced_until", as: Date?.self)).map { $0 > now } ?? false
                let metric: String = try rule.get("metric"), model: String = try rule.get("model_name")
                guard let value = try value(c, metric: metric, model: model, now: now) else { continue }
                /// The alert's change as an event (held back while the rule is silenced).
                func notify(_ state: String, alert: Int64) throws {
                    guard !silenced else { return }
                    try Outbox.record(
                        c, kind: "alert.\(state)",
                        payload: [
                            "alert": name, "alert_id": alert, "metric": metric, "model": model, "state": state,
                            "value": value, "threshold": threshold
                        ])
                }
                if value > threshold {
                    let since = pending ?? now
                    if pending == nil || resolving != nil {  // written only when it changes, not on every pass
                        _ = try c.query(
                            """
                            UPDATE steward.alert_rules SET pending_since = \(since), resolving_since = NULL WHERE id =
                                \(id)
                            """)
                    }
                    if open == nil, now.timeIntervalSince(since) >= Double(forSeconds) {
                        let alert: Int64 = try c.query(
                            """
                            INSERT INTO steward.alerts (rule_id, started_at, value) VALUES (\(id), \(now), \(value))
                                RETURNING id
                            """
                        ).first!.get("id")
                        try notify("firing", alert: alert)
                        changed.append(name)
                    }
                } else {
                    let since = open == nil ? nil : (resolving ?? now)
                    if pending != nil || resolving != since {
                        _ = try c.query(
                            """
                            UPDATE steward.alert_rules SET pending_since = NULL, resolving_since = \(since) WHERE id =
                                \(id)
                            """)
                    }
                    if let open, let since, now.timeIntervalSince(since) >= Double(resolveAfter) {
                        _ = try c.query(
                            """
                            UPDATE steward.alerts SET ended_at = \(now), resolved_value = \(value) WHERE id = \(open)
                            """)
                        _ = try c.query("UPDATE steward.alert_rules SET resolving_since = NULL WHERE id = \(id)")
                        try notify("resolved", alert: open)
                        changed.append(name)
                    }
                }
            }
            return changed
        }
    }
}
