import Foundation
import Monitor

public enum AnalysisVerdict: Sendable, Equatable {
    /// The checks that passed; the checks that failed (and those that passed beside them).
    case pass([String]), fail([String], passed: [String] = []), inconclusive(String)
}

/// An operator's command on a rollout, recorded as an intent and applied by the
/// leader's reconcile pass (the rollout's one writer).
public enum RolloutCommand: String, Sendable, CaseIterable {
    /// Skip the current step's wait or analysis.
    case promote
    /// Promote the canary now.
    case promoteFull = "promote-full"
    case abort, pause, resume
    /// Start an aborted rollout again from its first step.
    case retry
}

/// The rollout state machine: pure, from stored state, the time and (at the
/// end of an analysis step) the measured window to the next action.
public enum RolloutPlanner {
    public enum Action: Sendable, Equatable {
        /// The canary's track serves its version: record it, then go on.
        case canaryReady
        /// Route `weight`% to the canary and start step `next`.
        case setWeight(Int, next: Int)
        /// Nothing to do before `until`.
        case wait(until: Date)
        /// The analysis pause is over: measure [from, to) and call `afterAnalysis`.
        case analyze(from: Date, to: Date)
        /// The shadow step is over: compare the canary's mirrored answers in [from, to).
        case analyzeShadow(from: Date, to: Date)
        /// Every step done: the canary becomes Production.
        case promote
        /// Give up, with the reason.
        case abort(String)
        case none
    }

    /// `canaryServes`: whether the canary's track serves the canary version now. Until
    /// it has once, the rollout holds at weight 0 (a Gateway would send the canary's
    /// share to nothing ready), and past the progress deadline it aborts.
    public static func next(_ state: RolloutState, now: Date, canaryServes: Bool) -> Action {
        guard state.phase == .progressing else { return .none }
        if state.canaryReadyAt == nil {
            if canaryServes { return .canaryReady }
            let deadline = state.startedAt.addingTimeInterval(Double(state.analysis.progressDeadlineSeconds))
            guard now < deadline else {
                return .abort(
                    "the canary did not become ready within the progress deadline "
                        + "(\(state.analysis.progressDeadlineSeconds) s): its track never served the version"
                )
            }
            return .wait(until: deadline)
        }
        guard state.stepIndex < state.steps.count else { return .promote }
        switch state.steps[state.stepIndex] {
        case .setWeight(let weight):
            return .setWeight(weight, next: state.stepIndex + 1)
        case .analysis(let seconds):
            let end = state.stepStartedAt.addingTimeInterval(Double(seconds * (1 + state.extensions)))
            return now < end ? .wait(until: end) : .analyze(from: state.stepStartedAt, to: end)
        case .shadow(let seconds):
            let end = state.stepStartedAt.addingTimeInterval(Double(seconds * (1 + state.extensions)))
            return now < end ? .wait(until: end) : .analyzeShadow(from: state.stepStartedAt, to: end)
        }
    }

    /// The verdict on a window. A check that fails on enough samples fails the
    /// canary even when another lacks samples; otherwise any check without its
    /// minimum sample makes the verdict inconclusive (never a pass). Without a
    /// stable version the canary is held to the absolute error limit alone.
    public static func judge(
        _ inputs: AnalysisInputs, _ config: RolloutState.Analysis, hasStable: Bool = true
    ) -> AnalysisVerdict {
        var failures: [String] = [], checks: [String] = [], missing: [String] = []
        func check(_ ok: Bool, _ text: String) { ok ? checks.append(text) : failures.append(text) }
        let canary = inputs.canary, stable = inputs.stable
        if canary.requests >= config.minRequests, !hasStable || stable.requests >= config.minRequests {
            let c = canary.errorRate, s = stable.errorRate
            let limit = max(s * config.maxErrorRateRatio, s + config.maxErrorRateDelta)
            check(
                c <= limit,
                String(
                    format: "error rate canary %.4f (%d of %d) vs stable %.4f (%d of %d) (limit %.4f)",
                    c, canary.errors, canary.requests, s, stable.errors, stable.requests, limit))
            if hasStable, let cp = canary.p99Ms, let sp = stable.p99Ms {
                check(
                    cp - sp <= config.maxP99DeltaMs,
                    String(
                        format: "p99 canary %.1f ms vs stable %.1f ms (max delta %.1f)", cp, sp, config.maxP99DeltaMs))
            }
        } else {
            missing.append(
                "requests canary \(canary.requests), stable \(stable.requests) (minimum \(config.minRequests))")
        }
        if hasStable {
            if canary.predictions >= config.minPredictions, stable.predictions >= config.minPredictions {
                if let psi = inputs.inputPSI {
                    check(
                        psi <= config.maxInputPSI, String(format: "input PSI %.3f (max %.3f)", psi, config.maxInputPSI))
                }
                if let psi = inputs.confidencePSI {
                    check(
                        psi <= config.maxConfidencePSI,
                        String(
                            format: "confidence PSI %.3f against %@ (max %.3f)", psi, inputs.confidenceReference,
                            config.maxConfidencePSI))
                }
            } else {
                missing.append(
                    "predictions canary \(canary.predictions), stable \(stable.predictions) (minimum "
                        + "\(config.minPredictions))"
                )
            }
            if let rule = config.groundTruth {
                let truth = inputs.groundTruth
                let c = truth?.canary.labelled ?? 0, s = truth?.stable.labelled ?? 0
                if let truth, c >= rule.minLabelled, s >= rule.minLabelled {
                    let test = TwoProportionTest(
                        successesA: truth.stable.correct, totalA: s, successesB: truth.canary.correct, totalB: c)
                    check(
                        test.pValue >= rule.significance,
                        String(
                            format: "accuracy canary %.3f (%d of %d labelled of %d) vs stable %.3f (%d of %d of %d): "
                                + "z %.2f, p %.4f (one-sided two-proportion test, significance %.3f)",
                            test.proportionB, truth.canary.correct, c, truth.canary.predictions, test.proportionA,
                            truth.stable.correct, s, truth.stable.predictions, test.z, test.pValue, rule.significance))
                } else {
                    missing.append(
                        "labelled predictions canary \(c) of \(truth?.canary.predictions ?? 0), stable \(s) of "
                            + "\(truth?.stable.predictions ?? 0) (minimum \(rule.minLabelled), predictions older than "
                            + "\(rule.labelDelaySeconds) s)")
                }
            }
        }
        if !failures.isEmpty { return .fail(failures, passed: checks) }
        if !missing.isEmpty { return .inconclusive("too little traffic to judge: " + missing.joined(separator: "; ")) }
        return .pass(checks)
    }

