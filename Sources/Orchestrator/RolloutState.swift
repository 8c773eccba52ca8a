import Foundation
import Monitor

/// A canary rollout's plan and state, as stored in `steward.rollouts`.
public struct RolloutState: Sendable, Equatable {
    public enum Phase: String, Sendable, Codable {
        case progressing = "Progressing", paused = "Paused", promoted = "Promoted", aborted = "Aborted"
    }

    public enum Step: Sendable, Equatable, Codable {
        case setWeight(Int)
        /// Hold the weight this long, then analyse the canary against stable over the pause.
        case analysis(seconds: Int)
        /// Copy live requests to the canary this long without returning its answers, then
        /// compare its answers with stable's on the same requests.
        case shadow(seconds: Int)

        enum CodingKeys: String, CodingKey { case weight, analysis_seconds, shadow_seconds }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let weight = try c.decodeIfPresent(Int.self, forKey: .weight) {
                guard (0...100).contains(weight) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .weight, in: c, debugDescription: "weight must be 0...100")
                }
                self = .setWeight(weight)
            } else if try c.decodeIfPresent(Int.self, forKey: .analysis_seconds) == nil,
                let seconds = try c.decodeIfPresent(Int.self, forKey: .shadow_seconds)
            {
                guard (1...86_400).contains(seconds) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .shadow_seconds, in: c, debugDescription: "must be 1 to 86400")
                }
                self = .shadow(seconds: seconds)
            } else {
                let seconds = try c.decode(Int.self, forKey: .analysis_seconds)
                guard seconds > 0 else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .analysis_seconds, in: c, debugDescription: "must be positive")
                }
                self = .analysis(seconds: seconds)
            }
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .setWeight(let weight): try c.encode(weight, forKey: .weight)
            case .analysis(let seconds): try c.encode(seconds, forKey: .analysis_seconds)
            case .shadow(let seconds): try c.encode(seconds, forKey: .shadow_seconds)
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
        /// Judge the canary on true labels too; off without it.
        public var groundTruth: GroundTruthCheck?
        /// A shadow step passes when the canary gives stable's answer on at least this
        /// share of the mirrored requests (its failures count as disagreements).
        public var minShadowAgreement = 0.9

        public enum Inconclusive: String, Sendable, Codable { case pause, extend }

        /// The canary's live accuracy may not be worse than stable's on the same window:
        /// a one-sided two-proportion test at `significance`, once each track has
        /// `minLabelled` labelled predictions old enough (`labelDelaySeconds`) for their
        /// labels to have arrived; fewer is inconclusive, never a pass.
        public struct GroundTruthCheck: Sendable, Equatable, Codable {
            public var minLabelled = 100
            public var significance = 0.05
            public var labelDelaySeconds = 0

            public init() {}
            enum CodingKeys: String, CodingKey {
                case minLabelled = "min_labelled", significance, labelDelaySeconds = "label_delay_seconds"
            }
            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                minLabelled = try c.decodeIfPresent(Int.self, forKey: .minLabelled) ?? 100
                significance = try c.decodeIfPresent(Double.self, forKey: .significance) ?? 0.05
                labelDelaySeconds = try c.decodeIfPresent(Int.self, forKey: .labelDelaySeconds) ?? 0
                guard (1...10_000_000).contains(minLabelled) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .minLabelled, in: c, debugDescription: "must be 1 to 10000000")
                }
                guard significance > 0, significance <= 0.5 else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .significance, in: c, debugDescription: "must be above 0 and at most 0.5")
                }
                guard (0...7 * 86_400).contains(labelDelaySeconds) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .labelDelaySeconds, in: c, debugDescription: "must be 0 to 604800 (7 days)")
                }
            }
        }

        public init() {}
        enum CodingKeys: String, CodingKey {
            case minRequests = "min_requests", minPredictions = "min_predictions", maxErrorRateRatio =
                "max_error_rate_ratio"
            case maxErrorRateDelta = "max_error_rate_delta", maxP99DeltaMs = "max_p99_delta_ms", maxInputPSI =
                "max_input_psi"
            case maxConfidencePSI = "max_confidence_psi", failureLimit = "failure_limit", onInconclusive =
                "on_inconclusive"
            case maxExtensions = "max_extensions", progressDeadlineSeconds = "progress_deadline_seconds"
            case groundTruth = "ground_truth", minShadowAgreement = "min_shadow_agreement"
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Analysis()
            func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
                try c.decodeIfPresent(T.self, forKey: key) ?? fallback
            }
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
            groundTruth = try c.decodeIfPresent(GroundTruthCheck.self, forKey: .groundTruth)
            minShadowAgreement = try value(.minShadowAgreement, d.minShadowAgreement)
            guard (0...1).contains(minShadowAgreement) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .minShadowAgreement, in: c, debugDescription: "must be 0...1")
            }
            for (key, number) in [
                (CodingKeys.minRequests, minRequests), (.minPredictions, minPredictions), (.failureLimit, failureLimit),
                (.progressDeadlineSeconds, progressDeadlineSeconds)
            ] where number < 1 {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be 1 or more")
            }
            guard maxExtensions >= 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .maxExtensions, in: c, debugDescription: "must be 0 or more")
            }
        }
    }

    public static let defaultSteps: [Step] = [
        .setWeight(10), .analysis(seconds: 300), .setWeight(25), .analysis(seconds: 300),
        .setWeight(50), .analysis(seconds: 300), .setWeight(100)
    ]

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

    public init(
        steps: [Step], analysis: Analysis, stepIndex: Int = 0, weight: Int = 0, phase: Phase = .progressing,
        stepStartedAt: Date, failures: Int = 0, extensions: Int = 0, startedAt: Date? = nil, canaryReadyAt: Date? = nil
    ) {
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

    /// Whether live requests are copied to the canary now: a progressing rollout at a shadow step.
    public var isShadowing: Bool {
        guard phase == .progressing, stepIndex < steps.count, case .shadow = steps[stepIndex] else { return false }
        return true
    }
}
