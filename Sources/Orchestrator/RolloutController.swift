import Foundation
import HTTPKit
import Lifecycle
import Monitor
import Postgres
import Registry
import ServingLog
import Telemetry
import TextFeatures

/// Drives canary rollouts (leader only): the one writer of a rollout's state.
///
/// Each pass takes every model with an active rollout or a pending command. It
/// first applies the operators' commands (intents the API recorded) in order, then
/// asks the pure planner for the rollout's next action, performs its side effect
/// (traffic weight) and records the new state with its event in one transaction,
/// compare-and-set on the revision it read. Timers come from the stored times, so
/// a restarted leader ends a pause at its original time and never applies a step
/// twice.
public final class RolloutController: LeaderService, @unchecked Sendable {
    public let name = "rollouts"
    let registry: RegistryService
    let router: any TrafficRouter
    /// Steps and analysis of rollouts that do not name their own.
    public let plan: RolloutState.Plan
    let isLeader: @Sendable () -> Bool
    let clock: @Sendable () -> Date
    let logger: Logger
    let store: RolloutStore
    public let loop: LeaderLoop

    public init(
        registry: RegistryService, router: any TrafficRouter, plan: RolloutState.Plan = RolloutState.Plan(),
        isLeader: @escaping @Sendable () -> Bool, clock: @escaping @Sendable () -> Date = { Date() },
        interval: Duration = .seconds(1),
        logger: Logger
    ) {
        self.registry = registry
        self.router = router
        self.plan = plan
        self.isLeader = isLeader
        self.clock = clock
        self.logger = logger.labelled("rollouts")
        self.store = RolloutStore(pool: registry.pool)
        self.loop = LeaderLoop(
            every: interval, isLeader: isLeader, logger: self.logger, failure: "rollout pass failed; retrying")
    }

    public func pass() throws { try reconcile() }

    /// The alias the canary track follows (`steward-serve` with
    /// `STEWARD_SERVE_TRACK=canary`): set when a rollout opens, removed when it ends.
    public static let canaryAlias = "challenger"

    /// Opens a rollout of `canary` against the current Production version and
    /// points the canary alias at it, in the caller's transaction. Nil when the
    /// model already has an active rollout.
    static func open(
        _ c: PostgresConnection, registry: RegistryService, model: String, canary: Int, plan: RolloutState.Plan
    ) throws -> Int64? {
        let stable = try registry.productionVersion(c, modelName: model, excluding: canary)?.version
        guard
            let id = try RolloutStore(pool: registry.pool).open(
                c, modelID: try registry.modelID(c, name: model), stable: stable,
                canary: canary, plan: plan)
        else { return nil }
        try registry.setAlias(c, modelName: model, alias: canaryAlias, version: canary)
        return id
    }

    public func reconcile() throws {
        for modelID in try store.modelsNeedingAttention() where isLeader() {
            do {
                try applyCommands(modelID: modelID)
                if let rollout = try registry.pool.withConnection({ try store.latest($0, modelID: modelID) }),
                    rollout.state.phase == .progressing
                {
                    try step(rollout)
                }
            } catch let stale as RolloutStore.Stale {
                // Another writer (a previous leader finishing its pass) moved it: the next pass reads it afresh.
                logger.info(
                    "rollout changed under this pass; reading it again next pass", ["rollout": .int(Int(stale.id))])
            } catch let error where !Self.isTransient(error) {
                // One model's trouble never holds up the others' rollouts and commands.
                logger.error(
                    "rollout pass failed for one model", ["model_id": .int(Int(modelID)), "error": .string("\(error)")])
            }
        }
    }

    /// Errors worth the same work again on the next pass: the database away or
    /// busy, or another writer in the way. Anything else would fail the same way.
    static func isTransient(_ error: any Error) -> Bool {
        if error is RolloutStore.Stale { return true }
        guard let pg = error as? PostgresError else { return false }
        return pg.isConnectionError || pg.isSerializationFailure || pg.code == .poolTimeout || pg.code == .poolClosed
            || pg.sqlState == "57014" || pg.sqlState == "55P03"
    }

    // MARK: Commands

