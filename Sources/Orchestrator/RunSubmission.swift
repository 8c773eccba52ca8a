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
    var reason: String
    var submittedBy: String

    /// A QUEUED run with its spec and first event, inside the caller's transaction.
    func queue(_ c: PostgresConnection, registry: RegistryService, executorKind: String) throws -> String {
        let modelID = try registry.modelID(c, name: model)
        let id = try registry.createQueuedRun(
            c, modelName: model, datasetID: datasetID, user: submittedBy,
            tags: ["steward.model_name": model, "steward.dataset": datasetLabel, "steward.reason": reason])
        try RunStore(pool: registry.pool).insert(c, runID: id, modelID: modelID, self, executor: executorKind)
        return id
    }
}
