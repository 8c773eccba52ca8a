import Digest
import Foundation
import Postgres

/// Experiments and runs: the SQL behind both the native and the MLflow views.
/// Methods taking a connection run inside the caller's transaction.
public final class TrackingStore: Sendable {
    let pool: PostgresPool

    init(pool: PostgresPool) { self.pool = pool }

    // MARK: Experiments

    func createExperiment(
        _ c: PostgresConnection, name: String, artifactLocation: String?, tags: [String: String]
    ) throws -> Int64 {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 500 else {
            throw RegistryError.invalid("experiment name must be 1-500 characters")
        }
        try Limits.checkTags(tags, valueLimit: Limits.experimentTagValueLength)
        if let existing = try c.query("SELECT id FROM steward.experiments WHERE name = \(trimmed)").first {
            throw RegistryError.alreadyExists(
                "Experiment(name=\(trimmed)) already exists.",
                existingID: String(try existing.get("id", as: Int64.self)))
        }
        let now = nowMillis()
        do {
            let id: Int64 = try c.query(
                """
                INSERT INTO steward.experiments (name, tags, creation_time, last_update_time) VALUES (\(trimmed),
                    \(try JSONCoding.text(tags))::jsonb, \(now), \(now)) RETURNING id
                """
            ).first!.get("id")
            let location = artifactLocation ?? "mlflow-artifacts:/\(id)"
            _ = try c.query("UPDATE steward.experiments SET artifact_location = \(location) WHERE id = \(id)")
            return id
        } catch let error as PostgresError where error.isUniqueViolation {
            // Created by a concurrent request since the check above.
            throw RegistryError.alreadyExists("Experiment(name=\(trimmed)) already exists.", existingID: nil)
        }
    }

    private static let experimentColumns =
        "id, name, artifact_location, lifecycle_stage, tags::text AS tags, creation_time, last_update_time"

    private func experiment(from row: PostgresRow) throws -> Experiment {
        Experiment(
            id: try row.get("id"), name: try row.get("name"), artifactLocation: try row.get("artifact_location"),
            lifecycleStage: try row.get("lifecycle_stage"), tags: try JSONCoding.dictionary(try row.get("tags")),
            creationTime: try row.get("creation_time"), lastUpdateTime: try row.get("last_update_time"))
    }

    func experimentIDs() throws -> [Int64] {
        try pool.query("SELECT id FROM steward.experiments").map { try $0.get("id") }
    }

    func experiment(id: Int64) throws -> Experiment {
        guard
            let row = try pool.query("SELECT \(raw: Self.experimentColumns) FROM steward.experiments WHERE id = \(id)")
                .first
        else {
            throw RegistryError.notFound("No Experiment with id=\(id) exists")
        }
        return try experiment(from: row)
    }

    func experiment(named name: String) throws -> Experiment {
        guard
            let row = try pool.query(
                "SELECT \(raw: Self.experimentColumns) FROM steward.experiments WHERE name = \(name)"
            ).first
        else {
            throw RegistryError.notFound("Could not find experiment with name '\(name)'")
        }
        return try experiment(from: row)
    }

    /// MLflow's `view_type`: which lifecycle stages a search returns (ACTIVE_ONLY by default).
    static func lifecycleStages(viewType: String) -> [String] {
        switch viewType {
        case "DELETED_ONLY": ["deleted"]
        case "ALL": ["active", "deleted"]
        default: ["active"]
        }
    }

    func searchExperiments(
        filter: ModelFilter, viewType: String, limit: Int, pageToken: String?
    ) throws -> Page<Experiment> {
        let offset = try PageToken.decode(pageToken)
        let stages = Self.lifecycleStages(viewType: viewType)
        let rows = try pool.query(
            """
            SELECT \(raw: Self.experimentColumns) FROM steward.experiments e
            WHERE lifecycle_stage = ANY(\(stages)) AND \(try filter.sql(for: .experiments))
            ORDER BY id LIMIT \(limit) OFFSET \(offset)
            """)
        let items = try rows.map(experiment(from:))
        return Page(items: items, nextPageToken: PageToken.next(offset: offset, returned: items.count, limit: limit))
    }