    /// Applies the model's pending commands in order, each in its own transaction
    /// with its outcome, so a command is applied exactly once. A command that fails
    /// for good (its version deleted meanwhile, say) is closed as refused with the
    /// error, so it never blocks the commands after it; a transient failure leaves
    /// it pending for the next pass.
    func applyCommands(modelID: Int64) throws {
        while true {
            var taken: RolloutStore.Command?
            let outcome: String
            do {
                guard
                    let applied = try registry.pool.withTransaction({ c -> String? in
                        guard let command = try store.pendingCommands(c, modelID: modelID).first else { return nil }
                        taken = command
                        let outcome = try apply(command, to: try store.latest(c, modelID: modelID), c)
                        try store.finish(c, command: command.id, outcome: outcome)
                        return outcome
                    })
                else { return }
                outcome = applied
            } catch let error where !Self.isTransient(error) {
                guard let command = taken else { throw error }
                outcome = "refused: \(Self.describe(error))"
                try registry.pool.withTransaction { try store.finish($0, command: command.id, outcome: outcome) }
            }
            guard let command = taken else { return }
            logger.info(
                "rollout command",
                [
                    "model_id": .int(Int(modelID)), "action": .string(command.action), "actor": .string(command.actor),
                    "outcome": .string(outcome)
                ])
        }
    }

    /// What an operator reads for a failed command: the API error's message, not its type.
    private static func describe(_ error: any Error) -> String {
        if let http = error as? HTTPError { return http.message }
        return "\(error)"
    }

    private func apply(
        _ command: RolloutStore.Command, to rollout: RolloutStore.Row?, _ c: PostgresConnection
    ) throws -> String {
        let by = "by \(command.actor)" + (command.reason.isEmpty ? "" : ": \(command.reason)")
        if command.action == "rollback" { return try rollback(c, command, rollout: rollout, by: by) }
        guard let action = RolloutCommand(rawValue: command.action) else {
            return "refused: unknown command \(command.action)"
        }
        guard let rollout else { return "refused: the model has no rollout" }
        switch RolloutPlanner.apply(action, to: rollout.state, now: clock()) {
        case .refused(let why):
            return "refused: \(why)"
        case .promote:
            try promote(c, rollout, reason: "promoted to 100% \(by)")
        case .abort:
            try abort(c, rollout, reason: "aborted \(by)")
        case .update(let state, let kind):
            if action == .retry {
                try registry.transition(
                    c, modelName: rollout.model, version: rollout.canary, to: .staging, archiveExisting: false)
                try registry.setAlias(c, modelName: rollout.model, alias: Self.canaryAlias, version: rollout.canary)
            }
            let detail = "\(kind) \(by)"
            if state.isShadowing != rollout.state.isShadowing {
                try router.setShadow(state.isShadowing, weight: state.weight)
            }
            try store.save(
                c, rollout, state, kind: kind, detail: detail,
                reason: state.phase == .paused ? detail : (action == .retry ? "" : nil))
        }
        return "applied"
    }

    /// `champion` back to an earlier version at once, skipping analysis: the one the
    /// command names, else the version the stable track served before the current one.
    /// A rollout in progress is aborted first.
    private func rollback(
        _ c: PostgresConnection, _ command: RolloutStore.Command, rollout: RolloutStore.Row?, by: String
    ) throws -> String {
        guard let model = try registry.modelName(c, id: command.modelID) else { return "refused: the model is gone" }
        let current = try registry.versionNumber(c, modelName: model, alias: "champion")
        guard let target = try command.version ?? registry.previousStableVersion(c, modelName: model) else {
            return "refused: no earlier version served the stable track; name one"
        }
        guard target != current else { return "refused: version \(target) is already the champion" }
        if let rollout, rollout.state.isActive {
            try abort(c, rollout, reason: "aborted: rolled back to version \(target) \(by)")
        }
        try registry.transition(c, modelName: model, version: target, to: .production, archiveExisting: true)
        try registry.setAlias(c, modelName: model, alias: "champion", version: target)
        try registry.audit(
            c, action: "model.rollback", target: "model:\(model)/\(current.map(String.init) ?? "none")->\(target)")
        try Outbox.record(
            c, kind: "model.rolled_back",
            payload: [
                "model": model, "from_version": current ?? 0, "to_version": target,
                "reason": "rolled back \(by)"
            ])
        logger.warning(
            "rolled back",
            ["model": .string(model), "from": .int(current ?? 0), "to": .int(target), "by": .string(command.actor)])
        return "applied: champion \(current.map(String.init) ?? "none") -> \(target)"
    }

