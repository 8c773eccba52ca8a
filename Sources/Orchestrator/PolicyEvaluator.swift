import Foundation
import HTTPKit
import Postgres
import Registry
import Telemetry

/// Evaluates a model's promotion policy for a new version and stores the
/// verdict with every clause's values; a pass moves the version to Staging.
/// The decision, the stage change and its audit row are one transaction.
struct PolicyEvaluator {
    let registry: RegistryService
    /// Steps and analysis of the rollout a pass starts.
    var plan = RolloutState.Plan()
    let logger: Logger

    @discardableResult
    func evaluate(modelName: String, version: Int) throws -> PromotionPolicy.Verdict? {
        let model = try registry.model(named: modelName)
        guard let source = model.policy else {
            logger.info(
                "no promotion policy; the version stays in None",
                ["model": .string(modelName), "version": .int(version)])
            return nil
        }
        let policy = try PromotionPolicy(parsing: source)
        let candidate = try registry.version(modelName: modelName, version: version)
        return try registry.pool.withTransaction { c -> PromotionPolicy.Verdict in
            let production = try registry.productionVersion(c, modelName: modelName, excluding: version)
            var dataset: [String: Double] = [:]
            if let runID = candidate.runID, let datasetID = try registry.run(id: runID).datasetID {
                let facts = try registry.dataset(id: datasetID)
                dataset = [
                    "rows": Double(facts.rows), "duplicates": Double(facts.validation.duplicates),
                    "largest_label_share": facts.validation.largestLabelShare
                ]
            }
            let inputs = PromotionPolicy.Inputs(
                candidate: candidate.metrics, production: production?.metrics, dataset: dataset)
            let verdict = policy.evaluate(inputs)
            let inputsJSON: [String: [String: Double]] = [
                "candidate": inputs.candidate, "production": inputs.production ?? [:], "dataset": dataset
            ]
            try PromotionDecisions(pool: registry.pool).record(
                c, modelID: model.id, version: version, policy: source, inputs: inputsJSON,
                verdict: verdict)
            try registry.audit(
                c, action: "policy.\(verdict.passed ? "pass" : "fail")", target: "model:\(modelName)/\(version)")
            if verdict.passed, candidate.stage == .none {
                try registry.transition(c, modelName: modelName, version: version, to: .staging, archiveExisting: false)
                try registry.audit(c, action: "version.transition", target: "model:\(modelName)/\(version)->Staging")
                // A passing version with a Production version to compare against starts
                // a canary rollout (unless one is already running).
                if production != nil,
                    try RolloutController.open(c, registry: registry, model: modelName, canary: version, plan: plan)
                        != nil
                {
                    try registry.audit(c, action: "rollout.start", target: "model:\(modelName)/\(version)")
                }
            }
            logger.info(
                "promotion policy \(verdict.passed ? "passed" : "failed")",
                [
                    "model": .string(modelName), "version": .int(version),
                    "reasons": .string(verdict.reasons.joined(separator: "; "))
                ])
            return verdict
        }
    }
}
