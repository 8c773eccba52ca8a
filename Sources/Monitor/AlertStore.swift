import Foundation
import Postgres

/// Alert rules and the alerts they raised (`steward.alert_rules`, `steward.alerts`),
/// as operators read and write them; `AlertEvaluator` opens and closes alerts.
struct AlertStore: Sendable {
    let pool: PostgresPool

    static let metrics = ["input_psi", "error_rate", "latency_p99_ms"]

    struct Rule: Decodable, Sendable {
        let metric: String, model: String, threshold: Double
        let forSeconds: Int?, enabled: Bool?
        enum CodingKeys: String, CodingKey { case metric, model, threshold, enabled, forSeconds = "for_seconds" }
    }

    struct Alert: Encodable, Sendable {
        let rule: String, metric: String, model: String, threshold: Double, startedAt: Date, endedAt: Date?,
            value: Double
        enum CodingKeys: String, CodingKey {
            case rule, metric, model, threshold, value, startedAt = "started_at", endedAt = "ended_at"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(rule, forKey: .rule)
            try c.encode(metric, forKey: .metric)
            try c.encode(model, forKey: .model)
            try c.encode(threshold, forKey: .threshold)
            try c.encode(value, forKey: .value)
            try c.encode(startedAt, forKey: .startedAt)
            try c.encode(endedAt, forKey: .endedAt)  // null while it fires
        }
    }

    /// Creates or replaces a rule; a replaced rule starts its pending time afresh.
    func put(_ c: PostgresConnection, name: String, _ rule: Rule) throws {
        _ = try c.query(
            """
            INSERT INTO steward.alert_rules (name, metric, model_name, threshold, for_seconds, enabled) VALUES
                (\(name), \(rule.metric), \(rule.model), \(rule.threshold), \(rule.forSeconds ?? 0),
                    \(rule.enabled ?? true))
            ON CONFLICT (name) DO UPDATE SET metric = excluded.metric, model_name = excluded.model_name, threshold =
                excluded.threshold,
                for_seconds = excluded.for_seconds, enabled = excluded.enabled, pending_since = NULL
            """)
    }

    /// The newest alerts, firing or ended, newest first.
    func recent(limit: Int = 200) throws -> [Alert] {
        try pool.query(
            """
            SELECT r.name, r.metric, r.model_name, r.threshold, a.started_at, a.ended_at, a.value
            FROM steward.alerts a JOIN steward.alert_rules r ON r.id = a.rule_id ORDER BY a.id DESC LIMIT \(limit)
            """
        ).map { row in
            Alert(
                rule: try row.get("name"), metric: try row.get("metric"), model: try row.get("model_name"),
                threshold: try row.get("threshold"),
                startedAt: try row.get("started_at"), endedAt: try row.get("ended_at"), value: try row.get("value"))
        }
    }
}