    func setExperimentStage(_ c: PostgresConnection, id: Int64, stage: String) throws {
        if id == 0, stage == "deleted" { throw RegistryError.invalid("the Default experiment cannot be deleted") }
        let rows = try c.query(
            """
            UPDATE steward.experiments SET lifecycle_stage = \(stage), last_update_time = \(nowMillis()) WHERE id =
                \(id)
            """
        )
        guard rows.affectedRows == 1 else { throw RegistryError.notFound("No Experiment with id=\(id) exists") }
    }

    func renameExperiment(_ c: PostgresConnection, id: Int64, name: String) throws {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 500 else {
            throw RegistryError.invalid("experiment name must be 1-500 characters")
        }
        do {
            let rows = try c.query(
                "UPDATE steward.experiments SET name = \(name), last_update_time = \(nowMillis()) WHERE id = \(id)")
            guard rows.affectedRows == 1 else { throw RegistryError.notFound("No Experiment with id=\(id) exists") }
        } catch let error as PostgresError {
            throw error.asAlreadyExists("Experiment '\(name)' already exists.")
        }
    }

    func setExperimentTag(_ c: PostgresConnection, id: Int64, key: String, value: String) throws {
        try Limits.checkKey(key, "tag")
        try Limits.checkLength(value, "value", limit: Limits.experimentTagValueLength)
        let rows = try c.query(
            """
            UPDATE steward.experiments SET tags = tags || jsonb_build_object(\(key)::text, \(value)::text) WHERE id
                = \(id)
            """
        )
        guard rows.affectedRows == 1 else { throw RegistryError.notFound("No Experiment with id=\(id) exists") }
    }

    // MARK: Runs

    struct NewRun {
        var experimentID: Int64
        var name: String?
        var userID: String = ""
        var startTime: Int64?
        var status: RunStatus = .running
        var tags: [String: String] = [:]
        var datasetID: Int64?
        var parentRunID: String?
    }

    func createRun(_ c: PostgresConnection, _ new: NewRun) throws -> String {
        try Limits.checkTags(new.tags, valueLimit: Limits.tagValueLength)
        try Limits.checkLength(new.name, "run_name", limit: Limits.runNameLength)
        try Limits.checkLength(new.userID, "user_id", limit: Limits.userIDLength)
        guard
            let stage = try c.query(
                "SELECT lifecycle_stage FROM steward.experiments WHERE id = \(new.experimentID) FOR SHARE"
            ).first
        else {
            throw RegistryError.notFound("No Experiment with id=\(new.experimentID) exists")
        }
        guard try stage.get("lifecycle_stage", as: String.self) == "active" else {
            throw RegistryError.invalid("The experiment \(new.experimentID) must be in the 'active' state")
        }
        let id = SecureRandom.hex(bytes: 16)
        let name = new.name.flatMap { $0.isEmpty ? nil : $0 } ?? new.tags["mlflow.runName"] ?? RunNames.make()
        var tags = new.tags
        tags["mlflow.runName"] = name
        if let parent = new.parentRunID { tags["mlflow.parentRunId"] = parent }
        do {
            _ = try c.query(
                """
                INSERT INTO steward.runs (id, experiment_id, name, status, user_id, start_time, artifact_uri,
                    dataset_id, parent_run_id)
                VALUES (\(id), \(new.experimentID), \(name), \(new.status.rawValue), \(new.userID),
                    \(new.startTime ?? nowMillis()), \("mlflow-artifacts:/\(new.experimentID)/\(id)/artifacts"),
                        \(new.datasetID), \(new.parentRunID))
                """)
        } catch let error as PostgresError where error.isForeignKeyViolation {
            throw RegistryError.notFound("the parent run or dataset does not exist")
        }
        try upsertTags(c, runID: id, tags)
        return id
    }

    private static let runColumns = """
        id, experiment_id, name, status, lifecycle_stage, user_id, start_time, end_time, artifact_uri,
        dataset_id, parent_run_id, job_name, failure_reason
        """