    // MARK: Steps

    /// Applies at most one planner action to one progressing rollout.
    func step(_ rollout: RolloutStore.Row) throws {
        let now = clock()
        let serves =
            try rollout.state.canaryReadyAt != nil
            || ServingInstances(pool: registry.pool).serves(
                model: rollout.model, track: "canary", version: String(rollout.canary))
        switch RolloutPlanner.next(rollout.state, now: now, canaryServes: serves) {
        case .none, .wait:
            return
        case .canaryReady:
            var state = rollout.state
            state.canaryReadyAt = now
            try write(rollout, state, kind: "canary-ready", detail: "the canary track serves version \(rollout.canary)")
        case .setWeight(let weight, let next):
            try router.setCanaryWeight(weight)
            var state = rollout.state
            state.weight = weight
            state.stepIndex = next
            state.stepStartedAt = now
            try write(rollout, state, kind: "weight", detail: "canary weight \(weight)%")
        case .analyze(let from, let to):
            let inputs = try CanaryAnalysis(pool: registry.pool).measure(
                model: rollout.model, stable: rollout.stable, canary: rollout.canary, from: from, to: to,
                confidenceReference: try confidenceReference(model: rollout.model, rollout.stable, rollout.canary),
                labelDelaySeconds: rollout.state.analysis.groundTruth?.labelDelaySeconds)
            try conclude(
                rollout, inputs, RolloutPlanner.judge(inputs, rollout.state.analysis, hasStable: rollout.stable != nil),
                now: now)
        case .analyzeShadow(let from, let to):
            let shadow = try CanaryAnalysis(pool: registry.pool).shadow(
                model: rollout.model, canary: rollout.canary, from: from, to: to)
            let none = TrackMetrics(requests: 0, errors: 0, p99Ms: nil, predictions: 0)
            var inputs = AnalysisInputs(stable: none, canary: none, inputPSI: nil, confidencePSI: nil)
            inputs.shadow = shadow
            try conclude(rollout, inputs, RolloutPlanner.judgeShadow(shadow, rollout.state.analysis), now: now)
        case .promote:
            try registry.pool.withTransaction { try promote($0, rollout, reason: "every step passed") }
        case .abort(let reason):
            try registry.pool.withTransaction { try abort($0, rollout, reason: reason) }
        }
    }

    /// Applies an analysis verdict: the next step, a pause or extension, or the abort;
    /// the event keeps the verdict's text and what was measured.
    private func conclude(
        _ rollout: RolloutStore.Row, _ inputs: AnalysisInputs, _ verdict: AnalysisVerdict, now: Date
    ) throws {
        let state = RolloutPlanner.afterAnalysis(rollout.state, verdict, now: now)
        let detail: String
        switch verdict {
        case .pass(let checks): detail = "passed: " + checks.joined(separator: "; ")
        case .fail(let failures, let passed):
            detail =
                "failed: " + failures.joined(separator: "; ")
                + (passed.isEmpty ? "" : "; passed: " + passed.joined(separator: "; "))
        case .inconclusive(let reason):
            detail =
                "inconclusive, " + (state.phase == .paused ? "paused" : "window extended (\(state.extensions))")
                + ": " + reason
        }
        let measured = try Self.measuredJSON(inputs)
        if state.phase == .aborted {
            try registry.pool.withTransaction { try abort($0, rollout, reason: detail, measured: measured) }
        } else {
            try write(
                rollout, state, kind: "analysis", detail: detail, reason: state.phase == .paused ? detail : nil,
                measured: measured)
        }
    }

