import Foundation
import Lifecycle
import Monitor
import Postgres
import Registry
import Telemetry

/// Drift -> retrain: when the model's stable track has drifted in each of the
/// last `windows` drift windows (largest feature PSI above `threshold`), one
/// retrain run is queued — warm-started from the Production version, on its
/// training dataset, with the same base model and parameters. One per drift
/// episode: an episode lasts from its first window above the threshold until
/// `quietWindows` windows in a row are back under it, and a retrain queued since
/// it began (or a run still open) means no other; `cooldown` is a floor between
/// two drift retrains whatever the episodes.
public final class DriftRetrainer: LeaderService, @unchecked Sendable {
    public struct Options: Sendable {
        public var threshold = 0.25
        public var windows = 3
        /// Windows in a row under the threshold that end an episode.
        public var quietWindows = 3
        public var cooldown: Duration = .seconds(6 * 3600)
        public var interval: Duration = .seconds(60)
        /// How far back an episode is looked for (a longer one counts as starting there).
        public var history = 200
        public init() {}
    }

    /// When the drift episode the newest windows belong to began: the oldest window
    /// above the threshold before a run of `quietWindows` quiet ones (newest first in,
    /// nil when the newest window is not above the threshold).
    public static func episodeStart(_ recent: [DriftStore.WorstDrift], options: Options) -> Date? {
        guard let newest = recent.first, newest.psi > options.threshold else { return nil }
        var start = newest.windowStart, quiet = 0
        for window in recent {
            if window.psi > options.threshold {
                start = window.windowStart
                quiet = 0
            } else {
                quiet += 1
                if quiet >= options.quietWindows { break }
            }
        }
        return start
    }

    /// The pure decision over the recent windows (newest first).
    public static func decide(
        recent: [DriftStore.WorstDrift], options: Options, openRun: Bool, lastRetrain: Date?, now: Date
    ) -> (queue: Bool, reason: String) {
        guard recent.count >= options.windows else { return (false, "only \(recent.count) drift windows so far") }
        let window = recent.prefix(options.windows)
        guard window.allSatisfy({ $0.psi > options.threshold }), let episode = episodeStart(recent, options: options)
        else {
            return (false, "drift below \(options.threshold) in the last \(options.windows) windows")
        }
        if openRun { return (false, "a run for this model is already queued or running") }
        if let lastRetrain, lastRetrain >= episode {
            return (false, "this drift episode (since \(Timestamp.iso8601(episode))) had its retrain already")
        }
        if let lastRetrain, now.timeIntervalSince(lastRetrain) < options.cooldown.seconds {
            return (
                false,
                "the last drift retrain was \(Int(now.timeIntervalSince(lastRetrain))) s ago (cooldown "
                    + "\(Int(options.cooldown.seconds)) s)"
            )
        }
        let worst = window.max { $0.psi < $1.psi }!
        return (
            true,
            String(
                format: "drift: %@ PSI %.3f, above %.2f for %d windows", worst.feature, worst.psi, options.threshold,
                options.windows)
        )
    }

    public let name = "drift-retrainer"
    let registry: RegistryService
    let options: Options
    let executorKind: String
    let onQueued: @Sendable () -> Void
    let logger: Logger
    public let loop: LeaderLoop

    public init(
        registry: RegistryService, options: Options, executorKind: String, isLeader: @escaping @Sendable () -> Bool,
        onQueued: @escaping @Sendable () -> Void = {}, logger: Logger
    ) {
        self.registry = registry
        self.options = options
        self.executorKind = executorKind
        self.onQueued = onQueued
        self.logger = logger.labelled("retrain")
        self.loop = LeaderLoop(
            every: options.interval, isLeader: isLeader, logger: self.logger, failure: "retrain pass failed; retrying")
    }

    public func pass() throws { try pass(now: Date()) }

    /// The model's labelled feedback as a `text,label` CSV for the trainer (nil when there is none).
    func exportFeedback(_ c: PostgresConnection, model: String) throws -> String? {
        let rows = try FeedbackStore.labelled(c, model: model)
        guard !rows.isEmpty else { return nil }
        var csv = "text,label\n"
        for row in rows { csv += "\"\(row.text.replacingOccurrences(of: "\"", with: "\"\""))\",\(row.label)\n" }
        let file = registry.artifacts.root.appendingPathComponent(
            "feedback/\(model)-\(Int(Date().timeIntervalSince1970)).csv")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try csv.write(to: file, atomically: true, encoding: .utf8)
        return file.absoluteString
    }

    /// Returns the runs it queued.
    @discardableResult
    public func pass(now: Date) throws -> [String] {
        var queued: [String] = []
        let runs = RunStore(pool: registry.pool), drift = DriftStore(pool: registry.pool)
        for source in try runs.productionTrainingSources() {
            let model = source.model, version = source.version
            let recent = try drift.recentWorstDrift(model: model, windows: max(options.history, options.windows))
            let id = try registry.pool.withTransaction { c -> String? in
                // Serialise concurrent deciders on the model row.
                let modelID = try registry.modelID(c, name: model, lock: true)
                let open = try runs.hasOpenRun(c, modelID: modelID)
                let last = try runs.lastDriftRetrain(c, modelID: modelID)
                let decision = Self.decide(recent: recent, options: options, openRun: open, lastRetrain: last, now: now)
                guard decision.queue else { return nil }
                let submission = RunSubmission(
                    model: model, datasetID: source.datasetID, datasetLabel: source.datasetLabel,
                    baseModel: source.baseModel, paramsJSON: source.params, warmStartVersion: version,
                    extraDataURI: try exportFeedback(c, model: model), reason: decision.reason,
                    submittedBy: "orchestrator")
                let id = try submission.queue(c, registry: registry, executorKind: executorKind)
                try registry.audit(c, action: "run.retrain", target: "model:\(model)/\(version)")
                logger.notice(
                    "queued a retrain",
                    ["model": .string(model), "run_id": .string(id), "reason": .string(decision.reason)])
                return id
            }
            if let id { queued.append(id) }
        }
        if !queued.isEmpty { onQueued() }
        return queued
    }
}