    private func runInfo(from row: PostgresRow) throws -> Run {
        Run(
            id: try row.get("id"), experimentID: try row.get("experiment_id"), name: try row.get("name"),
            status: RunStatus(rawValue: try row.get("status")) ?? .failed,
            lifecycleStage: try row.get("lifecycle_stage"),
            userID: try row.get("user_id"), startTime: try row.get("start_time"), endTime: try row.get("end_time"),
            artifactURI: try row.get("artifact_uri"), datasetID: try row.get("dataset_id"),
            parentRunID: try row.get("parent_run_id"), jobName: try row.get("job_name"),
            failureReason: try row.get("failure_reason"))
    }

    func run(id: String) throws -> Run {
        guard let run = try runs(ids: [id]).first else { throw RegistryError.notFound("Run with id=\(id) not found") }
        return run
    }

    /// Runs with their params, tags, latest metrics and inputs, in the order of `ids`.
    func runs(ids: [String]) throws -> [Run] {
        try pool.withConnection { try runs($0, ids: ids) }
    }

    private func runs(_ c: PostgresConnection, ids: [String]) throws -> [Run] {
        guard !ids.isEmpty else { return [] }
        var byID: [String: Run] = [:]
        for row in try c.query(
            "SELECT \(raw: Self.runColumns) FROM steward.runs WHERE id = ANY(\(ids))", prepared: true)
        {
            let run = try runInfo(from: row)
            byID[run.id] = run
        }
        for row in try c.query(
            "SELECT run_id, key, value FROM steward.run_params WHERE run_id = ANY(\(ids))", prepared: true)
        {
            byID[try row.get("run_id")]?.params[try row.get("key")] = try row.get("value")
        }
        for row in try c.query(
            "SELECT run_id, key, value FROM steward.run_tags WHERE run_id = ANY(\(ids))", prepared: true)
        {
            byID[try row.get("run_id")]?.tags[try row.get("key")] = try row.get("value")
        }
        for row in try c.query(
            """
            SELECT run_id, key, value, step, timestamp FROM steward.latest_metrics WHERE run_id = ANY(\(ids)) ORDER
                BY key
            """,
            prepared: true)
        {
            byID[try row.get("run_id")]?.metrics.append(
                MetricPoint(
                    key: try row.get("key"), value: try row.get("value"),
                    timestamp: try row.get("timestamp"), step: try row.get("step")))
        }
        for row in try c.query(
            """
            SELECT run_id, name, digest, source_type, source, schema, profile, tags::text AS tags
            FROM steward.run_inputs WHERE run_id = ANY(\(ids)) ORDER BY name
            """, prepared: true)
        {
            byID[try row.get("run_id")]?.inputs.append(
                DatasetInput(
                    name: try row.get("name"), digest: try row.get("digest"), sourceType: try row.get("source_type"),
                    source: try row.get("source"), schema: try row.get("schema"), profile: try row.get("profile"),
                    tags: try JSONCoding.dictionary(try row.get("tags"))))
        }
        return ids.compactMap { byID[$0] }
    }

    /// Locks an active run for writing; refuses unknown or deleted runs. Writers of
    /// its rows share the lock; one that will also update the run row itself takes the
    /// stronger lock at once (two sharers upgrading would deadlock).
    func lockActiveRun(_ c: PostgresConnection, _ id: String, updatingRun: Bool = false) throws {
        let sql: SQL =
            """
            SELECT lifecycle_stage FROM steward.runs WHERE id = \(id) FOR
                \(raw: updatingRun ? "NO KEY UPDATE" : "SHARE")
            """
        guard let row = try c.query(sql, prepared: true).first else {
            throw RegistryError.notFound("Run with id=\(id) not found")
        }
        guard try row.get("lifecycle_stage", as: String.self) == "active" else {
            throw RegistryError.invalid("The run \(id) must be in the 'active' state. Current state is deleted.")
        }
    }

