import Foundation
import HTTPKit
import Postgres

/// What the orchestrator asks of the registry, inside its own transactions.
extension RegistryService {
    /// A run in the experiment named after the model (created when missing), status QUEUED.
    public func createQueuedRun(
        _ c: PostgresConnection, modelName: String, datasetID: Int64, user: String,
        tags: [String: String]
    ) throws -> String {
        let experiment: Int64
        // Experiment names are stored trimmed (createExperiment); look the model's up the same way.
        if let row = try c.query(
            "SELECT id FROM steward.experiments WHERE name = \(modelName.trimmingCharacters(in: .whitespaces))"
        ).first {
            experiment = try row.get("id")
        } else {
            experiment = try tracking.createExperiment(c, name: modelName, artifactLocation: nil, tags: [:])
        }
        var new = TrackingStore.NewRun(experimentID: experiment, name: nil)
        new.status = .queued
        new.userID = user
        new.tags = tags
        new.datasetID = datasetID
        return try tracking.createRun(c, new)
    }

    public func run(id: String) throws -> Run { try tracking.run(id: id) }

    /// The run's status, its row locked until the transaction ends (nil: no such run).
    public func lockRunStatus(_ c: PostgresConnection, id: String) throws -> String? {
        try c.query("SELECT status FROM steward.runs WHERE id = \(id) FOR UPDATE").first?.get("status")
    }

