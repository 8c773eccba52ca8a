import Foundation
import HTTPKit
import Postgres
import Registry

/// The rollouts' SQL: `steward.rollouts`, `rollout_events` and `rollout_commands`.
/// Nothing else reads or writes those tables. Methods taking a connection run in
/// the caller's transaction.
///
/// Every write of a rollout's state is compare-and-set on the revision that was
/// read (`save`): a writer holding a stale row is refused with `Stale` and must
/// read it again, so no write ever silently undoes another.
struct RolloutStore: Sendable {
    let pool: PostgresPool

    struct Row: Sendable {
        let id: Int64
        let modelID: Int64
        let model: String
        let stable: Int?
        let canary: Int
        var state: RolloutState
        let revision: Int64
        let reason: String
    }

    /// The rollout changed since it was read.
    struct Stale: Error, CustomStringConvertible {
        let id: Int64
        var description: String { "rollout \(id) changed since it was read" }
    }

    struct Event: Sendable, Encodable {
        let at: Date
        let step: Int
        let weight: Int
        let kind: String
        let detail: String
        /// What an analysis measured (both tracks' counts, PSIs, labelled predictions), as stored.
        let measured: JSONValue?
    }

    struct Command: Sendable {
        let id: Int64
        let modelID: Int64
        let action: String
        let version: Int?
        let actor: String
        let reason: String
    }

    private static let columns = """
        r.id, r.model_id, m.name AS model, r.stable_version, r.canary_version, r.steps::text AS steps, r.analysis::text
            AS analysis,
        r.step_index, r.weight, r.phase, r.step_started_at, r.failures, r.extensions, r.started_at, r.canary_ready_at,
            r.revision, r.reason
        """

    private static func row(_ row: PostgresRow) throws -> Row {
        let decoder = JSONDecoder()
        let state = RolloutState(
            steps: try decoder.decode([RolloutState.Step].self, from: Data(try row.get("steps", as: String.self).utf8)),
            analysis: try decoder.decode(
                RolloutState.Analysis.self, from: Data(try row.get("analysis", as: String.self).utf8)),
            stepIndex: try row.get("step_index"), weight: try row.get("weight"),
            phase: RolloutState.Phase(rawValue: try row.get("phase")) ?? .paused,
            stepStartedAt: try row.get("step_started_at"), failures: try row.get("failures"),
            extensions: try row.get("extensions"), startedAt: try row.get("started_at"),
            canaryReadyAt: try row.get("canary_ready_at"))
        return Row(
            id: try row.get("id"), modelID: try row.get("model_id"), model: try row.get("model"),
            stable: try row.get("stable_version"),
            canary: try row.get("canary_version"), state: state, revision: try row.get("revision"),
            reason: try row.get("reason"))
    }

    // MARK: Reads

    /// A model's newest rollout.
    func latest(_ c: PostgresConnection, modelID: Int64) throws -> Row? {
        try c.query(
            """
            SELECT \(raw: Self.columns) FROM steward.rollouts r JOIN steward.registered_models m ON m.id = r.model_id
            WHERE r.model_id = \(modelID) ORDER BY r.id DESC LIMIT 1
            """
        ).first.map(Self.row)
    }

    func latest(model: String) throws -> Row? {
        try pool.query(
            """
            SELECT \(raw: Self.columns) FROM steward.rollouts r JOIN steward.registered_models m ON m.id = r.model_id
            WHERE m.name = \(model) ORDER BY r.id DESC LIMIT 1
            """
        ).first.map(Self.row)
    }

    /// The models the leader has work for: an active rollout, or a command waiting.
    func modelsNeedingAttention() throws -> [Int64] {
        try pool.query(
            """
            SELECT model_id FROM steward.rollouts WHERE phase IN ('Progressing', 'Paused')
            UNION SELECT model_id FROM steward.rollout_commands WHERE applied_at IS NULL ORDER BY 1
            """
        ).map { try $0.get("model_id") }
    }