    /// MLflow's update-run: the run must be active.
    func updateRun(_ c: PostgresConnection, id: String, status: RunStatus?, endTime: Int64?, name: String?) throws {
        try Limits.checkLength(name, "run_name", limit: Limits.runNameLength)
        try lockActiveRun(c, id, updatingRun: true)
        try setStatus(c, id: id, status: status, endTime: endTime, name: name.flatMap { $0.isEmpty ? nil : $0 })
        if let name, !name.isEmpty { try upsertTags(c, runID: id, ["mlflow.runName": name]) }
    }

    /// The one writer of a run's status, for the tracking API and the run controller
    /// alike; nil fields are left as they are. A KILLED run stays KILLED: a training
    /// process finishing after its cancel cannot revive it. A run that ends without
    /// an end time keeps the one it has, or gets now.
    func setStatus(
        _ c: PostgresConnection, id: String, status: RunStatus?, endTime: Int64? = nil, name: String? = nil,
        failureReason: String? = nil, jobName: String? = nil
    ) throws {
        let endedNow = status?.isTerminal == true ? nowMillis() : nil
        _ = try c.query(
            """
            UPDATE steward.runs SET status = CASE WHEN status = 'KILLED' THEN status ELSE COALESCE(\(status?.rawValue),
                status) END,
                   end_time = COALESCE(\(endTime), end_time, \(endedNow)), name = COALESCE(\(name), name),
                   failure_reason = COALESCE(\(failureReason), failure_reason), job_name = COALESCE(\(jobName),
                       job_name), updated_at = now()
            WHERE id = \(id)
            """)
    }

    func setRunStage(_ c: PostgresConnection, id: String, stage: String) throws {
        let rows = try c.query(
            "UPDATE steward.runs SET lifecycle_stage = \(stage), updated_at = now() WHERE id = \(id)")
        guard rows.affectedRows == 1 else { throw RegistryError.notFound("Run with id=\(id) not found") }
    }

    // MARK: Params, tags, metrics, inputs

    /// Writes a batch the way MLflow's log-batch does: all or nothing.
    func logBatch(
        _ c: PostgresConnection, runID: String, metrics: [MetricPoint], params: [String: String],
        tags: [String: String]
    ) throws {
        if metrics.count > Limits.batchMetrics {
            throw RegistryError.invalid(
                "A batch logging request can contain at most \(Limits.batchMetrics) metrics. Got \(metrics.count) "
                    + "metrics. "
                    + "Please split up metrics across multiple requests and try again.")
        }
        if params.count > Limits.batchParams {
            throw RegistryError.invalid(
                "A batch logging request can contain at most \(Limits.batchParams) params. Got \(params.count) params.")
        }
        if tags.count > Limits.batchTags {
            throw RegistryError.invalid(
                "A batch logging request can contain at most \(Limits.batchTags) tags. Got \(tags.count) tags.")
        }
        if metrics.count + params.count + tags.count > Limits.batchTotal {
            throw RegistryError.invalid(
                "A batch logging request can contain at most \(Limits.batchTotal) entries in total.")
        }
        for metric in metrics { try Limits.checkKey(metric.key, "metric") }
        for (key, value) in params {
            try Limits.checkKey(key, "param")
            if value.unicodeScalars.count > Limits.paramValueLength {
                throw RegistryError.invalid(
                    "Param value for '\(key)' had length \(value.unicodeScalars.count), which exceeded length limit "
                        + "of \(Limits.paramValueLength)"
                )
            }
        }
        for (key, value) in tags {
            try Limits.checkKey(key, "tag")
            if value.unicodeScalars.count > Limits.tagValueLength {
                throw RegistryError.invalid("Tag value for '\(key)' exceeded length limit of \(Limits.tagValueLength)")
            }
        }
        // Rows are written in key order, so concurrent batches on one run lock them in the same order.
        try lockActiveRun(c, runID, updatingRun: tags["mlflow.runName"] != nil)
        if !params.isEmpty { try insertParams(c, runID: runID, params) }
        if !tags.isEmpty { try upsertTags(c, runID: runID, tags) }
        if !metrics.isEmpty { try insertMetrics(c, runID: runID, metrics) }
    }

