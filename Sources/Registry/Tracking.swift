import Foundation

/// Milliseconds since the epoch, MLflow's clock.
typealias Millis = Int64

func nowMillis() -> Millis { Millis((Date().timeIntervalSince1970 * 1000).rounded()) }

public struct Experiment: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var artifactLocation: String
    public var lifecycleStage: String
    public var tags: [String: String]
    public var creationTime: Int64
    public var lastUpdateTime: Int64
}

public enum RunStatus: String, Sendable, CaseIterable, Codable {
    case queued = "QUEUED", scheduled = "SCHEDULED", submitted = "SUBMITTED", running = "RUNNING"
    case finished = "FINISHED", failed = "FAILED", killed = "KILLED"

    public var isTerminal: Bool { self == .finished || self == .failed || self == .killed }
    /// The statuses MLflow's protocol knows; Steward's own ones map onto them.
    var mlflowName: String {
        switch self {
        case .queued, .submitted: "SCHEDULED"
        default: rawValue
        }
    }
}

public struct MetricPoint: Sendable, Equatable {
    public var key: String
    public var value: Double
    public var timestamp: Int64
    public var step: Int64
}

public struct DatasetInput: Sendable, Equatable {
    public var name: String
    public var digest: String
    public var sourceType: String
    public var source: String
    public var schema: String
    public var profile: String
    public var tags: [String: String]
}

public struct Run: Sendable, Equatable {
    public var id: String
    public var experimentID: Int64
    public var name: String
    public var status: RunStatus
    public var lifecycleStage: String
    public var userID: String
    public var startTime: Int64
    public var endTime: Int64?
    public var artifactURI: String
    public var datasetID: Int64?
    public var parentRunID: String?
    public var jobName: String?
    public var failureReason: String?
    public var params: [String: String] = [:]
    public var tags: [String: String] = [:]
    public var metrics: [MetricPoint] = []
    public var inputs: [DatasetInput] = []

    /// Where its artifacts live below the artifact root.
    public var artifactPrefix: String { "\(experimentID)/\(id)/artifacts" }
}
