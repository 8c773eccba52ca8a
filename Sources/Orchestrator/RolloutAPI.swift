import Foundation
import HTTPKit
import Postgres
import Registry
import Telemetry

/// Rollouts: start, status with events, the operators' commands (promote,
/// promote-full, abort, pause, resume, retry), a model's rollback and its serving
/// history. Commands are intents: the call records one (audited under the caller)
/// and the leader's reconcile pass applies it; the call waits a few seconds for
/// that and answers 200 with the outcome, or 202 while it is still pending.
public struct RolloutAPI: Sendable {
    let registry: RegistryService
    let controller: RolloutController
    /// How long a command call waits for the leader to apply it.
    let commandWait: Duration
    var store: RolloutStore { controller.store }

    public init(registry: RegistryService, controller: RolloutController, commandWait: Duration = .seconds(5)) {
        self.registry = registry
        self.controller = controller
        self.commandWait = commandWait
    }

    public func install(on router: inout Router) {
        router.add(registry.api, .POST, "/rollouts", .operator, start)
        router.add(registry.api, .GET, "/rollouts/{model}", .viewer, status)
        router.add(registry.api, .POST, "/rollouts/{model}/{action}", .operator, command)
        router.add(registry.api, .POST, "/models/{name}/rollback", .operator, rollback)
        router.add(registry.api, .GET, "/models/{name}/history", .viewer, history)
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
        guard !plan.steps.isEmpty else {
            throw HTTPError.badRequest("steps must not be empty", code: "invalid_argument")
        }
        let candidate = try registry.version(modelName: body.model, version: body.canaryVersion)
        guard candidate.stage != .archived, candidate.stage != .production else {
            throw HTTPError.conflict(
                "version \(body.canaryVersion) is \(candidate.stage.rawValue); a canary must be None or Staging")
        }
        try registry.write(
            request, principal: principal, action: "rollout.start", target: "model:\(body.model)/\(body.canaryVersion)"
        ) { c in
            guard
                try RolloutController.open(
                    c, registry: registry, model: body.model, canary: body.canaryVersion, plan: plan) != nil
            else {
                throw RegistryError.conflict(
                    "\(body.model) already has a rollout in progress; abort or promote it first")
            }
        }
        controller.nudge()
        return try status(model: body.model, statusCode: 201)
    }

    /// A rollout with no stable version, or a canary not ready yet, says null.
    struct Status: Encodable {
        let id: Int64, model: String
        @Nullable var stableVersion: Int?
        let canaryVersion: Int, phase: String, step: Int, steps: [RolloutState.Step]
        let weight: Int, failures: Int, reason: String, stepStartedAt: Date, startedAt: Date
        @Nullable var canaryReadyAt: Date?
        let events: [RolloutStore.Event]
        /// For a command call: what the leader did with it ("applied", "refused: ...", or "pending").
        let command: CommandResult?
        enum CodingKeys: String, CodingKey {
            case id, model, phase, step, steps, weight, failures, reason, events, command
            case stableVersion = "stable_version", canaryVersion = "canary_version", stepStartedAt = "step_started_at"
            case startedAt = "started_at", canaryReadyAt = "canary_ready_at"
        }

    }

    struct CommandResult: Encodable { let action: String, outcome: String }

    func status(_ request: Request, _ principal: Principal) throws -> Response {
        try status(model: try request.parameter("model"), statusCode: 200)
    }

    func status(model: String, statusCode: Int, command: CommandResult? = nil) throws -> Response {
        guard let rollout = try store.latest(model: model) else {
            throw RegistryError.notFound("\(model) has no rollout")
        }
        let state = rollout.state
        return .json(
            Status(
                id: rollout.id, model: rollout.model, stableVersion: rollout.stable, canaryVersion: rollout.canary,
                phase: state.phase.rawValue, step: state.stepIndex, steps: state.steps, weight: state.weight,
                failures: state.failures,
                reason: rollout.reason, stepStartedAt: state.stepStartedAt, startedAt: state.startedAt,
                canaryReadyAt: state.canaryReadyAt, events: try store.events(rolloutID: rollout.id), command: command),
            status: statusCode)
    }

