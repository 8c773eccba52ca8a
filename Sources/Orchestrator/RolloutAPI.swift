import Foundation
import HTTPKit
import Postgres
import Registry
import Telemetry

/// Rollouts: start, status with events, and the manual commands
/// (promote, promote --full, abort, pause, resume, retry).
public struct RolloutAPI: Sendable {
    let registry: RegistryService
    let controller: RolloutController

    public init(registry: RegistryService, controller: RolloutController) {
        self.registry = registry
        self.controller = controller
    }

    public func install(on router: inout Router) {
        registry.route(&router, .POST, "/rollouts", .operator, start)
        registry.route(&router, .GET, "/rollouts/{model}", .viewer, status)
        registry.route(&router, .POST, "/rollouts/{model}/{action}", .operator, command)
    }

    struct Start: Decodable {
        let model: String
        let canaryVersion: Int
        let steps: [RolloutState.Step]?
        let analysis: RolloutState.Analysis?
        enum CodingKeys: String, CodingKey { case model, steps, analysis, canaryVersion = "canary_version" }
    }

    func start(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(Start.self)
        var plan = controller.plan
        if let steps = body.steps { plan.steps = steps }
        if let analysis = body.analysis { plan.analysis = analysis }
        guard !plan.steps.isEmpty else { throw HTTPError.badRequest("steps must not be empty", code: "invalid_argument") }
        let candidate = try registry.version(modelName: body.model, version: body.canaryVersion)
        guard candidate.stage != .archived, candidate.stage != .production else {
            throw HTTPError.conflict("version \(body.canaryVersion) is \(candidate.stage.rawValue); a canary must be None or Staging")
        }
        try registry.write(request, principal: principal, action: "rollout.start", target: "model:\(body.model)/\(body.canaryVersion)") { c in
            guard try RolloutController.open(c, registry: registry, model: body.model, canary: body.canaryVersion, plan: plan) != nil else {
                throw RegistryError.conflict("\(body.model) already has a rollout in progress; abort or promote it first")
            }
        }
        return try status(model: body.model, statusCode: 201)
    }

    func status(_ request: Request, _ principal: Principal) throws -> Response {
        try status(model: try request.parameter("model"), statusCode: 200)
    }

    func latest(_ model: String) throws -> RolloutController.Row {
        guard let row = try registry.pool.query("""
            SELECT \(RolloutController.columns) FROM steward.rollouts r JOIN steward.registered_models m ON m.id = r.model_id
            WHERE m.name = $1 ORDER BY r.id DESC LIMIT 1
            """, [model]).first else { throw RegistryError.notFound("\(model) has no rollout") }
        return try RolloutController.row(row)
    }

    func status(model: String, statusCode: Int) throws -> Response {
        let rollout = try latest(model)
        guard let reasonRow = try registry.pool.query("SELECT reason FROM steward.rollouts WHERE id = $1", [rollout.id]).first else {
            throw RegistryError.notFound("\(model) has no rollout")   // deleted with its model meanwhile
        }
        let reason: String = try reasonRow.get("reason")
        let events = try registry.pool.query("""
            SELECT json_agg(json_build_object('at', at, 'step', step_index, 'weight', weight, 'kind', kind, 'detail', detail) ORDER BY id)::text AS e
            FROM steward.rollout_events WHERE rollout_id = $1
            """, [rollout.id]).first?.get("e", as: String?.self) ?? "[]"
        let text = """
            {"id": \(rollout.id), "model": \(try JSON.text(model)), "stable_version": \(rollout.stable.map(String.init) ?? "null"), \
            "canary_version": \(rollout.canary), "phase": "\(rollout.state.phase.rawValue)", "step": \(rollout.state.stepIndex), \
            "steps": \(try JSON.text(rollout.state.steps)), "weight": \(rollout.state.weight), "failures": \(rollout.state.failures), \
            "reason": \(try JSON.text(reason)), "step_started_at": "\(Timestamp.iso8601(rollout.state.stepStartedAt))", \
            "events": \(events)}
            """
        return Response(status: statusCode, headers: ["Content-Type": "application/json"], body: .bytes(Data(text.utf8)))
    }

    func command(_ request: Request, _ principal: Principal) throws -> Response {
        let model = try request.parameter("model"), action = try request.parameter("action")
        let rollout = try latest(model)
        let who = "by \(principal.name)"
        switch (action, rollout.state.phase) {
        case ("promote", .progressing), ("promote", .paused):
            // Skip the current step's wait or analysis.
            var state = rollout.state
            state.stepIndex = min(state.stepIndex + 1, state.steps.count)
            state.phase = .progressing
            state.stepStartedAt = Date()
            try controller.save(rollout, state, kind: "manual-promote", detail: "step skipped \(who)", actor: principal)
        case ("promote-full", .progressing), ("promote-full", .paused):
            try controller.promote(rollout, reason: "promoted to 100% \(who)", actor: principal)
        case ("abort", .progressing), ("abort", .paused):
            try controller.abort(rollout, reason: "aborted \(who)", actor: principal)
        case ("pause", .progressing):
            var state = rollout.state
            state.phase = .paused
            try controller.save(rollout, state, kind: "paused", detail: "paused \(who)", actor: principal)
        case ("resume", .paused):
            var state = rollout.state
            state.phase = .progressing
            state.stepStartedAt = Date()   // an analysis pause restarts its window
            try controller.save(rollout, state, kind: "resumed", detail: "resumed \(who)", actor: principal)
        case ("retry", .aborted):
            try registry.pool.withTransaction { c in
                _ = try c.query("""
                    UPDATE steward.rollouts SET phase = 'Progressing', step_index = 0, weight = 0, failures = 0, step_started_at = now(),
                           reason = '', updated_at = now() WHERE id = $1
                    """, [rollout.id])
                try registry.transition(c, modelName: model, version: rollout.canary, to: .staging, archiveExisting: false)
                try registry.setAlias(c, modelName: model, alias: RolloutController.canaryAlias, version: rollout.canary)
                _ = try c.query("INSERT INTO steward.rollout_events (rollout_id, step_index, weight, kind, detail) VALUES ($1, 0, 0, 'retry', $2)",
                                [rollout.id, "retried \(who)"])
                try registry.audit(c, actor: principal, action: "rollout.retry", target: "model:\(model)/\(rollout.canary)")
            }
        case ("promote", _), ("promote-full", _), ("abort", _), ("pause", _), ("resume", _), ("retry", _):
            throw HTTPError.conflict("cannot \(action) a rollout that is \(rollout.state.phase.rawValue)")
        default:
            throw HTTPError.notFound("unknown rollout command \(action) (promote, promote-full, abort, pause, resume, retry)")
        }
        return try status(model: model, statusCode: 200)
    }
}
