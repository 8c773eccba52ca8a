import Foundation
import Lifecycle
import Postgres
import Registry
import Telemetry

/// Drift -> retrain: when the Production version's inputs have drifted in each
/// of the last `windows` drift windows (largest feature PSI above
/// `threshold`), one retrain run is queued — warm-started from that version, on
/// its training dataset, with the same base model and parameters. A cooldown
/// and the check for an open run make one drift episode yield one run.
public final class DriftRetrainer: Service, @unchecked Sendable {
    public struct Options: Sendable {
        public var threshold = 0.25
        public var windows = 3
        public var cooldown: Duration = .seconds(6 * 3600)
        public var interval: Duration = .seconds(60)
        public init() {}
    }

    /// The pure decision over the recent windows (newest first: each window's largest PSI and its feature).
    public static func decide(recent: [(psi: Double, feature: String)], options: Options, openRun: Bool, lastRetrain: Date?, now: Date) -> (queue: Bool, reason: String) {
        guard recent.count >= options.windows else { return (false, "only \(recent.count) drift windows so far") }
        let window = recent.prefix(options.windows)
        guard window.allSatisfy({ $0.psi > options.threshold }) else {
            return (false, "drift below \(options.threshold) in the last \(options.windows) windows")
        }
        if openRun { return (false, "a run for this model is already queued or running") }
        if let lastRetrain, now.timeIntervalSince(lastRetrain) < options.cooldown.seconds {
            return (false, "the last drift retrain was \(Int(now.timeIntervalSince(lastRetrain))) s ago (cooldown \(Int(options.cooldown.seconds)) s)")
        }
        let worst = window.max { $0.psi < $1.psi }!
        return (true, String(format: "drift: %@ PSI %.3f, above %.2f for %d windows", worst.feature, worst.psi, options.threshold, options.windows))
    }

    public let name = "drift-retrainer"
    let registry: RegistryService
    let options: Options
    let executorKind: String
    let isLeader: @Sendable () -> Bool
    let onQueued: @Sendable () -> Void
    let logger: Logger
    private let stop = StopSignal()

    public init(registry: RegistryService, options: Options, executorKind: String, isLeader: @escaping @Sendable () -> Bool,
                onQueued: @escaping @Sendable () -> Void = {}, logger: Logger) {
        self.registry = registry
        self.options = options
        self.executorKind = executorKind
        self.isLeader = isLeader
        self.onQueued = onQueued
        self.logger = logger.labelled("retrain")
    }

    public func run() throws {
        while stop.wait(options.interval) {
            guard isLeader() else { continue }
            do { try pass(now: Date()) } catch { logger.error("retrain pass failed; retrying", ["error": .string("\(error)")]) }
        }
    }

    public func shutdown() { stop.stop() }

    /// The model's labelled feedback as a `text,label` CSV for the trainer (nil when there is none).
    func exportFeedback(_ c: PostgresConnection, model: String) throws -> String? {
        let rows = try c.query("SELECT text, label FROM steward.feedback WHERE model_name = $1 ORDER BY id", [model])
        guard rows.count > 0 else { return nil }
        var csv = "text,label\n"
        for row in rows {
            let text: String = try row.get("text"), label: String = try row.get("label")
            csv += "\"\(text.replacingOccurrences(of: "\"", with: "\"\""))\",\(label)\n"
        }
        let file = registry.artifacts.root.appendingPathComponent("feedback/\(model)-\(Int(Date().timeIntervalSince1970)).csv")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try csv.write(to: file, atomically: true, encoding: .utf8)
        return file.absoluteString
    }

    /// Returns the runs it queued.
    @discardableResult
    public func pass(now: Date) throws -> [String] {
        var queued: [String] = []
        let production = try registry.pool.query("""
            SELECT m.name, v.version, r.dataset_id, d.name AS dataset, d.version AS dataset_version,
                   COALESCE(s.base_model, 'tiny') AS base_model, COALESCE(s.params::text, '{}') AS params
            FROM steward.model_versions v JOIN steward.registered_models m ON m.id = v.model_id
            JOIN steward.runs r ON r.id = v.run_id JOIN steward.datasets d ON d.id = r.dataset_id
            LEFT JOIN steward.run_specs s ON s.run_id = r.id
            WHERE v.stage = 'Production'
            """)
        for row in production {
            let model: String = try row.get("name"), version: Int = try row.get("version")
            let recent = try registry.pool.query("""
                SELECT DISTINCT ON (window_start) window_start, feature, psi FROM steward.drift_windows
                WHERE model_name = $1 AND model_version = $2 AND track = 'stable' ORDER BY window_start DESC, psi DESC LIMIT $3
                """, [model, String(version), options.windows]).map { (psi: try $0.get("psi", as: Double.self), feature: try $0.get("feature", as: String.self)) }
            let id = try registry.pool.withTransaction { c -> String? in
                // Serialise concurrent deciders on the model row.
                let modelID = try registry.modelID(c, name: model)
                _ = try c.query("SELECT 1 FROM steward.registered_models WHERE id = $1 FOR UPDATE", [modelID])
                let open = try c.query("""
                    SELECT 1 FROM steward.run_specs s JOIN steward.runs r ON r.id = s.run_id
                    WHERE s.model_id = $1 AND r.status IN ('QUEUED', 'SUBMITTED', 'SCHEDULED', 'RUNNING') LIMIT 1
                    """, [modelID]).count > 0
                let last: Date? = try c.query("SELECT max(created_at) AS at FROM steward.run_specs WHERE model_id = $1 AND reason LIKE 'drift%'",
                                              [modelID]).first?.get("at")
                let decision = Self.decide(recent: recent, options: options, openRun: open, lastRetrain: last, now: now)
                guard decision.queue else { return nil }
                let submission = RunSubmission(model: model, datasetID: try row.get("dataset_id"),
                                               datasetLabel: "\(try row.get("dataset", as: String.self))@\(try row.get("dataset_version", as: String.self))",
                                               baseModel: try row.get("base_model"), paramsJSON: try row.get("params"), warmStartVersion: version,
                                               extraDataURI: try exportFeedback(c, model: model), reason: decision.reason, submittedBy: "orchestrator")
                let id = try submission.queue(c, registry: registry, executorKind: executorKind)
                try registry.audit(c, action: "run.retrain", target: "model:\(model)/\(version)")
                logger.notice("queued a retrain", ["model": .string(model), "run_id": .string(id), "reason": .string(decision.reason)])
                return id
            }
            if let id { queued.append(id) }
        }
        if !queued.isEmpty { onQueued() }
        return queued
    }
}