    func command(_ request: Request, _ principal: Principal) throws -> Response {
        let model = try request.parameter("model"), text = try request.parameter("action")
        guard let action = RolloutCommand(rawValue: text) else {
            throw HTTPError.notFound(
                "unknown rollout command \(text) (\(RolloutCommand.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let id = try record(
            action, model: model, reason: try request.json(Reason.self).reason ?? "", request, principal)
        return try answer(command: id, action: action.rawValue, model: model)
    }

    /// Records an operator's command for the leader (audited under `principal`) and returns
    /// its id; refused at once (409) when it cannot apply to the rollout as it is: the leader
    /// checks again when it applies it. The API's command and the console's buttons call this.
    func record(
        _ action: RolloutCommand, model: String, reason: String, _ request: Request, _ principal: Principal
    ) throws -> Int64 {
        guard let rollout = try store.latest(model: model) else {
            throw RegistryError.notFound("\(model) has no rollout")
        }
        if case .refused(let why) = RolloutPlanner.apply(action, to: rollout.state, now: Date()) {
            throw HTTPError.conflict(why)
        }
        return try registry.write(
            request, principal: principal, action: "rollout.\(action.rawValue)",
            target: "model:\(model)/\(rollout.canary)"
        ) { c in
            try store.record(
                c, modelID: rollout.modelID, rolloutID: rollout.id, action: action.rawValue, actor: principal.name,
                reason: reason)
        }
    }

    struct Reason: Decodable { let reason: String? }

    /// The command's answer: 200 applied, 409 refused, 202 still pending after `commandWait`.
    private func answer(command id: Int64, action: String, model: String) throws -> Response {
        guard let outcome = try awaitOutcome(command: id) else {
            return try status(model: model, statusCode: 202, command: CommandResult(action: action, outcome: "pending"))
        }
        return try status(model: model, statusCode: 200, command: CommandResult(action: action, outcome: outcome))
    }

    /// Nudges this replica's controller and waits up to `commandWait` for the
    /// command's outcome: nil while still pending, 409 when it was refused.
    func awaitOutcome(command id: Int64) throws -> String? {
        controller.nudge()
        let deadline = ContinuousClock.now + commandWait
        var outcome = try store.outcome(command: id)
        while outcome == nil, ContinuousClock.now < deadline {
            usleep(20_000)  // polling the command's row; the leader may be another replica
            outcome = try store.outcome(command: id)
        }
        if let outcome, outcome.hasPrefix("refused: ") {
            throw HTTPError.conflict(String(outcome.dropFirst("refused: ".count)))
        }
        return outcome
    }

    struct Rollback: Decodable {
        let to: Int?
        let reason: String?
    }

    struct RollbackAnswer: Encodable {
        let model: String, champion: Int?, outcome: String
    }

    /// `champion` back to the version the stable track served before (or `to`), at
    /// once: no analysis; any rollout in progress is aborted.
    func rollback(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        let body = try request.json(Rollback.self)
        let outcome = try awaitOutcome(
            command: try recordRollback(model: name, to: body.to, reason: body.reason ?? "", request, principal))
        let champion = try registry.pool.withConnection {
            try registry.versionNumber($0, modelName: name, alias: "champion")
        }
        return .json(
            RollbackAnswer(model: name, champion: champion, outcome: outcome ?? "pending"),
            status: outcome == nil ? 202 : 200)
    }

    /// Records a rollback of `name` for the leader (audited) and returns the command's id;
    /// 409 when there is nothing to roll back to.
    func recordRollback(
        model name: String, to: Int?, reason: String, _ request: Request, _ principal: Principal
    ) throws -> Int64 {
        let model = try registry.model(named: name)
        return try registry.write(
            request, principal: principal, action: "model.rollback.request", target: "model:\(name)"
        ) { c -> Int64 in
            let current = try registry.versionNumber(c, modelName: name, alias: "champion")
            if let to {
                _ = try registry.version(modelName: name, version: to)
                if to == current { throw RegistryError.conflict("version \(to) is already the champion of \(name)") }
            } else if try registry.previousStableVersion(c, modelName: name) == nil {
                throw RegistryError.conflict(
                    "\(name) has no earlier version that served the stable track; name one with \"to\"")
            }
            let rollout = try store.latest(c, modelID: model.id)
            return try store.record(
                c, modelID: model.id, rolloutID: rollout?.state.isActive == true ? rollout?.id : nil,
                action: "rollback", version: to, actor: principal.name, reason: reason)
        }
    }

    struct History: Encodable {
        let model: String
        let intervals: [RegistryService.ServingInterval]
    }

    func history(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        return .json(History(model: name, intervals: try registry.servingHistory(modelName: name)))
    }
}