    private func insertParams(_ c: PostgresConnection, runID: String, _ params: [String: String]) throws {
        let keys = params.keys.sorted(), values = keys.map { params[$0]! }
        // A param is written once; the same value again is fine, a different one is refused.
        let clashes = try c.query(
            """
            INSERT INTO steward.run_params (run_id, key, value) SELECT \(runID), k, v FROM unnest(\(keys)::text[],
                \(values)::text[]) AS t(k, v)
            ON CONFLICT (run_id, key) DO UPDATE SET value = steward.run_params.value
            RETURNING key, value
            """)
        for row in clashes {
            let key: String = try row.get("key"), value: String = try row.get("value")
            if value != params[key] {
                throw RegistryError.invalid(
                    "Changing param values is not allowed. Param with key='\(key)' was already logged with "
                        + "value='\(value)' for run ID='\(runID)'. Attempted logging new value '\(params[key]!)'."
                )
            }
        }
    }

    func upsertTags(_ c: PostgresConnection, runID: String, _ tags: [String: String]) throws {
        guard !tags.isEmpty else { return }
        let keys = tags.keys.sorted()
        _ = try c.query(
            """
            INSERT INTO steward.run_tags (run_id, key, value) SELECT \(runID), k, v FROM unnest(\(keys)::text[],
                \(keys.map { tags[$0]! })::text[]) AS t(k, v)
            ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value
            """)
        if let name = tags["mlflow.runName"] {
            _ = try c.query("UPDATE steward.runs SET name = \(name) WHERE id = \(runID)")
        }
    }

    func deleteTag(_ c: PostgresConnection, runID: String, key: String) throws {
        try lockActiveRun(c, runID)
        let rows = try c.query("DELETE FROM steward.run_tags WHERE run_id = \(runID) AND key = \(key)")
        guard rows.affectedRows == 1 else {
            throw RegistryError.notFound("No tag with name: \(key) in run with id \(runID)")
        }
    }

    private func insertMetrics(_ c: PostgresConnection, runID: String, _ metrics: [MetricPoint]) throws {
        // Each key's latest point of this batch goes to the latest-value table, which keeps
        // whichever of it and the stored one is later, whatever order batches arrive in.
        var latest: [String: MetricPoint] = [:]
        for point in metrics where latest[point.key].map({ Self.isLater(point, than: $0) }) ?? true {
            latest[point.key] = point
        }
        let last = latest.keys.sorted().map { latest[$0]! }
        _ = try c.query(
            """
            WITH history AS (
                INSERT INTO steward.metrics (run_id, key, value, step, timestamp)
                SELECT \(runID), k, v, s, t FROM unnest(\(metrics.map(\.key))::text[],
                    \(metrics.map(\.value))::float8[], \(metrics.map(\.step))::int8[],
                        \(metrics.map(\.timestamp))::int8[]) AS b(k, v, s, t)
            )
            INSERT INTO steward.latest_metrics AS l (run_id, key, value, step, timestamp)
            SELECT \(runID), k, v, s, t FROM unnest(\(last.map(\.key))::text[], \(last.map(\.value))::float8[],
                \(last.map(\.step))::int8[], \(last.map(\.timestamp))::int8[]) AS b(k, v, s, t)
            ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step, timestamp =
                excluded.timestamp
            WHERE (excluded.step, excluded.timestamp, excluded.value) > (l.step, l.timestamp, l.value)
            """, prepared: true)
    }

    /// MLflow's order for a key's latest value: higher step, then later timestamp, then
    /// larger value, with NaN above every number as PostgreSQL orders float8.
    private static func isLater(_ a: MetricPoint, than b: MetricPoint) -> Bool {
        if a.step != b.step { return a.step > b.step }
        if a.timestamp != b.timestamp { return a.timestamp > b.timestamp }
        if a.value.isNaN || b.value.isNaN { return !b.value.isNaN }
        return a.value > b.value
    }

