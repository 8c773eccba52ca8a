import Foundation
import HTTPKit
import Lifecycle
import Monitor
import Postgres
import Registry
import Telemetry

/// Drives canary rollouts (leader only). Each pass reads every active
/// rollout's row, asks the pure planner for the next action, performs its side
/// effect (traffic weight) and records the new state with its event in one
/// transaction. Timers come from the stored `step_started_at`, so a restarted
/// leader ends a pause at its original time and never applies a step twice.
public final class RolloutController: Service, @unchecked Sendable {
    public let name = "rollouts"
    let registry: RegistryService
    let router: any TrafficRouter
    /// Steps and analysis of rollouts that do not name their own.
    public let plan: RolloutState.Plan
    let isLeader: @Sendable () -> Bool
    let clock: @Sendable () -> Date
    let interval: Duration
    let logger: Logger
    private let stop = StopSignal()

    public init(registry: RegistryService, router: any TrafficRouter, plan: RolloutState.Plan = RolloutState.Plan(),
                isLeader: @escaping @Sendable () -> Bool, clock: @escaping @Sendable () -> Date = { Date() }, interval: Duration = .seconds(1),
                logger: Logger) {
        self.registry = registry
        self.router = router
        self.plan = plan
        self.isLeader = isLeader
        self.clock = clock
        self.interval = interval
        self.logger = logger.labelled("rollouts")
    }

    public func run() throws {
        while stop.wait(interval) {
            guard isLeader() else { continue }
            do { try reconcile() } catch { logger.error("rollout pass failed; retrying", ["error": .string("\(error)")]) }
        }
    }

    public func shutdown() { stop.stop() }

    /// The alias the canary track follows (`steward-serve` with
    /// `STEWARD_SERVE_TRACK=canary`): set when a rollout opens, removed when it ends.
    public static let canaryAlias = "challenger"

    /// Opens a rollout of `canary` against the current Production version and
    /// points the canary alias at it, in the caller's transaction. Nil when the
    /// model already has an active rollout.
    static func open(_ c: PostgresConnection, registry: RegistryService, model: String, canary: Int, plan: RolloutState.Plan) throws -> Int64? {
        let modelID = try registry.modelID(c, name: model)
        let stable = try registry.productionVersion(c, modelName: model, excluding: canary)?.version
        guard let row = try c.query("""
            INSERT INTO steward.rollouts (model_id, stable_version, canary_version, steps, analysis, phase, step_started_at)
            VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, 'Progressing', now()) ON CONFLICT DO NOTHING RETURNING id
            """, [modelID, stable, canary, try JSON.text(plan.steps), try JSON.text(plan.analysis)]).first else { return nil }
        try registry.setAlias(c, modelName: model, alias: canaryAlias, version: canary)
        return try row.get("id")
    }

    struct Row {
        let id: Int64
        let model: String
        let stable: Int?
        let canary: Int
        var state: RolloutState
    }

    static let columns = """
        r.id, m.name AS model, r.stable_version, r.canary_version, r.steps::text AS steps, r.analysis::text AS analysis, r.step_index,
        r.weight, r.phase, r.step_started_at, r.failures
        """

    static func row(_ row: PostgresRow) throws -> Row {
        let decoder = JSONDecoder()
        let state = RolloutState(steps: try decoder.decode([RolloutState.Step].self, from: Data(try row.get("steps", as: String.self).utf8)),
                                 analysis: try decoder.decode(RolloutState.Analysis.self, from: Data(try row.get("analysis", as: String.self).utf8)),
                                 stepIndex: try row.get("step_index"), weight: try row.get("weight"),
                                 phase: RolloutState.Phase(rawValue: try row.get("phase")) ?? .paused,
                                 stepStartedAt: try row.get("step_started_at"), failures: try row.get("failures"))
        return Row(id: try row.get("id"), model: try row.get("model"), stable: try row.get("stable_version"), canary: try row.get("canary_version"),
                   state: state)
    }

    public func reconcile() throws {
        let active = try registry.pool.query("""
            SELECT \(Self.columns) FROM steward.rollouts r JOIN steward.registered_models m ON m.id = r.model_id
            WHERE r.phase = 'Progressing' ORDER BY r.id
            """).map(Self.row)
        for rollout in active where isLeader() { try step(rollout) }
    }

