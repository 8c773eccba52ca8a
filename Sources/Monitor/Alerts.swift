import Foundation
import HTTPKit
import Postgres
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
            return try c.query("""
                SELECT psi FROM steward.drift_windows WHERE model_name = \(model) AND track = 'stable' ORDER BY window_start DESC, psi DESC LIMIT 1
                """).first?.get("psi")
        case "error_rate":
            return try c.query("""
                SELECT sum(errors)::float8 / NULLIF(sum(requests), 0) AS v FROM steward.serving_rollup_1m WHERE model_name = \(model) AND minute >= \(since)
                """).first?.get("v")
        default:
            return try c.query("SELECT max(latency_p99_ms) AS v FROM steward.serving_rollup_1m WHERE model_name = \(model) AND minute >= \(since)").first?.get("v")
        }
    }

    /// Evaluates every enabled rule; returns the names of the rules that changed state.
    @discardableResult
    public func evaluate(now: Date) throws -> [String] {
        try pool.withTransaction { c in
            var changed: [String] = []
            for rule in try c.query("""
                SELECT r.id, r.name, r.metric, r.model_name, r.threshold, r.for_seconds, r.pending_since,
                       (SELECT a.id FROM steward.alerts a WHERE a.rule_id = r.id AND a.ended_at IS NULL) AS open
                FROM steward.alert_rules r WHERE r.enabled FOR UPDATE OF r
                """) {
                let id: Int64 = try rule.get("id"), name: String = try rule.get("name")
                let threshold: Double = try rule.get("threshold"), forSeconds: Int = try rule.get("for_seconds")
                let open: Int64? = try rule.get("open"), pending: Date? = try rule.get("pending_since")
                guard let value = try value(c, metric: try rule.get("metric"), model: try rule.get("model_name"), now: now) else { continue }
                if value > threshold {
                    let since = pending ?? now
                    if pending == nil { _ = try c.query("UPDATE steward.alert_rules SET pending_since = \(now) WHERE id = \(id)") }
                    if open == nil, now.timeIntervalSince(since) >= Double(forSeconds) {
                        _ = try c.query("INSERT INTO steward.alerts (rule_id, started_at, value) VALUES (\(id), \(now), \(value))")
                        try Notifications.queue(c, kind: "alert", payload: ["alert": name, "state": "firing", "value": value, "threshold": threshold,
                                                                            "at": Timestamp.iso8601(now)])
                        changed.append(name)
                    }
                } else {
                    if pending != nil { _ = try c.query("UPDATE steward.alert_rules SET pending_since = NULL WHERE id = \(id)") }
                    if let open {
                        _ = try c.query("UPDATE steward.alerts SET ended_at = \(now) WHERE id = \(open)")
                        try Notifications.queue(c, kind: "alert", payload: ["alert": name, "state": "resolved", "value": value, "threshold": threshold,
                                                                            "at": Timestamp.iso8601(now)])
                        changed.append(name)
                    }
                }
            }
            return changed
        }
    }
}

/// The notification outbox: rows written in the transaction of the change they
/// announce, delivered later by `deliver` as JSON POSTs with backoff.
public enum Notifications {
    public static func queue(_ c: PostgresConnection, kind: String, payload: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: payload.merging(["kind": kind]) { old, _ in old }, options: [.sortedKeys])
        _ = try c.query("INSERT INTO steward.notifications (kind, payload) VALUES (\(kind), \(String(decoding: data, as: UTF8.self))::jsonb)")
    }

    /// Posts what is due to `webhook`; failures are retried later (1 s doubling to 10 min).
    @discardableResult
    public static func deliver(pool: PostgresPool, client: HTTPClient, webhook: String, now: Date = Date(), logger: Logger) throws -> Int {
        let due = try pool.query("""
            SELECT id, payload::text AS payload, attempts FROM steward.notifications
            WHERE delivered_at IS NULL AND next_attempt_at <= \(now) ORDER BY id LIMIT 100
            """)
        var delivered = 0
        for row in due {
            let id: Int64 = try row.get("id"), attempts: Int = try row.get("attempts")
            var request = ClientRequest(.POST, webhook, headers: ["Content-Type": "application/json", "X-Steward-Notification": String(id)],
                                        body: Data(try row.get("payload", as: String.self).utf8), idempotent: true)
            request.timeout = .seconds(5)
            do {
                _ = try client.send(request).success()
                _ = try pool.query("UPDATE steward.notifications SET delivered_at = now(), attempts = attempts + 1 WHERE id = \(id)")
                delivered += 1
            } catch {
                let delay = min(600.0, pow(2.0, Double(attempts)))
                _ = try pool.query("""
                    UPDATE steward.notifications SET attempts = attempts + 1, last_error = \(String("\(error)".prefix(500))), next_attempt_at = \(now.addingTimeInterval(delay)) WHERE id = \(id)
                    """)
                logger.warning("webhook delivery failed; will retry", ["notification": .int(Int(id)), "attempts": .int(attempts + 1)])
            }
        }
        return delivered
    }
}