    func events(rolloutID: Int64) throws -> [Event] {
        try pool.query(
            """
            SELECT at, step_index, weight, kind, detail, measured::text AS measured FROM steward.rollout_events
                WHERE rollout_id = \(rolloutID) ORDER BY id
            """
        ).map { row in
            let measured: String? = try row.get("measured")
            return Event(
                at: try row.get("at"), step: try row.get("step_index"), weight: try row.get("weight"),
                kind: try row.get("kind"), detail: try row.get("detail"),
                measured: try measured.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) })
        }
    }

    /// The weight the split applies for `model` (an active rollout's; a paused one keeps
    /// its weight), its versions, and whether it copies requests to the canary (a
    /// progressing rollout at a shadow step); nil without an active rollout.
    func activeWeight(model: String) throws -> (weight: Int, stable: Int?, canary: Int, shadow: Bool)? {
        try pool.query(
            """
            SELECT r.weight, r.stable_version, r.canary_version,
                   r.phase = 'Progressing' AND (r.steps -> r.step_index) ? 'shadow_seconds' AS shadow
            FROM steward.rollouts r JOIN steward.registered_models m ON m.id = r.model_id
            WHERE m.name = \(model) AND r.phase IN ('Progressing', 'Paused') ORDER BY r.id DESC LIMIT 1
            """
        ).first.map {
            (try $0.get("weight"), try $0.get("stable_version"), try $0.get("canary_version"), try $0.get("shadow"))
        }
    }

    // MARK: Writes

    /// Inserts a Progressing rollout; nil when the model already has an active one.
    func open(
        _ c: PostgresConnection, modelID: Int64, stable: Int?, canary: Int, plan: RolloutState.Plan
    ) throws -> Int64? {
        try c.query(
            """
            INSERT INTO steward.rollouts (model_id, stable_version, canary_version, steps, analysis, phase,
                step_started_at, started_at)
            VALUES (\(modelID), \(stable), \(canary), \(try JSON.text(plan.steps))::jsonb,
                \(try JSON.text(plan.analysis))::jsonb, 'Progressing', now(), now()) ON CONFLICT DO NOTHING RETURNING id
            """
        ).first?.get("id")
    }

    /// Writes `state` over the row as read, and its event; `Stale` when another write came first.
    func save(
        _ c: PostgresConnection, _ rollout: Row, _ state: RolloutState, kind: String, detail: String,
        reason: String? = nil, measured: String? = nil
    ) throws {
        let updated = try c.query(
            """
            UPDATE steward.rollouts SET step_index = \(state.stepIndex), weight = \(state.weight), phase =
                \(state.phase.rawValue), step_started_at = \(state.stepStartedAt), failures = \(state.failures),
                    extensions = \(state.extensions),
                   started_at = \(state.startedAt), canary_ready_at = \(state.canaryReadyAt), reason =
                       COALESCE(\(reason), reason), revision = revision + 1, updated_at = now()
            WHERE id = \(rollout.id) AND revision = \(rollout.revision)
            """)
        guard updated.affectedRows == 1 else { throw Stale(id: rollout.id) }
        try event(
            c, rollout.id, step: state.stepIndex, weight: state.weight, kind: kind, detail: detail, measured: measured)
        // Subscribers hear of every step, pause and decision, from the one writer of rollouts.
        let subject: [String: Any] = [
            "model": rollout.model, "rollout_id": rollout.id, "canary_version": rollout.canary,
            "stable_version": rollout.stable ?? NSNull(), "step": state.stepIndex, "weight": state.weight,
            "detail": detail
        ]
        if kind == "weight" {
            try Outbox.record(c, kind: "rollout.step", payload: subject)
        } else if kind == "aborted" || kind == "promoted" {
            try Outbox.record(
                c, kind: "rollout.\(kind)", payload: subject.merging(["reason": detail]) { _, new in new })
        } else if state.phase == .paused, rollout.state.phase != .paused {
            try Outbox.record(c, kind: "rollout.paused", payload: subject)
        }
    }

    func event(
        _ c: PostgresConnection, _ rolloutID: Int64, step: Int, weight: Int, kind: String, detail: String,
        measured: String? = nil
    ) throws {
        _ = try c.query(
            """
            INSERT INTO steward.rollout_events (rollout_id, step_index, weight, kind, detail, measured) VALUES
                (\(rolloutID), \(step), \(weight), \(kind), \(detail), \(measured)::jsonb)
            """
        )
    }

    /// Records an operator's command; the leader applies it. Returns its id.
    func record(
        _ c: PostgresConnection, modelID: Int64, rolloutID: Int64?, action: String, version: Int? = nil, actor: String,
        reason: String
    ) throws -> Int64 {
        try c.query(
            """
            INSERT INTO steward.rollout_commands (model_id, rollout_id, action, version, actor, reason) VALUES
                (\(modelID), \(rolloutID), \(action), \(version), \(actor), \(reason))
            RETURNING id
            """
        ).first!.get("id")
    }

    /// The model's commands not yet applied, oldest first, locked against a second applier.
    func pendingCommands(_ c: PostgresConnection, modelID: Int64) throws -> [Command] {
        try c.query(
            """
            SELECT id, action, version, actor, reason FROM steward.rollout_commands WHERE model_id = \(modelID) AND
                applied_at IS NULL
            ORDER BY id FOR UPDATE SKIP LOCKED
            """
        ).map { row in
            Command(
                id: try row.get("id"), modelID: modelID, action: try row.get("action"), version: try row.get("version"),
                actor: try row.get("actor"),
                reason: try row.get("reason"))
        }
    }

    func finish(_ c: PostgresConnection, command: Int64, outcome: String) throws {
        _ = try c.query(
            """
            UPDATE steward.rollout_commands SET applied_at = now(), outcome = \(outcome) WHERE id = \(command) AND
                applied_at IS NULL
            """
        )
    }

    /// A command's outcome once applied ("applied", or why it was refused); nil while pending.
    func outcome(command: Int64) throws -> String? {
        try pool.query("SELECT outcome FROM steward.rollout_commands WHERE id = \(command) AND applied_at IS NOT NULL")
            .first?.get("outcome")
    }
}
