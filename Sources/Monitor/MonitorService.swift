import Foundation
import HTTPKit
import Lifecycle
import Postgres
import Registry
import Telemetry

/// The monitor loop (leader only): rolls the prediction log up per minute and
/// stores each window's PSI per feature for every model version and track
/// that served, against the reference of the version's training dataset; prunes
/// predictions older than the retention.
public final class MonitorService: LeaderService, @unchecked Sendable {
    public let name = "monitor"
    let registry: RegistryService
    let window: Duration
    /// A window with fewer predictions than this is not stored: PSI over a
    /// handful of texts is noise (ten bins want a few hundred), and would alert.
    let minWindowRows: Int
    /// How long predictions are kept (nil: for ever); pruned at most once an hour.
    let retention: Duration?
    let logger: Logger
    public let loop: LeaderLoop
    private var lastDrift = Date.distantPast
    private var lastPrune = Date.distantPast
    private var pruneBacklog = false
    private var rolledUpTo = Date.distantPast

    public init(
        registry: RegistryService, window: Duration = .seconds(300), minWindowRows: Int = 100,
        retention: Duration? = nil, isLeader: @escaping @Sendable () -> Bool, logger: Logger
    ) {
        self.registry = registry
        self.minWindowRows = minWindowRows
        self.retention = retention
        self.window = window
        self.logger = logger.labelled("monitor")
        // Often enough that a short (demo) window is stored soon after it closes.
        self.loop = LeaderLoop(
            every: min(.seconds(15), window / 3), isLeader: isLeader, logger: self.logger,
            failure: "monitor pass failed; retrying")
    }

    public func pass() throws { try pass(now: Date()) }

    /// Rolls up the newly closed minutes, counts their feature values, prunes; every window, stores drift.
    public func pass(now: Date) throws {
        let rolling = ContinuousClock.now
        let rolled = try Rollups(pool: registry.pool).rollUpClosedMinutes(now: now)
        if rolled.to > rolledUpTo {  // a minute closed (most passes only re-roll the grace for late rows)
            logger.info("rolled up serving minutes", span(rolled.from, rolled.to, since: rolling))
            rolledUpTo = rolled.to
        }
        try FeedbackStore(pool: registry.pool).attachPredictions(since: now.addingTimeInterval(-3600))
        let counting = ContinuousClock.now
        if let pass = try FeatureCounts(pool: registry.pool).rollUp(now: now), pass.to > pass.from {
            logger.info("counted feature values", span(pass.from, pass.to, since: counting))
        }
        // Every minute, or at once when the last pass left a backlog: at 2,000 predictions/s the
        // log gains 120k rows a minute, and one pass deletes at most Retention's chunk limit.
        if let retention, now.timeIntervalSince(lastPrune) >= 60 || pruneBacklog {
            let keep = Retention(pool: registry.pool, keep: Double(retention.components.seconds))
            let pruned = try keep.prune(now: now)
            lastPrune = now
            pruneBacklog = pruned.predictions >= keep.chunk * keep.maxChunks
            if pruned.predictions + pruned.featureCounts > 0 {
                logger.info(
                    "pruned the prediction log",
                    [
                        "predictions": .int(pruned.predictions), "feature_counts": .int(pruned.featureCounts),
                        "older_than_seconds": .int(Int(retention.components.seconds))
                    ])
            }
        }
        try AlertEvaluator(pool: registry.pool).evaluate(now: now)
        let seconds = Double(window.components.seconds)
        let windowEnd = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / seconds).rounded(.down) * seconds)
        guard windowEnd > lastDrift else { return }
        try storeDrift(from: windowEnd.addingTimeInterval(-seconds), to: windowEnd)
        lastDrift = windowEnd
    }

    private func span(_ from: Date, _ to: Date, since start: ContinuousClock.Instant) -> [String: LogValue] {
        [
            "from": .string(Timestamp.iso8601(from)), "to": .string(Timestamp.iso8601(to)),
            "ms": .double((ContinuousClock.now - start).seconds * 1000)
        ]
    }

    /// Each feature's PSI over the window for every version and track that served
    /// in it, against the reference of the version's training dataset.
    func storeDrift(from: Date, to: Date) throws {
        let drift = DriftStore(pool: registry.pool)
        for series in try drift.servedSeries(from: from, to: to) {
            let dataset = try registry.dataset(id: series.datasetID)
            let window = DriftStore.Window(
                model: series.model, version: series.version, track: series.track, from: from, to: to)
            for feature in DriftStore.features {
                guard let profile = dataset.profile?.features[feature] else { continue }
                let result = try drift.quantilePSI(window, feature: feature, profile: profile)
                guard result.psi.isFinite, result.currentRows >= minWindowRows else { continue }
                try drift.store(window, result, datasetID: dataset.id)
            }
        }
    }
}