    /// Applies at most one action to one rollout.
    func step(_ rollout: Row) throws {
        let now = clock()
        switch RolloutPlanner.next(rollout.state, now: now) {
        case .none, .wait:
            return
        case .setWeight(let weight, let next):
            try router.setCanaryWeight(model: rollout.model, weight: weight)
            var state = rollout.state
            state.weight = weight
            state.stepIndex = next
            state.stepStartedAt = now
            try save(rollout, state, kind: "weight", detail: "canary weight \(weight)%")
        case .analyze(let from, let to):
            let inputs = try RolloutAnalysis(pool: registry.pool).measure(model: rollout.model, stable: rollout.stable,
                                                                                               canary: rollout.canary, from: from, to: to)
            let verdict = RolloutPlanner.judge(inputs, rollout.state.analysis)
            var state = RolloutPlanner.afterAnalysis(rollout.state, verdict, now: now)
            let detail: String
            switch verdict {
            case .pass(let checks): detail = "passed: " + checks.joined(separator: "; ")
            case .fail(let failures): detail = "failed: " + failures.joined(separator: "; ")
            case .inconclusive(let reason): detail = "inconclusive, paused: " + reason
            }
            if state.phase == .aborted {
                try abort(rollout, reason: detail)
                return
            }
            if case .fail = verdict { state.phase = .progressing }
            try save(rollout, state, kind: "analysis", detail: detail)
        case .promote:
            try promote(rollout, reason: "every step passed")
        }
    }

    /// `actor`: the API caller who asked (audited as such); nil when the loop itself moves the rollout.
    func save(_ rollout: Row, _ state: RolloutState, kind: String, detail: String, actor: Principal? = nil) throws {
        try registry.pool.withTransaction { c in
            if let actor { try registry.audit(c, actor: actor, action: "rollout.\(kind)", target: "model:\(rollout.model)/\(rollout.canary)") }
            _ = try c.query("""
                UPDATE steward.rollouts SET step_index = $2, weight = $3, phase = $4, step_started_at = $5, failures = $6, updated_at = now(),
                       reason = CASE WHEN $4 = 'Paused' THEN $7 ELSE reason END
                WHERE id = $1
                """, [rollout.id, state.stepIndex, state.weight, state.phase.rawValue, state.stepStartedAt, state.failures, detail])
            _ = try c.query("INSERT INTO steward.rollout_events (rollout_id, step_index, weight, kind, detail) VALUES ($1, $2, $3, $4, $5)",
                            [rollout.id, state.stepIndex, state.weight, kind, detail])
        }
        logger.info("rollout \(kind)", ["model": .string(rollout.model), "canary": .int(rollout.canary), "detail": .string(detail)])
    }

    /// Traffic back to stable first, then the canary archived with the reason, in one transaction.
    func abort(_ rollout: Row, reason: String, actor: Principal? = nil) throws {
        try router.setCanaryWeight(model: rollout.model, weight: 0)
        try registry.pool.withTransaction { c in
            _ = try c.query("UPDATE steward.rollouts SET phase = 'Aborted', weight = 0, reason = $2, updated_at = now() WHERE id = $1",
                            [rollout.id, reason])
            try registry.transition(c, modelName: rollout.model, version: rollout.canary, to: .archived, archiveExisting: false)
            try registry.removeAlias(c, modelName: rollout.model, alias: Self.canaryAlias)
            _ = try c.query("INSERT INTO steward.rollout_events (rollout_id, step_index, weight, kind, detail) VALUES ($1, $2, 0, 'aborted', $3)",
                            [rollout.id, rollout.state.stepIndex, reason])
            try registry.audit(c, actor: actor, action: "rollout.abort", target: "model:\(rollout.model)/\(rollout.canary)")
            try Notifications.queue(c, kind: "rollout", payload: ["model": rollout.model, "canary_version": rollout.canary, "decision": "aborted",
                                                                  "reason": reason])
        }
        logger.warning("rollout aborted", ["model": .string(rollout.model), "canary": .int(rollout.canary), "reason": .string(reason)])
    }

