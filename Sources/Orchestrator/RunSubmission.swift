import Foundation
import Postgres
import Registry

/// What it takes to queue a training run; shared by the API and the drift retrainer.
struct RunSubmission {
    var model: String
    var datasetID: Int64
    var datasetLabel: String
    var baseModel: String
    var paramsJSON: String
    var warmStartVersion: Int?
    var extraDataURI: String?
    var reason: String
    var submittedBy: String

    /// A QUEUED run with its spec and first event, inside the caller's transaction.
    func queue(_ c: PostgresConnection, registry: RegistryService, executorKind: String) throws -> String {
        let modelID = try registry.modelID(c, name: model)
        let id = try registry.createQueuedRun(c, modelName: model, datasetID: datasetID, user: submittedBy,
                                              tags: ["steward.model_name": model, "steward.dataset": datasetLabel, "steward.reason": reason])
        _ = try c.query("""
            INSERT INTO steward.run_specs (run_id, model_id, dataset_id, base_model, params, warm_start_version, extra_data_uri, executor, reason)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)
            """, [id, modelID, datasetID, baseModel, paramsJSON, warmStartVersion, extraDataURI, executorKind, reason])
        _ = try c.query("INSERT INTO steward.run_events (run_id, from_status, to_status, reason) VALUES ($1, NULL, 'QUEUED', $2)",
                        [id, "submitted by \(submittedBy): \(reason)"])
        return id
    }
}