    func logInputs(_ c: PostgresConnection, runID: String, _ inputs: [DatasetInput]) throws {
        try lockActiveRun(c, runID)
        for input in inputs {
            _ = try c.query(
                """
                INSERT INTO steward.run_inputs (run_id, name, digest, source_type, source, schema, profile, tags)
                VALUES (\(runID), \(input.name), \(input.digest), \(input.sourceType), \(input.source),
                    \(input.schema), \(input.profile), \(try JSONCoding.text(input.tags))::jsonb)
                ON CONFLICT (run_id, name, digest) DO UPDATE SET tags = steward.run_inputs.tags || excluded.tags
                """)
        }
    }

    func metricHistory(runID: String, key: String, limit: Int, pageToken: String?) throws -> Page<MetricPoint> {
        let offset = try PageToken.decode(pageToken)
        return try pool.withConnection { c in
            guard try c.query("SELECT 1 FROM steward.runs WHERE id = \(runID)", prepared: true).count == 1 else {
                throw RegistryError.notFound("Run with id=\(runID) not found")
            }
            let rows = try c.query(
                """
                SELECT value, step, timestamp FROM steward.metrics WHERE run_id = \(runID) AND key = \(key)
                ORDER BY step, timestamp, id LIMIT \(limit) OFFSET \(offset)
                """, prepared: true)
            let items = try rows.map { row in
                MetricPoint(
                    key: key, value: try row.get("value"), timestamp: try row.get("timestamp"),
                    step: try row.get("step"))
            }
            return Page(
                items: items, nextPageToken: PageToken.next(offset: offset, returned: items.count, limit: limit))
        }
    }

    /// MLflow's sampled history over several runs (`get-history-bulk-interval`, what its UI
    /// charts), as MLflow 3's SQL store samples it: each run's points for `key` (in [start, end]
    /// when given), ordered by step, time and value, cut into `maxResults` NTILE buckets; the
    /// first point of each bucket, and the run's last point in place of the last sample when it
    /// is not one already. A run's rows are numbered in Postgres and only the samples come back.
    func metricHistoryBulkInterval(
        runIDs: [String], key: String, steps range: ClosedRange<Int64>?, maxResults: Int
    ) throws -> [(runID: String, point: MetricPoint)] {
        try pool.withConnection { c in
            let known: [String] = try c.query("SELECT id FROM steward.runs WHERE id = ANY(\(runIDs))").map {
                try $0.get("id")
            }
            if let missing = runIDs.first(where: { !known.contains($0) }) {
                throw RegistryError.notFound("Run with id=\(missing) not found")
            }
            // NTILE(m) over n rows: the first n % m buckets hold q + 1 = n / m + 1 rows, the rest q.
            let rows = try c.query(
                """
                WITH numbered AS (
                    SELECT run_id, value, timestamp, step,
                           row_number() OVER (PARTITION BY run_id ORDER BY step, timestamp, value) - 1 AS i,
                           count(*) OVER (PARTITION BY run_id) AS n
                    FROM steward.metrics
                    WHERE run_id = ANY(\(runIDs)) AND key = \(key)
                      AND step BETWEEN COALESCE(\(range?.lowerBound)::bigint, -9223372036854775808)
                                   AND COALESCE(\(range?.upperBound)::bigint, 9223372036854775807)),
                buckets AS (
                    SELECT *, n / \(maxResults) AS q, n % \(maxResults) AS r FROM numbered)
                SELECT run_id, value, timestamp, step, i = n - 1 AS last,
                       n <= \(maxResults) OR CASE WHEN i < r * (q + 1) THEN i % (q + 1) = 0
                                                  ELSE (i - r * (q + 1)) % q = 0 END AS bucket_start
                FROM buckets
                WHERE n <= \(maxResults) OR i = n - 1
                   OR CASE WHEN i < r * (q + 1) THEN i % (q + 1) = 0 ELSE (i - r * (q + 1)) % q = 0 END
                ORDER BY array_position(\(runIDs), run_id), i
                """)
            var byRun: [String: [MetricPoint]] = [:]
            for row in rows {
                let point = MetricPoint(
                    key: key, value: try row.get("value"), timestamp: try row.get("timestamp"),
                    step: try row.get("step"))
                let run: String = try row.get("run_id")
                let isBucketStart: Bool = try row.get("bucket_start")
                if !isBucketStart, try row.get("last"), byRun[run, default: []].count >= maxResults {
                    byRun[run]![maxResults - 1] = point  // the end boundary replaces the last sample
                } else {
                    byRun[run, default: []].append(point)
                }
            }
            return runIDs.flatMap { run in (byRun[run] ?? []).map { (run, $0) } }
        }
    }

