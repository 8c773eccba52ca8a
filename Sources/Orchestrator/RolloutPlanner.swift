import Foundation
import Monitor

/// A canary rollout's plan and state, as stored in `steward.rollouts`.
public struct RolloutState: Sendable, Equatable {
    public enum Phase: String, Sendable, Codable { case progressing = "Progressing", paused = "Paused", promoted = "Promoted", aborted = "Aborted" }

    public enum Step: Sendable, Equatable, Codable {
        case setWeight(Int)
        /// Hold the weight this long, then analyse the canary against stable over the pause.
        case analysis(seconds: Int)

        enum CodingKeys: String, CodingKey { case weight, analysis_seconds }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let weight = try c.decodeIfPresent(Int.self, forKey: .weight) {
                guard (0...100).contains(weight) else { throw DecodingError.dataCorruptedError(forKey: .weight, in: c, debugDescription: "weight must be 0...100") }
                self = .setWeight(weight)
            } else {
                let seconds = try c.decode(Int.self, forKey: .analysis_seconds)
                guard seconds > 0 else { throw DecodingError.dataCorruptedError(forKey: .analysis_seconds, in: c, debugDescription: "must be positive") }
                self = .analysis(seconds: seconds)
            }
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .setWeight(let weight): try c.encode(weight, forKey: .weight)
            case .analysis(let seconds): try c.encode(seconds, forKey: .analysis_seconds)
            }
        }
    }

    public struct Analysis: Sendable, Equatable, Codable {
        /// Requests each track needs in a window before error rate and latency are judged.
        public var minRequests = 100
        /// Predictions (labelled, with features) each track needs before the PSI checks are judged.
        public var minPredictions = 100
        /// Canary error rate may be at most this times stable's (and `maxErrorRateDelta` above it).
        public var maxErrorRateRatio = 2.0
        public var maxErrorRateDelta = 0.01
        public var maxP99DeltaMs = 50.0
        public var maxInputPSI = 0.25
        public var maxConfidencePSI = 0.25
        public var failureLimit = 1
        /// Too little traffic in a window: pause with the counts as the reason, or
        /// extend the window (up to `maxExtensions` times, then pause). Never promote.
        public var onInconclusive = Inconclusive.pause
        public var maxExtensions = 3
        /// A canary whose track does not serve its version within this long after the
        /// rollout starts (its model never loads) aborts with that reason.
        public var progressDeadlineSeconds = 600

        public enum Inconclusive: String, Sendable, Codable { case pause, extend }

        public init() {}
        enum CodingKeys: String, CodingKey {
            case minRequests = "min_requests", minPredictions = "min_predictions", maxErrorRateRatio = "max_error_rate_ratio"
            case maxErrorRateDelta = "max_error_rate_delta", maxP99DeltaMs = "max_p99_delta_ms", maxInputPSI = "max_input_psi"
            case maxConfidencePSI = "max_confidence_psi", failureLimit = "failure_limit", onInconclusive = "on_inconclusive"
            case maxExtensions = "max_extensions", progressDeadlineSeconds = "progress_deadline_seconds"
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Analysis()
            func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? fallback }
            minRequests = try value(.minRequests, d.minRequests)
            minPredictions = try value(.minPredictions, d.minPredictions)
            maxErrorRateRatio = try value(.maxErrorRateRatio, d.maxErrorRateRatio)
            maxErrorRateDelta = try value(.maxErrorRateDelta, d.maxErrorRateDelta)
            maxP99DeltaMs = try value(.maxP99DeltaMs, d.maxP99DeltaMs)
            maxInputPSI = try value(.maxInputPSI, d.maxInputPSI)
            maxConfidencePSI = try value(.maxConfidencePSI, d.maxConfidencePSI)
            failureLimit = try value(.failureLimit, d.failureLimit)
            onInconclusive = try value(.onInconclusive, d.onInconclusive)
            maxExtensions = try value(.maxExtensions, d.maxExtensions)
            progressDeadlineSeconds = try value(.progressDeadlineSeconds, d.progressDeadlineSeconds)
            for (key, number) in [(CodingKeys.minRequests, minRequests), (.minPredictions, minPredictions), (.failureLimit, failureLimit),
                                  (.progressDeadlineSeconds, progressDeadlineSeconds)] where number < 1 {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be 1 or more")
            }
            guard maxExtensions >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: .maxExtensions, in: c, debugDescription: "must be 0 or more")
            }
        }
    }

    public static let defaultSteps: [Step] = [.setWeight(10), .analysis(seconds: 300), .setWeight(25), .analysis(seconds: 300),
                                             .setWeight(50), .analysis(seconds: 300), .setWeight(100)]

    /// Steps and analysis for a rollout that does not name its own (the API's
    /// default and the one a policy pass starts); stewardd may override them.
    public struct Plan: Sendable {
        public var steps: [Step]
        public var analysis: Analysis
        public init(steps: [Step] = RolloutState.defaultSteps, analysis: Analysis = Analysis()) {
            self.steps = steps
            self.analysis = analysis
        }
    }

    public var steps: [Step]
    public var analysis: Analysis
    public var stepIndex: Int
    public var weight: Int
    public var phase: Phase
    /// When the current step began (stored, so a restarted leader resumes the pause on time).
    public var stepStartedAt: Date
    public var failures: Int
    /// How many times the current analysis window was extended for too little traffic.
    public var extensions: Int
    /// When the rollout (or its retry) started: the progress deadline counts from here.
    public var startedAt: Date
    /// When the canary's track was first seen serving the canary version.
    public var canaryReadyAt: Date?

    public init(steps: [Step], analysis: Analysis, stepIndex: Int = 0, weight: Int = 0, phase: Phase = .progressing,
                stepStartedAt: Date, failures: Int = 0, extensions: Int = 0, startedAt: Date? = nil, canaryReadyAt: Date? = nil) {
        self.steps = steps
        self.analysis = analysis
        self.stepIndex = stepIndex
        self.weight = weight
        self.phase = phase
        self.stepStartedAt = stepStartedAt
        self.failures = failures
        self.extensions = extensions
        self.startedAt = startedAt ?? stepStartedAt
        self.canaryReadyAt = canaryReadyAt
    }

    public var isActive: Bool { phase == .progressing || phase == .paused }
}