    /// What an analysis measured, as its event stores it (snake_case keys, ISO times).
    static func measuredJSON(_ inputs: AnalysisInputs) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(inputs), as: UTF8.self)
    }

    private func write(
        _ rollout: RolloutStore.Row, _ state: RolloutState, kind: String, detail: String, reason: String? = nil,
        measured: String? = nil
    ) throws {
        if state.isShadowing != rollout.state.isShadowing {
            try router.setShadow(state.isShadowing, weight: state.weight)
        }
        try registry.pool.withTransaction {
            try store.save($0, rollout, state, kind: kind, detail: detail, reason: reason, measured: measured)
        }
        logger.info(
            "rollout \(kind)",
            ["model": .string(rollout.model), "canary": .int(rollout.canary), "detail": .string(detail)])
    }

    /// Traffic back to stable first, then the canary archived with the reason, in the caller's transaction.
    private func abort(
        _ c: PostgresConnection, _ rollout: RolloutStore.Row, reason: String, measured: String? = nil
    ) throws {
        try router.setCanaryWeight(0)
        if rollout.state.isShadowing { try router.setShadow(false, weight: 0) }
        var state = rollout.state
        state.phase = .aborted
        state.weight = 0
        try store.save(c, rollout, state, kind: "aborted", detail: reason, reason: reason, measured: measured)
        try registry.transition(
            c, modelName: rollout.model, version: rollout.canary, to: .archived, archiveExisting: false)
        try registry.removeAlias(c, modelName: rollout.model, alias: Self.canaryAlias)
        try registry.audit(c, action: "rollout.abort", target: "model:\(rollout.model)/\(rollout.canary)")
        logger.warning(
            "rollout aborted",
            ["model": .string(rollout.model), "canary": .int(rollout.canary), "reason": .string(reason)])
    }

    /// The canary becomes Production with the `champion` alias (the old Production
    /// version archived), in the caller's transaction. The canary track's weight
    /// returns to 0 first: the stable track takes everything and moves to the new
    /// version as the alias does, while the canary track loses its alias.
    private func promote(_ c: PostgresConnection, _ rollout: RolloutStore.Row, reason: String) throws {
        try router.setCanaryWeight(0)
        if rollout.state.isShadowing { try router.setShadow(false, weight: 0) }
        var state = rollout.state
        state.phase = .promoted
        state.weight = 100
        try store.save(c, rollout, state, kind: "promoted", detail: reason, reason: reason)
        try registry.transition(
            c, modelName: rollout.model, version: rollout.canary, to: .production, archiveExisting: true)
        try registry.setAlias(c, modelName: rollout.model, alias: "champion", version: rollout.canary)
        try registry.removeAlias(c, modelName: rollout.model, alias: Self.canaryAlias)
        try registry.audit(c, action: "rollout.promote", target: "model:\(rollout.model)/\(rollout.canary)")
        logger.info("rollout promoted", ["model": .string(rollout.model), "canary": .int(rollout.canary)])
    }
}

extension RolloutController {
    /// What a canary's live confidence is compared with (see CanaryAnalysis): stable's
    /// (nil) when both versions were trained on the same dataset version, else the
    /// canary's own predictions on its held-out rows from its `reference_profile.json`
    /// (stable's again when it has none, or a version is gone).
    func confidenceReference(model: String, _ stable: Int?, _ canary: Int) throws -> ConfidenceReference? {
        struct ModelReference: Decodable {
            struct Predictions: Decodable { let confidence: FeatureProfile }
            let predictions: Predictions
        }
        func version(_ number: Int) throws -> ModelVersion? {
            do { return try registry.version(modelName: model, version: number) } catch RegistryError.notFound {
                return nil
            }
        }
        guard let stable, let canaryVersion = try version(canary), let stableVersion = try version(stable) else {
            return nil
        }
        if let trainedOn = try registry.trainingDataset(of: canaryVersion)?.id,
            trainedOn == (try registry.trainingDataset(of: stableVersion))?.id
        {
            return nil
        }
        guard let file = try registry.modelFile(canaryVersion, path: "reference_profile.json"),
            let profile = try? JSONDecoder().decode(ModelReference.self, from: file).predictions.confidence
        else { return nil }
        return ConfidenceReference(profile: profile, name: "its own \(profile.n) held-out predictions")
    }
}
