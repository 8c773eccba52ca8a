import Foundation
import HTTPKit
import Postgres

/// The verdict of each version's promotion policy (`steward.promotion_decisions`),
/// with the policy's text, the values it read and every clause's outcome.
struct PromotionDecisions: Sendable {
    let pool: PostgresPool

    struct Decision: Encodable, Sendable {
        let model: String, version: Int, policy: String, passed: Bool, inputs: JSONValue, clauses: JSONValue,
            decidedAt: Date
        enum CodingKeys: String, CodingKey {
            case model, version, policy, passed, inputs, clauses, decidedAt = "decided_at"
        }
    }

    /// Records (or replaces) the version's verdict, in the caller's transaction.
    func record(
        _ c: PostgresConnection, modelID: Int64, version: Int, policy: String, inputs: some Encodable,
        verdict: PromotionPolicy.Verdict
    ) throws {
        _ = try c.query(
            """
            INSERT INTO steward.promotion_decisions (model_id, version, policy, inputs, passed, clauses)
            VALUES (\(modelID), \(version), \(policy), \(try JSON.text(inputs))::jsonb, \(verdict.passed),
                \(try JSON.text(verdict.clauses))::jsonb)
            ON CONFLICT (model_id, version) DO UPDATE SET policy = excluded.policy, inputs = excluded.inputs, passed =
                excluded.passed,
                clauses = excluded.clauses, decided_at = now()
            """)
    }

    func decision(model: String, modelID: Int64, version: Int) throws -> Decision? {
        guard
            let row = try pool.query(
                """
                SELECT policy, inputs::text AS inputs, passed, clauses::text AS clauses, decided_at FROM
                    steward.promotion_decisions
                WHERE model_id = \(modelID) AND version = \(version)
                """
            ).first
        else { return nil }
        return Decision(
            model: model, version: version, policy: try row.get("policy"), passed: try row.get("passed"),
            inputs: try JSON.decode(JSONValue.self, from: Data(try row.get("inputs", as: String.self).utf8)),
            clauses: try JSON.decode(JSONValue.self, from: Data(try row.get("clauses", as: String.self).utf8)),
            decidedAt: try row.get("decided_at"))
    }
}