    /// The verdict on a shadow step: the canary must give stable's answer on at least
    /// `min_shadow_agreement` of the mirrored texts (`min_predictions` of them), and its
    /// p99 on them may exceed stable's by at most `max_p99_delta_ms`.
    public static func judgeShadow(_ shadow: ShadowComparison, _ config: RolloutState.Analysis) -> AnalysisVerdict {
        guard shadow.mirrored >= config.minPredictions, let agreement = shadow.agreement else {
            return .inconclusive(
                "too little shadow traffic to judge: \(shadow.mirrored) mirrored texts (minimum "
                    + "\(config.minPredictions))")
        }
        var failures: [String] = [], checks: [String] = []
        let said = String(
            format: "shadow agreement %.3f (%d of %d mirrored texts; canary failed %d, stable's answer found for %d) "
                + "(min %.3f)", agreement, shadow.agreed, shadow.mirrored, shadow.canaryErrors, shadow.compared,
            config.minShadowAgreement)
        agreement >= config.minShadowAgreement ? checks.append(said) : failures.append(said)
        if let c = shadow.canaryP99Ms, let s = shadow.stableP99Ms {
            let text = String(
                format: "shadow p99 canary %.1f ms vs stable %.1f ms (max delta %.1f)", c, s, config.maxP99DeltaMs)
            c - s <= config.maxP99DeltaMs ? checks.append(text) : failures.append(text)
        }
        if let psi = shadow.confidencePSI {
            let text = String(
                format: "shadow confidence PSI %.3f against stable's on the same texts (max %.3f)", psi,
                config.maxConfidencePSI)
            psi <= config.maxConfidencePSI ? checks.append(text) : failures.append(text)
        }
        return failures.isEmpty ? .pass(checks) : .fail(failures, passed: checks)
    }

    /// The state after an analysis verdict at `now`.
    public static func afterAnalysis(_ state: RolloutState, _ verdict: AnalysisVerdict, now: Date) -> RolloutState {
        var next = state
        switch verdict {
        case .pass:
            next.stepIndex += 1
            next.stepStartedAt = now
            next.extensions = 0
        case .fail:
            next.failures += 1
            if next.failures >= state.analysis.failureLimit {
                next.phase = .aborted
                next.weight = 0
            } else {
                next.stepStartedAt = now  // analyse the same step again
                next.extensions = 0
            }
        case .inconclusive:
            if state.analysis.onInconclusive == .extend, state.extensions < state.analysis.maxExtensions {
                next.extensions += 1  // the same window, longer
            } else {
                next.phase = .paused
            }
        }
        return next
    }

    /// What a command does to a rollout in `state`: a new state (with the event to
    /// record), the canary promoted or the rollout aborted, or a refusal.
    public enum CommandEffect: Sendable, Equatable {
        case update(RolloutState, kind: String)
        case promote
        case abort
        case refused(String)
    }

    public static func apply(_ command: RolloutCommand, to state: RolloutState, now: Date) -> CommandEffect {
        var next = state
        switch (command, state.phase) {
        case (.promote, .progressing), (.promote, .paused):
            next.stepIndex = min(state.stepIndex + 1, state.steps.count)
            next.phase = .progressing
            next.stepStartedAt = now
            next.extensions = 0
            // Skipping the wait for readiness too: the operator vouches for the canary.
            if next.canaryReadyAt == nil { next.canaryReadyAt = now }
            return .update(next, kind: "manual-promote")
        case (.promoteFull, .progressing), (.promoteFull, .paused):
            return .promote
        case (.abort, .progressing), (.abort, .paused):
            return .abort
        case (.pause, .progressing):
            next.phase = .paused
            return .update(next, kind: "paused")
        case (.resume, .paused):
            next.phase = .progressing
            next.stepStartedAt = now  // an analysis pause restarts its window
            next.extensions = 0
            return .update(next, kind: "resumed")
        case (.retry, .aborted):
            next = RolloutState(steps: state.steps, analysis: state.analysis, stepStartedAt: now, startedAt: now)
            return .update(next, kind: "retry")
        default:
            return .refused("cannot \(command.rawValue) a rollout that is \(state.phase.rawValue)")
        }
    }
}