    /// How many runs are in each status.
    public func runCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try pool.query("SELECT status, count(*) AS n FROM steward.runs GROUP BY status") {
            counts[try row.get("status")] = try row.get("n")
        }
        return counts
    }

    public func setRunStatus(
        _ c: PostgresConnection, id: String, status: RunStatus, failureReason: String? = nil, jobName: String? = nil
    ) throws {
        try tracking.setStatus(c, id: id, status: status, failureReason: failureReason, jobName: jobName)
    }

    /// The model's id; with `lock`, its row is locked until the transaction ends
    /// (what serialises deciders that act on one model).
    public func modelID(_ c: PostgresConnection, name: String, lock: Bool = false) throws -> Int64 {
        try models.modelID(c, name: name, lock: lock)
    }
    public func model(named name: String) throws -> RegisteredModel { try models.model(named: name) }
    public func version(modelName: String, version: Int) throws -> ModelVersion {
        try models.version(modelName: modelName, version: version)
    }
    public func dataset(name: String, version: String) throws -> Dataset {
        try datasets.dataset(name: name, version: version)
    }

    /// A dataset named `name@version` (split at the first '@', which may be followed
    /// by any character); a 400 when the text has no '@' with text on both sides.
    public func dataset(reference: String) throws -> Dataset {
        let scalars = reference.unicodeScalars
        guard let at = scalars.firstIndex(of: "@"), at != scalars.startIndex,
            scalars.index(after: at) != scalars.endIndex
        else {
            throw RegistryError.invalid("dataset must be written name@version")
        }
        return try datasets.dataset(name: String(scalars[..<at]), version: String(scalars[scalars.index(after: at)...]))
    }
    public func dataset(id: Int64) throws -> Dataset { try datasets.dataset(id: id) }
    public func dataset(_ c: PostgresConnection, id: Int64) throws -> Dataset { try datasets.dataset(c, id: id) }

    /// Registers a dataset Steward built itself (a directory in the contract's
    /// layout) as `name@version` in the caller's transaction, moving it to `storeAt`
    /// once the row is in; `DatasetRejected`'s report says why one was refused.
    public func registerBuiltDataset(
        _ c: PostgresConnection, name: String, version: String, directory: URL, storeAt: URL, labels: [String],
        lineage: DatasetLineage
    ) throws -> Dataset {
        var rules = DatasetRules()
        rules.labels = labels
        let id = try datasets.register(
            c, name: name, version: version, source: directory, storeAt: storeAt, rules: rules, lineage: lineage)
        return try datasets.dataset(c, id: id)
    }

    /// The dataset version a model version's run trained on (nil without a run or a dataset).
    public func trainingDataset(of version: ModelVersion) throws -> Dataset? {
        try version.runID.flatMap { try datasets.trainedOn(runID: $0) }
    }

    /// A file of a version's model as this registry stores it (nil when its files
    /// are elsewhere or it has no such file), read whole: for small files only.
    public func modelFile(_ version: ModelVersion, path: String) throws -> Data? {
        guard let prefix = ArtifactURI.storePath(version.source),
            let stored = try artifacts.lookup(pool, path: "\(prefix)/\(path)")
        else { return nil }
        return try Data(contentsOf: stored.url)
    }

    /// The next whole-number version of dataset `name`.
    public func nextDatasetVersion(_ c: PostgresConnection, name: String) throws -> String {
        try datasets.nextVersion(c, name: name)
    }

    /// The newest version in Production other than `excluding`, if any.
    public func productionVersion(
        _ c: PostgresConnection, modelName: String, excluding: Int? = nil
    ) throws -> ModelVersion? {
        try models.versions(
            c, where: "m.name = \(modelName) AND v.stage = 'Production' AND v.version <> \(excluding ?? -1)",
            order: "v.version DESC", limit: 1, offset: 0
        ).first
    }

    @discardableResult
    public func transition(
        _ c: PostgresConnection, modelName: String, version: Int, to stage: Stage, archiveExisting: Bool
    ) throws -> [Int] {
        try models.transition(c, modelName: modelName, version: version, to: stage, archiveExisting: archiveExisting)
    }

    @discardableResult
    public func setAlias(_ c: PostgresConnection, modelName: String, alias: String, version: Int) throws -> Int? {
        try models.setAlias(c, modelName: modelName, alias: alias, version: version)
    }

    /// Removes an alias if it is set (no error when it is not).
    /// Removes an alias if it is set (no error when it is not).
    public func removeAlias(_ c: PostgresConnection, modelName: String, alias: String) throws {
        let removed = try c.query(
            """
            DELETE FROM steward.model_aliases WHERE alias = \(alias) AND model_id = (SELECT id FROM
                steward.registered_models WHERE name = \(modelName))
            """)
        if removed.affectedRows == 1 {
            try Outbox.record(
                c, kind: "alias.moved", payload: ["model": modelName, "alias": alias, "version": NSNull()])
        }
    }

    public func modelName(_ c: PostgresConnection, id: Int64) throws -> String? {
        try c.query("SELECT name FROM steward.registered_models WHERE id = \(id)").first?.get("name")
    }

    /// The version an alias points at, if it is set.
    public func versionNumber(_ c: PostgresConnection, modelName: String, alias: String) throws -> Int? {
        try c.query(
            """
            SELECT v.version FROM steward.model_aliases a JOIN steward.model_versions v ON v.id = a.version_id
            JOIN steward.registered_models m ON m.id = a.model_id WHERE m.name = \(modelName) AND a.alias = \(alias)
            """
        ).first?.get("version")
    }

    /// The version the stable track served before its current one (the rollback target).
    public func previousStableVersion(_ c: PostgresConnection, modelName: String) throws -> Int? {
        let current = try versionNumber(c, modelName: modelName, alias: "champion")
        return try c.query(
            """
            SELECT s.version FROM steward.serving_assignments s JOIN steward.registered_models m ON m.id = s.model_id
            JOIN steward.model_versions v ON v.model_id = s.model_id AND v.version = s.version
            WHERE m.name = \(modelName) AND s.track = 'stable' AND s.to_at IS NOT NULL AND s.version <> \(current ?? -1)
            ORDER BY s.to_at DESC, s.id DESC LIMIT 1
            """
        ).first?.get("version")
    }

    /// One track's assignment: which version it served, from when to when (nil: still).
    public struct ServingInterval: Sendable, Equatable, Encodable {
        public let track: String
        public let version: Int
        public let from: Date
        /// null (not absent) while the track still serves the version.
        @Nullable public var to: Date?
    }

    /// Which version each track served, oldest first: from the alias history (`champion`
    /// for stable, `challenger` for canary) that the database records as the aliases move.
    public func servingHistory(modelName: String) throws -> [ServingInterval] {
        _ = try models.model(named: modelName)
        return try pool.query(
            """
            SELECT s.track, s.version, s.from_at, s.to_at FROM steward.serving_assignments s
            JOIN steward.registered_models m ON m.id = s.model_id WHERE m.name = \(modelName) ORDER BY s.from_at, s.id
            """
        ).map { row in
            ServingInterval(
                track: try row.get("track"), version: try row.get("version"), from: try row.get("from_at"),
                to: try row.get("to_at"))
        }
    }

    /// Stores a model's promotion policy, trimmed (empty clears it), after the configured
    /// `policyValidator` accepts it (a 400 `invalid_policy` saying where, otherwise). Returns what was stored.
    @discardableResult
    public func setPolicy(_ c: PostgresConnection, modelName: String, policy: String?) throws -> String? {
        let text = policy?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if !text.isEmpty, let validate = configuration.policyValidator {
            do { try validate(text) } catch { throw RegistryError.invalidPolicy("\(error)") }
        }
        try models.setPolicy(c, name: modelName, policy: text.isEmpty ? nil : text)
        return text.isEmpty ? nil : text
    }

    /// Records an action in the audit log inside the caller's transaction: taken by `actor`
    /// (a caller of the API), or by a control loop when `actor` is nil.
    public func audit(_ c: PostgresConnection, actor: Principal? = nil, action: String, target: String) throws {
        try AuditLog.record(
            c, actor: actor ?? Principal(name: "orchestrator", role: .admin), action: action, target: target)
    }
}

extension RegistryService {
    /// Registered models by name, each with its newest version per stage and its aliases.
    public func registeredModels(limit: Int) throws -> [RegisteredModel] {
        try models.searchModels(filter: try ModelFilter.parse(""), limit: limit, pageToken: nil).items
    }

    /// A model's versions, newest first (at most `limit`).
    public func versions(of name: String, limit: Int) throws -> [ModelVersion] {
        _ = try models.model(named: name)
        return try pool.withConnection { c in
            try models.versions(c, where: "m.name = \(name)", order: "v.version DESC", limit: limit, offset: 0)
        }
    }
}
