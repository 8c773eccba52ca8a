import Foundation

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
        public var minRequests = 100
        /// Canary error rate may be at most this times stable's (and `maxErrorRateDelta` above it).
        public var maxErrorRateRatio = 2.0
        public var maxErrorRateDelta = 0.01
        public var maxP99DeltaMs = 50.0
        public var maxInputPSI = 0.25
        public var maxConfidencePSI = 0.25
        public var failureLimit = 1
        public init() {}
        enum CodingKeys: String, CodingKey {
            case minRequests = "min_requests", maxErrorRateRatio = "max_error_rate_ratio", maxErrorRateDelta = "max_error_rate_delta"
            case maxP99DeltaMs = "max_p99_delta_ms", maxInputPSI = "max_input_psi", maxConfidencePSI = "max_confidence_psi"
            case failureLimit = "failure_limit"
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Analysis()
            minRequests = try c.decodeIfPresent(Int.self, forKey: .minRequests) ?? d.minRequests
            maxErrorRateRatio = try c.decodeIfPresent(Double.self, forKey: .maxErrorRateRatio) ?? d.maxErrorRateRatio
            maxErrorRateDelta = try c.decodeIfPresent(Double.self, forKey: .maxErrorRateDelta) ?? d.maxErrorRateDelta
            maxP99DeltaMs = try c.decodeIfPresent(Double.self, forKey: .maxP99DeltaMs) ?? d.maxP99DeltaMs
            maxInputPSI = try c.decodeIfPresent(Double.self, forKey: .maxInputPSI) ?? d.maxInputPSI
            maxConfidencePSI = try c.decodeIfPresent(Double.self, forKey: .maxConfidencePSI) ?? d.maxConfidencePSI
            failureLimit = try c.decodeIfPresent(Int.self, forKey: .failureLimit) ?? d.failureLimit
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

    public init(steps: [Step], analysis: Analysis, stepIndex: Int = 0, weight: Int = 0, phase: Phase = .progressing,
                stepStartedAt: Date, failures: Int = 0) {
        self.steps = steps
        self.analysis = analysis
        self.stepIndex = stepIndex
        self.weight = weight
        self.phase = phase
        self.stepStartedAt = stepStartedAt
        self.failures = failures
    }
}

/// What the analysis measured over a window, per track.
public struct TrackMetrics: Sendable, Equatable {
    public var requests: Int
    public var errors: Int
    public var p99Ms: Double?
    public var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }
    public init(requests: Int, errors: Int, p99Ms: Double?) {
        self.requests = requests
        self.errors = errors
        self.p99Ms = p99Ms
    }
}

public struct AnalysisInputs: Sendable, Equatable {
    public var stable: TrackMetrics
    public var canary: TrackMetrics
    /// The largest PSI of the canary's input features against the training reference.
    public var inputPSI: Double?
    /// PSI of the canary's confidence against stable's over the same window.
    public var confidencePSI: Double?
    public init(stable: TrackMetrics, canary: TrackMetrics, inputPSI: Double?, confidencePSI: Double?) {
        self.stable = stable
        self.canary = canary
        self.inputPSI = inputPSI
        self.confidencePSI = confidencePSI
    }
}

public enum AnalysisVerdict: Sendable, Equatable {
    case pass([String]), fail([String]), inconclusive(String)
}

/// The rollout state machine: pure, from stored state, the time and (at the
/// end of an analysis step) the measured window to the next action.
public enum RolloutPlanner {
    public enum Action: Sendable, Equatable {
        /// Route `weight`% to the canary and start step `next`.
        case setWeight(Int, next: Int)
        /// Nothing to do before `until`.
        case wait(until: Date)
        /// The analysis pause is over: measure [from, to) and call `afterAnalysis`.
        case analyze(from: Date, to: Date)
        /// Every step done: the canary becomes Production.
        case promote
        case none
    }

    public static func next(_ state: RolloutState, now: Date) -> Action {
        guard state.phase == .progressing else { return .none }
        guard state.stepIndex < state.steps.count else { return .promote }
        switch state.steps[state.stepIndex] {
        case .setWeight(let weight):
            return .setWeight(weight, next: state.stepIndex + 1)
        case .analysis(let seconds):
            let end = state.stepStartedAt.addingTimeInterval(Double(seconds))
            return now < end ? .wait(until: end) : .analyze(from: state.stepStartedAt, to: end)
        }
    }

    public static func judge(_ inputs: AnalysisInputs, _ config: RolloutState.Analysis) -> AnalysisVerdict {
        guard inputs.canary.requests >= config.minRequests, inputs.stable.requests >= config.minRequests else {
            return .inconclusive("too few requests to judge: canary \(inputs.canary.requests), stable \(inputs.stable.requests) (minimum \(config.minRequests))")
        }
        var failures: [String] = [], checks: [String] = []
        let c = inputs.canary.errorRate, s = inputs.stable.errorRate
        let errorLimit = max(s * config.maxErrorRateRatio, s + config.maxErrorRateDelta)
        (c <= errorLimit ? { checks.append($0) } : { failures.append($0) })(
            String(format: "error rate canary %.4f vs stable %.4f (limit %.4f)", c, s, errorLimit))
        if let cp = inputs.canary.p99Ms, let sp = inputs.stable.p99Ms {
            (cp - sp <= config.maxP99DeltaMs ? { checks.append($0) } : { failures.append($0) })(
                String(format: "p99 canary %.1f ms vs stable %.1f ms (max delta %.1f)", cp, sp, config.maxP99DeltaMs))
        }
        if let psi = inputs.inputPSI {
            (psi <= config.maxInputPSI ? { checks.append($0) } : { failures.append($0) })(String(format: "input PSI %.3f (max %.3f)", psi, config.maxInputPSI))
        }
        if let psi = inputs.confidencePSI {
            (psi <= config.maxConfidencePSI ? { checks.append($0) } : { failures.append($0) })(
                String(format: "confidence PSI %.3f (max %.3f)", psi, config.maxConfidencePSI))
        }
        return failures.isEmpty ? .pass(checks) : .fail(failures)
    }

    /// The state after an analysis verdict at `now`.
    public static func afterAnalysis(_ state: RolloutState, _ verdict: AnalysisVerdict, now: Date) -> RolloutState {
        var next = state
        switch verdict {
        case .pass:
            next.stepIndex += 1
            next.stepStartedAt = now
        case .fail:
            next.failures += 1
            if next.failures >= state.analysis.failureLimit {
                next.phase = .aborted
                next.weight = 0
            } else {
                next.stepStartedAt = now   // analyse the same step again
            }
        case .inconclusive:
            next.phase = .paused
        }
        return next
    }
}
