import Foundation
import HTTPKit
import Postgres

/// Alert rules and the alerts they raised (`steward.alert_rules`, `steward.alerts`),
/// as operators read and write them; `AlertEvaluator` opens and resolves alerts.
public struct AlertStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    static let metrics = ["input_psi", "error_rate", "latency_p99_ms"]

    struct Rule: Decodable, Sendable {
        let metric: String, model: String, threshold: Double
        let forSeconds: Int?, resolveAfterSeconds: Int?, enabled: Bool?
        enum CodingKeys: String, CodingKey {
            case metric, model, threshold, enabled, forSeconds = "for_seconds", resolveAfterSeconds =
                "resolve_after_seconds"
        }
    }

    /// An alert as operators see it: null fields are written out (an open alert has `ended_at: null`).
    public struct Alert: Encodable, Sendable {
        public let id: Int64, rule: String, metric: String, model: String, threshold: Double
        public let startedAt: Date
        @Nullable public var endedAt: Date?
        public let value: Double
        @Nullable public var resolvedValue: Double?
        @Nullable public var acknowledgedAt: Date?
        @Nullable public var acknowledgedBy: String?
        @Nullable public var silencedUntil: Date?
        enum CodingKeys: String, CodingKey {
            case id, rule, metric, model, threshold, value, startedAt = "started_at", endedAt = "ended_at"
            case resolvedValue = "resolved_value", acknowledgedAt = "acknowledged_at", acknowledgedBy =
                "acknowledged_by"
            case silencedUntil = "silenced_until"
        }
    }

    /// Creates or replaces a rule; a replaced rule starts its pending and resolving times afresh.
    func put(_ c: PostgresConnection, name: String, _ rule: Rule) throws {
        _ = try c.query(
            """
            INSERT INTO steward.alert_rules (name, metric, model_name, threshold, for_seconds, resolve_after_seconds,
                enabled)
            VALUES (\(name), \(rule.metric), \(rule.model), \(rule.threshold), \(rule.forSeconds ?? 0),
                \(rule.resolveAfterSeconds ?? 0), \(rule.enabled ?? true))
            ON CONFLICT (name) DO UPDATE SET metric = excluded.metric, model_name = excluded.model_name,
                threshold = excluded.threshold, for_seconds = excluded.for_seconds,
                resolve_after_seconds = excluded.resolve_after_seconds, enabled = excluded.enabled,
                pending_since = NULL, resolving_since = NULL
            """)
    }

    /// The newest alerts, firing or ended, newest first.
    public func recent(limit: Int = 200) throws -> [Alert] {
        try pool.query(
            """
            SELECT a.id, r.name, r.metric, r.model_name, r.threshold, a.started_at, a.ended_at, a.value,
                a.resolved_value,
                a.acknowledged_at, a.acknowledged_by, r.silenced_until
            FROM steward.alerts a JOIN steward.alert_rules r ON r.id = a.rule_id ORDER BY a.id DESC LIMIT \(limit)
            """
        ).map { row in
            Alert(
                id: try row.get("id"), rule: try row.get("name"), metric: try row.get("metric"),
                model: try row.get("model_name"), threshold: try row.get("threshold"),
                startedAt: try row.get("started_at"), endedAt: try row.get("ended_at"), value: try row.get("value"),
                resolvedValue: try row.get("resolved_value"), acknowledgedAt: try row.get("acknowledged_at"),
                acknowledgedBy: try row.get("acknowledged_by"), silencedUntil: try row.get("silenced_until"))
        }
    }

    enum AcknowledgeOutcome { case acknowledged, unknown, alreadyEnded, alreadyAcknowledged(by: String) }

    /// Marks a firing alert as seen by `by`, in the caller's transaction.
    func acknowledge(_ c: PostgresConnection, id: Int64, by: String) throws -> AcknowledgeOutcome {
        guard
            let row = try c.query(
                "SELECT ended_at, acknowledged_by FROM steward.alerts WHERE id = \(id) FOR UPDATE"
            ).first
        else { return .unknown }
        if try row.get("ended_at", as: Date?.self) != nil { return .alreadyEnded }
        if let earlier: String = try row.get("acknowledged_by") { return .alreadyAcknowledged(by: earlier) }
        _ = try c.query("UPDATE steward.alerts SET acknowledged_at = now(), acknowledged_by = \(by) WHERE id = \(id)")
        return .acknowledged
    }

    /// Holds back the rule's notifications until `until` (nil lifts the silence); false for an unknown rule.
    func silence(_ c: PostgresConnection, rule: String, until: Date?, by: String) throws -> Bool {
        try c.query(
            """
            UPDATE steward.alert_rules SET silenced_until = \(until), silenced_by = \(until == nil ? nil : by)
            WHERE name = \(rule)
            """
        ).affectedRows == 1
    }
}