    // MARK: Search

    func searchRuns(
        experimentIDs: [Int64], filter: String, viewType: String, orderBy: [String], limit: Int,
        pageToken: String?
    ) throws -> Page<Run> {
        let offset = try PageToken.decode(pageToken)
        let stages = Self.lifecycleStages(viewType: viewType)
        var conditions: [SQL] = ["r.experiment_id = ANY(\(experimentIDs))", "r.lifecycle_stage = ANY(\(stages))"]
        conditions += try RunFilter.parse(filter).map { filter throws(RegistryError) in
            try RunQuery.condition(for: filter)
        }
        let matching = SQL.joined(conditions, separator: " AND ")
        let ordering = try RunQuery.ordering(orderBy)
        return try pool.withConnection { c in
            // Not prepared: after five runs PostgreSQL may keep a generic plan, blind to the values
            // (`params.optimizer = 'adamw'` matches a third of the runs, a tag value a hundred), and
            // bench/scale caught one joining every matching param instead of walking the metric's
            // index (119 ms at 100k runs). Planning each search with its values costs ~1 ms.
            var ids: [String]
            if let metric = ordering.leadingMetric {
                // The runs that have the metric, walked in its index's order (the cost is the page,
                // not the experiment); then, once they run out, the runs without it.
                let having: SQL = """
                    FROM steward.latest_metrics o JOIN steward.runs r ON r.id = o.run_id
                    WHERE o.key = \(metric.key) AND \(matching)
                    """
                ids = try c.query(
                    """
                    SELECT r.id \(having) ORDER BY o.value \(metric.direction), \(ordering.rest)
                    LIMIT \(limit) OFFSET \(offset)
                    """
                ).map { try $0.get("id") }
                if ids.count < limit {
                    var before = offset + ids.count
                    if ids.isEmpty && offset > 0 {
                        before = try c.query("SELECT count(*) AS n \(having)")[0].get("n")
                    }
                    ids += try c.query(
                        """
                        SELECT r.id FROM steward.runs r WHERE \(matching) AND NOT EXISTS (
                            SELECT 1 FROM steward.latest_metrics o WHERE o.run_id = r.id AND o.key = \(metric.key))
                        ORDER BY \(ordering.rest) LIMIT \(limit - ids.count) OFFSET \(max(0, offset - before))
                        """
                    ).map { try $0.get("id") }
                }
            } else {
                ids = try c.query(
                    """
                    SELECT r.id FROM steward.runs r WHERE \(matching) ORDER BY \(ordering.rest)
                    LIMIT \(limit) OFFSET \(offset)
                    """
                ).map { try $0.get("id") }
            }
            return Page(
                items: try runs(c, ids: ids),
                nextPageToken: PageToken.next(offset: offset, returned: ids.count, limit: limit))
        }
    }
}

/// Small JSON helpers for jsonb columns.
enum JSONCoding {
    static func text(_ dictionary: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys]), as: UTF8.self)
    }

    static func dictionary(_ text: String) throws -> [String: String] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return object.compactMapValues { $0 as? String }
    }
}

/// MLflow-style generated run names ("bold-heron-42").
enum RunNames {
    private static let adjectives = [
        "bold", "calm", "eager", "keen", "quiet", "swift", "brave", "bright", "gentle", "steady"
    ]
    private static let nouns = ["heron", "otter", "lynx", "falcon", "badger", "marten", "ibis", "wren", "fox", "seal"]

    static func make() -> String {
        "\(adjectives.randomElement()!)-\(nouns.randomElement()!)-\(Int.random(in: 0..<1000))"
    }
}