public enum AnalysisVerdict: Sendable, Equatable {
    case pass([String]), fail([String]), inconclusive(String)
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
                return .abort("the canary did not become ready within the progress deadline (\(state.analysis.progressDeadlineSeconds) s): its track never served the version")
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
        }
    }

    /// The verdict on a window. A check that fails on enough samples fails the
    /// canary even when another lacks samples; otherwise any check without its
    /// minimum sample makes the verdict inconclusive (never a pass). Without a
    /// stable version the canary is held to the absolute error limit alone.
    public static func judge(_ inputs: AnalysisInputs, _ config: RolloutState.Analysis, hasStable: Bool = true) -> AnalysisVerdict {
        var failures: [String] = [], checks: [String] = [], missing: [String] = []
        func check(_ ok: Bool, _ text: String) { ok ? checks.append(text) : failures.append(text) }
        let canary = inputs.canary, stable = inputs.stable
        if canary.requests >= config.minRequests, !hasStable || stable.requests >= config.minRequests {
            let c = canary.errorRate, s = stable.errorRate
            let limit = max(s * config.maxErrorRateRatio, s + config.maxErrorRateDelta)
            check(c <= limit, String(format: "error rate canary %.4f (%d of %d) vs stable %.4f (%d of %d) (limit %.4f)",
                                     c, canary.errors, canary.requests, s, stable.errors, stable.requests, limit))
            if hasStable, let cp = canary.p99Ms, let sp = stable.p99Ms {
                check(cp - sp <= config.maxP99DeltaMs, String(format: "p99 canary %.1f ms vs stable %.1f ms (max delta %.1f)", cp, sp, config.maxP99DeltaMs))
            }
        } else {
            missing.append("requests canary \(canary.requests), stable \(stable.requests) (minimum \(config.minRequests))")
        }
        if hasStable {
            if canary.predictions >= config.minPredictions, stable.predictions >= config.minPredictions {
                if let psi = inputs.inputPSI { check(psi <= config.maxInputPSI, String(format: "input PSI %.3f (max %.3f)", psi, config.maxInputPSI)) }
                if let psi = inputs.confidencePSI {
                    check(psi <= config.maxConfidencePSI, String(format: "confidence PSI %.3f (max %.3f)", psi, config.maxConfidencePSI))
                }
            } else {
                missing.append("predictions canary \(canary.predictions), stable \(stable.predictions) (minimum \(config.minPredictions))")
            }
        }
        if !failures.isEmpty { return .fail(failures) }
        if !missing.isEmpty { return .inconclusive("too little traffic to judge: " + missing.joined(separator: "; ")) }
        return .pass(checks)
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
                next.stepStartedAt = now   // analyse the same step again
                next.extensions = 0
            }
        case .inconclusive:
            if state.analysis.onInconclusive == .extend, state.extensions < state.analysis.maxExtensions {
                next.extensions += 1      // the same window, longer
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
            next.stepStartedAt = now   // an analysis pause restarts its window
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
