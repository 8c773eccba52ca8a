import Foundation
import Postgres
import Registry

/// Steward's own record of the training runs it submits: `run_specs` (what to train,
/// with which executor, why) and `run_events` (each status change, with its
/// reason). The run itself (`steward.runs`) is the registry's: its status is
/// written through `RegistryService.setRunStatus`, never here. Reads may join the
/// registry's tables; writes touch only these two.
struct RunStore: Sendable {
    let pool: PostgresPool

    /// A run not settled yet, with everything its job needs.
    struct Spec: Sendable {
        let runID: String
        let status: RunStatus
        let modelName: String
        let datasetURI: String
        let datasetName: String
        let datasetVersion: String
        let baseModel: String
        let params: String
        let warmStartVersion: Int?
        let jobName: String?
    }

    struct Event: Encodable, Sendable {
        let at: Date
        let fromStatus: String?
        let toStatus: String
        let reason: String
        enum CodingKeys: String, CodingKey { case at, reason, fromStatus = "from_status", toStatus = "to_status" }
    }

    /// What a retrain of a Production version starts from: its training dataset,
    /// base model and parameters.
    struct TrainingSource: Sendable {
        let model: String
        let version: Int
        let datasetID: Int64
        let datasetLabel: String
        let baseModel: String
        let params: String
    }

    func unsettled() throws -> [Spec] {
        try pool.query(
            """
            SELECT r.id, r.status, r.job_name, m.name AS model, d.uri, d.name AS dataset, d.version AS dataset_version,
                   s.base_model, s.params::text AS params, s.warm_start_version
            FROM steward.run_specs s JOIN steward.runs r ON r.id = s.run_id
            JOIN steward.registered_models m ON m.id = s.model_id JOIN steward.datasets d ON d.id = s.dataset_id
            WHERE s.finished_at IS NULL ORDER BY r.start_time, r.id
            """
        ).map { row in
            Spec(
                runID: try row.get("id"), status: RunStatus(rawValue: try row.get("status")) ?? .failed,
                modelName: try row.get("model"),
                datasetURI: try row.get("uri"), datasetName: try row.get("dataset"),
                datasetVersion: try row.get("dataset_version"),
                baseModel: try row.get("base_model"), params: try row.get("params"),
                warmStartVersion: try row.get("warm_start_version"), jobName: try row.get("job_name"))
        }
    }

    /// The spec of a run just created (QUEUED), with its first event.
    func insert(
        _ c: PostgresConnection, runID: String, modelID: Int64, _ submission: RunSubmission, executor: String
    ) throws {
        _ = try c.query(
            """
            INSERT INTO steward.run_specs (run_id, model_id, dataset_id, base_model, params, warm_start_version,
                executor, reason)
            VALUES (\(runID), \(modelID), \(submission.datasetID), \(submission.baseModel),
                \(submission.paramsJSON)::jsonb, \(submission.warmStartVersion), \(executor), \(submission.reason))
            """)
        try recordEvent(
            c, runID: runID, from: nil, to: .queued,
            reason: "submitted by \(submission.submittedBy): \(submission.reason)")
    }

    func markSubmitted(_ c: PostgresConnection, runID: String) throws {
        _ = try c.query(
            "UPDATE steward.run_specs SET submitted_at = now(), attempts = attempts + 1 WHERE run_id = \(runID)")
    }

    /// The run ended: the controller stops following it.
    func settle(_ c: PostgresConnection, runID: String) throws {
        _ = try c.query("UPDATE steward.run_specs SET finished_at = now() WHERE run_id = \(runID)")
    }

    func recordEvent(_ c: PostgresConnection, runID: String, from: String?, to: RunStatus, reason: String) throws {
        _ = try c.query(
            """
            INSERT INTO steward.run_events (run_id, from_status, to_status, reason) VALUES (\(runID), \(from),
                \(to.rawValue), \(reason))
            """
        )
    }

    /// The status the last event recorded (nil before the first).
    func lastRecordedStatus(_ c: PostgresConnection, runID: String) throws -> String? {
        try c.query("SELECT to_status FROM steward.run_events WHERE run_id = \(runID) ORDER BY id DESC LIMIT 1").first?
            .get("to_status")
    }

    func events(runID: String) throws -> [Event] {
        try pool.query(
            "SELECT at, from_status, to_status, reason FROM steward.run_events WHERE run_id = \(runID) ORDER BY id"
        ).map {
            Event(
                at: try $0.get("at"), fromStatus: try $0.get("from_status"), toStatus: try $0.get("to_status"),
                reason: try $0.get("reason"))
        }
    }

    /// Whether the model has a run queued or in flight.
    func hasOpenRun(_ c: PostgresConnection, modelID: Int64) throws -> Bool {
        try c.query(
            """
            SELECT 1 FROM steward.run_specs s JOIN steward.runs r ON r.id = s.run_id
            WHERE s.model_id = \(modelID) AND r.status IN ('QUEUED', 'SUBMITTED', 'SCHEDULED', 'RUNNING') LIMIT 1
            """
        ).count > 0
    }

    /// When the model's last retrain for drift was queued.
    func lastDriftRetrain(_ c: PostgresConnection, modelID: Int64) throws -> Date? {
        try c.query(
            "SELECT max(created_at) AS at FROM steward.run_specs WHERE model_id = \(modelID) AND reason LIKE 'drift%'"
        ).first?.get("at")
    }

    /// Every Production version with what it was trained from (a version logged
    /// outside Steward trains on the "tiny" base with no parameters).
    func productionTrainingSources() throws -> [TrainingSource] {
        try pool.query(
            """
            SELECT m.name, v.version, r.dataset_id, d.name AS dataset, d.version AS dataset_version,
                   COALESCE(s.base_model, 'tiny') AS base_model, COALESCE(s.params::text, '{}') AS params
            FROM steward.model_versions v JOIN steward.registered_models m ON m.id = v.model_id
            JOIN steward.runs r ON r.id = v.run_id JOIN steward.datasets d ON d.id = r.dataset_id
            LEFT JOIN steward.run_specs s ON s.run_id = r.id
            WHERE v.stage = 'Production'
            """
        ).map { row in
            TrainingSource(
                model: try row.get("name"), version: try row.get("version"), datasetID: try row.get("dataset_id"),
                datasetLabel:
                    "\(try row.get("dataset", as: String.self))@\(try row.get("dataset_version", as: String.self))",
                baseModel: try row.get("base_model"), params: try row.get("params"))
        }
    }
}
