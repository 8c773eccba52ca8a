import Foundation
import Lifecycle
import Monitor
import Postgres
import Registry
import Synchronization
import Telemetry

/// Drift -> retrain: when the model's stable track has drifted in each of the
/// last `windows` drift windows (largest feature PSI above `threshold`), one
/// retrain run is queued — warm-started from the Production version, with the same
/// base model and parameters, on a new dataset version: the Production version's
/// training dataset plus the labelled production feedback posted since the episode's
/// first drifted window ended (`FeedbackDataset`; the retrain waits until there are
/// `minFeedback` such labels). Not since it began: the shift happened somewhere inside
/// that window, and labels of the old traffic from before it would make the new
/// version's reference a blend that the shifted traffic never matches.
///
/// One retrain per drift episode: an episode lasts from its first window above the
/// threshold until `quietWindows` windows in a row are back under it, and a retrain
/// queued since it began (or a run still open) means no other; `cooldown` is a floor
/// between two drift retrains whatever the episodes.
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
        /// Labelled production texts since the episode began that a retrain waits for.
        public var minFeedback = 100
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

    public struct Decision: Sendable {
        public var queue: Bool
        public var reason: String
        /// When the episode the decision is about began (nil outside one).
        public var episode: Date?
        /// Where its feedback window starts: the end of the episode's first window.
        public var feedbackFrom: Date?
    }

    /// The pure decision over the recent windows (newest first); `feedbackSince`
    /// counts the labelled production texts posted since a time.
    public static func decide(
        recent: [DriftStore.WorstDrift], options: Options, openRun: Bool, lastRetrain: Date?, now: Date,
        feedbackSince: (Date) throws -> Int
    ) rethrows -> Decision {
        guard recent.count >= options.windows else {
            return Decision(queue: false, reason: "only \(recent.count) drift windows so far")
        }
        let window = recent.prefix(options.windows)
        guard window.allSatisfy({ $0.psi > options.threshold }), let episode = episodeStart(recent, options: options)
        else {
            return Decision(
                queue: false, reason: "drift below \(options.threshold) in the last \(options.windows) windows")
        }
        let feedbackFrom = recent.first { $0.windowStart == episode }?.windowEnd ?? episode
        func no(_ reason: String) -> Decision {
            Decision(queue: false, reason: reason, episode: episode, feedbackFrom: feedbackFrom)
        }
        if openRun { return no("a run for this model is already queued or running") }
        if let lastRetrain, lastRetrain >= episode {
            return no("this drift episode (since \(Timestamp.iso8601(episode))) had its retrain already")
        }
        if let lastRetrain, now.timeIntervalSince(lastRetrain) < options.cooldown.seconds {
            return no(
                "the last drift retrain was \(Int(now.timeIntervalSince(lastRetrain))) s ago (cooldown "
                    + "\(Int(options.cooldown.seconds)) s)")
        }
        let labelled = try feedbackSince(feedbackFrom)
        if labelled < options.minFeedback {
            return no(
                "waiting for labelled production texts: \(labelled) of \(options.minFeedback) since "
                    + "\(Timestamp.iso8601(feedbackFrom)) (the end of the episode's first drifted window)")
        }
        let worst = window.max { $0.psi < $1.psi }!
        return Decision(
            queue: true,
            reason: String(
                format: "drift: %@ PSI %.3f, above %.2f for %d windows", worst.feature, worst.psi, options.threshold,
                options.windows),
            episode: episode, feedbackFrom: feedbackFrom)
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

    /// Why an episode has no retrain (yet), logged once per episode and kind of reason
    /// (the reason without its digits: a count that grows is the same reason).
    private let waits = Mutex<[String: String]>([:])
    private func waiting(model: String, episode: Date, reason: String) {
        let key = "\(Timestamp.iso8601(episode)) \(reason.filter { !$0.isNumber })"
        guard waits.withLock({ $0.updateValue(key, forKey: model) != key }) else { return }
        logger.notice("drift retrain waits", ["model": .string(model), "reason": .string(reason)])
    }

    /// Returns the runs it queued.
    @discardableResult
    public func pass(now: Date) throws -> [String] {
        var queued: [String] = []
        let runs = RunStore(pool: registry.pool), drift = DriftStore(pool: registry.pool)
        for source in try runs.productionTrainingSources() {
            let model = source.model
            let recent = try drift.recentWorstDrift(model: model, windows: max(options.history, options.windows))
            var episode: Date?
            let id: String?
            do {
                id = try queue(source, recent: recent, now: now) { episode = $0 }
            } catch let error where episode != nil && (error is DatasetRejected || error is RegistryError) {
                let why = (error as? DatasetRejected)?.report.errors.joined(separator: "; ") ?? "\(error)"
                waiting(model: model, episode: episode!, reason: "cannot build the retrain's dataset: \(why)")
                continue
            }
            if let id { queued.append(id) }
        }
        if !queued.isEmpty { onQueued() }
        return queued
    }

    /// Decides for one model and queues its retrain, in one transaction; `onEpisode`
    /// hears the episode once the decision is to queue.
    private func queue(
        _ source: RunStore.TrainingSource, recent: [DriftStore.WorstDrift], now: Date, onEpisode: (Date) -> Void
    ) throws -> String? {
        let model = source.model, version = source.version, runs = RunStore(pool: registry.pool)
        return try registry.pool.withTransaction { c -> String? in
            // Serialise concurrent deciders on the model row.
            let modelID = try registry.modelID(c, name: model, lock: true)
            let open = try runs.hasOpenRun(c, modelID: modelID)
            let last = try runs.lastDriftRetrain(c, modelID: modelID)
            let decision = try Self.decide(
                recent: recent, options: options, openRun: open, lastRetrain: last, now: now,
                feedbackSince: { try FeedbackStore.count(c, model: model, since: $0) })
            guard decision.queue, let episode = decision.episode, let feedbackFrom = decision.feedbackFrom else {
                if let episode = decision.episode { waiting(model: model, episode: episode, reason: decision.reason) }
                return nil
            }
            onEpisode(episode)
            let dataset = try FeedbackDataset(registry: registry).register(
                c, parent: try registry.dataset(c, id: source.datasetID), model: model, since: feedbackFrom, now: now)
            let submission = RunSubmission(
                model: model, datasetID: dataset.id, datasetLabel: dataset.label, baseModel: source.baseModel,
                paramsJSON: source.params, warmStartVersion: version, reason: decision.reason,
                submittedBy: "orchestrator")
            let id = try submission.queue(c, registry: registry, executorKind: executorKind)
            try registry.audit(c, action: "dataset.register", target: "dataset:\(dataset.label)")
            try registry.audit(c, action: "run.retrain", target: "model:\(model)/\(version)")
            try Outbox.record(
                c, kind: "retrain.queued",
                payload: [
                    "model": model, "run_id": id, "warm_start_version": version, "dataset": dataset.label,
                    "reason": decision.reason
                ])
            logger.notice(
                "queued a retrain",
                [
                    "model": .string(model), "run_id": .string(id), "reason": .string(decision.reason),
                    "dataset": .string(dataset.label), "feedback_rows": .int(dataset.sources.last?.rows ?? 0)
                ])
            return id
        }
    }
}
