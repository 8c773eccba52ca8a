import Foundation

/// What an executor needs to start one training run: the entry point's
/// environment (docs/contracts.md) and a deterministic job name.
public struct TrainingJob: Sendable, Equatable {
    public var runID: String
    public var modelName: String
    public var environment: [String: String]

    /// Derived from the run id, so a retried submission finds the same job.
    public var name: String { "steward-train-\(runID.prefix(32))" }
}

/// Where a job stands, as the executor sees it.
public enum JobState: Sendable, Equatable {
    case pending
    case running
    case succeeded
    case failed(reason: String)
    /// The executor has no such job (never created, or lost with its host).
    case missing
}

/// Runs training jobs somewhere: a local process (embedded mode) or a
/// Kubernetes Job. Submitting an existing job is success.
public protocol Executor: Sendable {
    var kind: String { get }
    func submit(_ job: TrainingJob) throws
    func state(of job: TrainingJob) throws -> JobState
    func cancel(_ job: TrainingJob) throws
    /// The last lines of the job's log.
    func logs(of job: TrainingJob, tail: Int) throws -> String
}