    /// The canary becomes Production with the `champion` alias (the old
    /// Production version archived), all in one transaction; then the canary
    /// track's weight returns to 0 as the stable track now serves the new version.
    func promote(_ rollout: Row, reason: String, actor: Principal? = nil) throws {
        try registry.pool.withTransaction { c in
            _ = try c.query("UPDATE steward.rollouts SET phase = 'Promoted', weight = 100, reason = $2, updated_at = now() WHERE id = $1",
                            [rollout.id, reason])
            try registry.transition(c, modelName: rollout.model, version: rollout.canary, to: .production, archiveExisting: true)
            try registry.setAlias(c, modelName: rollout.model, alias: "champion", version: rollout.canary)
            try registry.removeAlias(c, modelName: rollout.model, alias: Self.canaryAlias)
            _ = try c.query("INSERT INTO steward.rollout_events (rollout_id, step_index, weight, kind, detail) VALUES ($1, $2, 100, 'promoted', $3)",
                            [rollout.id, rollout.state.stepIndex, reason])
            try registry.audit(c, actor: actor, action: "rollout.promote", target: "model:\(rollout.model)/\(rollout.canary)")
            try Notifications.queue(c, kind: "rollout", payload: ["model": rollout.model, "canary_version": rollout.canary, "decision": "promoted",
                                                                  "reason": reason])
        }
        try router.setCanaryWeight(model: rollout.model, weight: 0)
        logger.info("rollout promoted", ["model": .string(rollout.model), "canary": .int(rollout.canary)])
    }
}

/// The window's numbers for the analysis, all computed in Postgres.
struct RolloutAnalysis {
    let pool: PostgresPool

    func measure(model: String, stable: Int?, canary: Int, from: Date, to: Date) throws -> AnalysisInputs {
        func track(_ name: String, _ version: Int?) throws -> TrackMetrics {
            let row = try pool.query("""
                SELECT count(*) AS n, count(*) FILTER (WHERE status >= 500) AS errors,
                       percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
                FROM steward.prediction_log WHERE model_name = $1 AND track = $2 AND ($3::text IS NULL OR model_version = $3)
                  AND at >= $4 AND at < $5
                """, [model, name, version.map(String.init), from, to]).first!
            return TrackMetrics(requests: try row.get("n"), errors: try row.get("errors"), p99Ms: try row.get("p99"))
        }
        let stableMetrics = try track("stable", stable), canaryMetrics = try track("canary", canary)
        // Inputs: the canary's features against stable's over the same window
        // (both tracks get the same traffic, so a difference is the canary's doing:
        // its vocabulary, its routing). Drift against the training data is the monitor's job.
        var inputPSI: Double?
        let drift = DriftStore(pool: pool)
        let stableWindow = DriftStore.Window(model: model, version: stable.map(String.init), track: "stable", from: from, to: to)
        let canaryWindow = DriftStore.Window(model: model, version: String(canary), track: "canary", from: from, to: to)
        for feature in DriftStore.features {
            guard let reference = try drift.windowProfile(stableWindow, feature: feature) else { break }
            let result = try drift.quantilePSI(canaryWindow, feature: feature, profile: reference)
            if result.psi.isFinite { inputPSI = max(inputPSI ?? 0, result.psi) }
        }
        // Confidence: canary against stable, ten equal bins over [0.5, 1].
        let bins = try pool.query("""
            SELECT track, least(width_bucket(confidence, 0.5, 1.0, 10), 10) AS bin, count(*) AS n FROM steward.prediction_log
            WHERE model_name = $1 AND track IN ('stable', 'canary') AND confidence IS NOT NULL AND at >= $2 AND at < $3 GROUP BY 1, 2
            """, [model, from, to])
        var counts: [String: [Int]] = ["stable": Array(repeating: 0, count: 11), "canary": Array(repeating: 0, count: 11)]
        for row in bins { counts[try row.get("track", as: String.self)]?[max(0, try row.get("bin", as: Int.self))] += try row.get("n", as: Int.self) }
        let stableTotal = counts["stable"]!.reduce(0, +)
        let confidencePSI: Double? = stableTotal == 0 || counts["canary"]!.reduce(0, +) == 0 ? nil
            : PSI.quantile(referenceShares: counts["stable"]!.map { Double($0) / Double(stableTotal) }, currentCounts: counts["canary"]!)
        return AnalysisInputs(stable: stableMetrics, canary: canaryMetrics, inputPSI: inputPSI, confidencePSI: confidencePSI)
    }
}
