import Foundation
import Lifecycle
import Postgres
import Registry
import Telemetry

/// The training-run control loop (leader only). Level-triggered: each pass
/// reads the runs' rows and moves each one step; every status change is one
/// transaction with its `run_events` row, so a restarted leader resumes from
/// the database. Submitting is idempotent (deterministic job names), so a crash
/// between "job created" and "row updated" creates no second job.
public final class RunController: LeaderService, @unchecked Sendable {
    public struct Options: Sendable {
        public var interval: Duration = .seconds(1)
        public var maxActivePerModel: Int = 1
        /// stewardd's own URL as the trainer reaches it (known once the port is bound).
        public var trackingURI: @Sendable () -> String
        public var trackingToken: String?
        /// Without a `trackingToken`: give each run its own operator token
        /// (`run-<run id>`), revoked when the run ends, so a local trainer never
        /// holds an admin token. (Kubernetes Jobs read theirs from a Secret.)
        public var runTokens = false
        public var assets: String?
        /// Steps and analysis of the rollout a passing version starts.
        public var rollout = RolloutState.Plan()
        public init(trackingURI: @escaping @Sendable () -> String, trackingToken: String?, assets: String? = nil) {
            self.trackingURI = trackingURI
            self.trackingToken = trackingToken
            self.assets = assets
        }
    }

    public let name = "run-controller"
    let registry: RegistryService
    let executor: any Executor
    let leadership: Leadership
    let options: Options
    let logger: Logger
    public let loop: LeaderLoop
    let store: RunStore

    public init(
        registry: RegistryService, executor: any Executor, leadership: Leadership, options: Options, logger: Logger
    ) {
        self.registry = registry
        self.executor = executor
        self.leadership = leadership
        self.options = options
        self.logger = logger.labelled("runs")
        self.store = RunStore(pool: registry.pool)
        self.loop = LeaderLoop(
            every: options.interval, isLeader: { leadership.isLeader }, logger: self.logger,
            failure: "reconcile pass failed; retrying")
    }

    public func pass() throws { try reconcile() }

    func job(for spec: RunStore.Spec, token: String? = nil) -> TrainingJob {
        var environment = [
            "MLFLOW_TRACKING_URI": options.trackingURI(),
            "MLFLOW_RUN_ID": spec.runID,
            "STEWARD_DATASET_URI": Self.directoryURI(spec.datasetURI),
            "STEWARD_DATASET_NAME": spec.datasetName,
            "STEWARD_DATASET_VERSION": spec.datasetVersion,
            "STEWARD_MODEL_NAME": spec.modelName,
            "STEWARD_BASE_MODEL": spec.baseModel,
            "STEWARD_PARAMS": spec.params
        ]
        if let token = token ?? options.trackingToken { environment["MLFLOW_TRACKING_TOKEN"] = token }
        if let assets = options.assets { environment["STEWARD_ASSETS"] = assets }
        if let warm = spec.warmStartVersion {
            environment["STEWARD_WARM_START_URI"] = "models:/\(spec.modelName)/\(warm)"
        }
        return TrainingJob(runID: spec.runID, modelName: spec.modelName, environment: environment)
    }

    /// Datasets are registered by their folder (or file); the trainer takes the folder.
    static func directoryURI(_ uri: String) -> String { uri.hasSuffix("/") ? String(uri.dropLast()) : uri }

    /// One pass over every run that is not settled yet.
    public func reconcile() throws {
        let specs = try store.unsettled()
        var active: [String: Int] = [:]
        for spec in specs where [.submitted, .running, .scheduled].contains(spec.status) {
            active[spec.modelName, default: 0] += 1
        }
        for spec in specs {
            guard leadership.isLeader else { return }
            let job = job(for: spec)
            switch spec.status {
            case .queued:
                guard active[spec.modelName, default: 0] < options.maxActivePerModel else { continue }
                let token =
                    options.runTokens
                    ? try registry.pool.withConnection { c in
                        try registry.tokens.issue(
                            name: Self.tokenName(spec.runID), role: .operator, by: "orchestrator", in: c)
                    } : nil
                try executor.submit(self.job(for: spec, token: token))
                try transition(
                    spec, to: .submitted, reason: "submitted to the \(executor.kind) executor as \(job.name)",
                    jobName: job.name
                ) { c in
                    try self.store.markSubmitted(c, runID: spec.runID)
                }
                active[spec.modelName, default: 0] += 1
            case .killed:
                try executor.cancel(job)
                try registry.pool.withTransaction { c in try self.settle(spec, c) }
            default:
                try follow(spec, job)
            }
        }
    }

    private func follow(_ spec: RunStore.Spec, _ job: TrainingJob) throws {
        switch try executor.state(of: job) {
        case .pending:
            break
        case .running:
            if spec.status == .submitted || spec.status == .scheduled {
                try transition(spec, to: .running, reason: "the job is running")
            }
        case .succeeded:
            let version = try registry.run(id: spec.runID).tags["steward.model_version"].flatMap(Int.init)
            try transition(
                spec, to: .finished,
                reason: version.map { "registered version \($0)" } ?? "finished without a model version"
            ) { c in try self.settle(spec, c) }
            if let version {
                try PolicyEvaluator(registry: registry, plan: options.rollout, logger: logger).evaluate(
                    modelName: spec.modelName, version: version)
            }
        case .failed(let reason):
            try transition(spec, to: .failed, reason: reason, failureReason: reason) { c in try self.settle(spec, c) }
        case .missing:
            let reason = "the \(executor.kind) executor has no job \(job.name) (lost with a restart?)"
            try transition(spec, to: .failed, reason: reason, failureReason: reason) { c in try self.settle(spec, c) }
        }
    }

    static func tokenName(_ runID: String) -> String { "run-\(runID)" }

    /// A run that ended: its finish time, and its own token retired.
    private func settle(_ spec: RunStore.Spec, _ c: PostgresConnection) throws {
        try store.settle(c, runID: spec.runID)
        if options.runTokens { try registry.tokens.retire(name: Self.tokenName(spec.runID), in: c) }
    }

    /// Moves a run from the status this pass read to `status`, with its event, in one
    /// transaction; a run that changed meanwhile (cancelled) is left alone.
    private func transition(
        _ spec: RunStore.Spec, to status: RunStatus, reason: String, failureReason: String? = nil,
        jobName: String? = nil,
        also: ((PostgresConnection) throws -> Void)? = nil
    ) throws {
        try registry.pool.withTransaction { c in
            let current = try registry.lockRunStatus(c, id: spec.runID)
            guard let current, current != RunStatus.killed.rawValue else { return }
            // The trainer may have reported the status through the tracking API already;
            // the history still gets the event, from the last status it recorded.
            let recorded = try store.lastRecordedStatus(c, runID: spec.runID)
            if current != status.rawValue {
                try registry.setRunStatus(
                    c, id: spec.runID, status: status, failureReason: failureReason, jobName: jobName)
            }
            if recorded != status.rawValue {
                try store.recordEvent(c, runID: spec.runID, from: recorded ?? current, to: status, reason: reason)
            }
            try also?(c)
        }
        logger.info(
            "run \(status.rawValue.lowercased())",
            ["run_id": .string(spec.runID), "model": .string(spec.modelName), "reason": .string(reason)])
    }
}
