import Foundation
import HTTPKit
import Postgres

/// MLflow's REST protocol over the registry's stores, as the stock `mlflow`
/// client uses it (see docs/mlflow-protocol.md for the endpoints served).
struct MLflowAPI {
    let registry: RegistryService
    var tracking: TrackingStore { registry.tracking }
    var models: ModelStore { registry.models }

    static let prefix = "/api/2.0/mlflow"

    func install(on router: inout Router, maxUploadBytes: Int) {
        router.formatErrors(under: "/api/2.0/mlflow-artifacts", with: Self.format)
        router.formatErrors(under: "/api/3.0/mlflow", with: Self.format)

        // Experiments
        router.add(mlflow, .POST, "/experiments/create", .operator, createExperiment)
        router.add(mlflow, .GET, "/experiments/get", .viewer, getExperiment)
        router.add(mlflow, .GET, "/experiments/get-by-name", .viewer, getExperimentByName)
        router.add(mlflow, .POST, "/experiments/search", .viewer, searchExperiments)
        router.add(mlflow, .GET, "/experiments/search", .viewer, searchExperiments)
        router.add(mlflow, .POST, "/experiments/delete", .admin) { try setExperimentStage($0, $1, "deleted") }
        router.add(mlflow, .POST, "/experiments/restore", .operator) { try setExperimentStage($0, $1, "active") }
        router.add(mlflow, .POST, "/experiments/update", .operator, updateExperiment)
        router.add(mlflow, .POST, "/experiments/set-experiment-tag", .operator, setExperimentTag)

        // Runs
        router.add(mlflow, .POST, "/runs/create", .operator, createRun)
        router.add(mlflow, .GET, "/runs/get", .viewer, getRun)
        router.add(mlflow, .POST, "/runs/update", .operator, updateRun)
        router.add(mlflow, .POST, "/runs/delete", .admin) { try setRunStage($0, $1, "deleted") }
        router.add(mlflow, .POST, "/runs/restore", .operator) { try setRunStage($0, $1, "active") }
        router.add(mlflow, .POST, "/runs/search", .viewer, searchRuns)
        router.add(mlflow, .POST, "/runs/log-metric", .operator, logMetric)
        router.add(mlflow, .POST, "/runs/log-parameter", .operator, logParameter)
        router.add(mlflow, .POST, "/runs/set-tag", .operator, setTag)
        router.add(mlflow, .POST, "/runs/delete-tag", .operator, deleteTag)
        router.add(mlflow, .POST, "/runs/log-batch", .operator, logBatch)
        router.add(mlflow, .POST, "/runs/log-inputs", .operator, logInputs)
        router.add(mlflow, .POST, "/runs/outputs", .operator) { _, _ in MLflowJSON.response([:]) }
        router.add(mlflow, .GET, "/metrics/get-history", .viewer, metricHistory)
        router.add(mlflow, .GET, "/metrics/get-history-bulk-interval", .viewer, metricHistoryBulkInterval)

        installModels(on: &router)
        installArtifacts(on: &router, maxUploadBytes: maxUploadBytes)
    }

    /// MLflow's tracking and registry routes.
    var mlflow: RouteGroup<Role, Principal> { registry.mlflowGroup(prefix: Self.prefix) }

    /// MLflow's error body: `{"error_code": "...", "message": "..."}`.
    static func format(_ error: HTTPError) -> Response {
        let code: String
        switch error.code {
        case let upper where upper == upper.uppercased(): code = upper
        case "not_found", "method_not_allowed": code = "ENDPOINT_NOT_FOUND"
        case "internal": code = "INTERNAL_ERROR"
        case "unavailable": code = "TEMPORARILY_UNAVAILABLE"
        case "unauthorized": code = "UNAUTHENTICATED"
        case "forbidden": code = "PERMISSION_DENIED"
        default: code = "INVALID_PARAMETER_VALUE"
        }
        var response = MLflowJSON.response(["error_code": code, "message": error.message])
        response.status = error.status
        for (name, value) in error.headers { response.headers.set(name, value) }
        return response
    }

    static func experimentID(_ text: String) throws(HTTPError) -> Int64 {
        guard let id = Int64(text), id >= 0 else {
            throw HTTPError(
                status: 404, code: "RESOURCE_DOES_NOT_EXIST", message: "No Experiment with id=\(text) exists")
        }
        return id
    }

    // MARK: Experiments

    func createExperiment(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let tags = try parameters.keyValues("tags")
        let location = try parameters.string("artifact_location").flatMap { $0.isEmpty ? nil : $0 }
        let id = try registry.write(
            request, principal: principal, action: "experiment.create", target: "experiment:\(name)"
        ) { c in
            try tracking.createExperiment(c, name: name, artifactLocation: location, tags: tags)
        }
        return MLflowJSON.response(["experiment_id": String(id)])
    }

    func getExperiment(_ request: Request, _ principal: Principal) throws -> Response {
        let id = try Self.experimentID(try MLflowParameters(request).requiredString("experiment_id"))
        return MLflowJSON.response(["experiment": MLflowJSON.experiment(try tracking.experiment(id: id))])
    }

    func getExperimentByName(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try MLflowParameters(request).requiredString("experiment_name")
        return MLflowJSON.response(["experiment": MLflowJSON.experiment(try tracking.experiment(named: name))])
    }

    func searchExperiments(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let limit = min(
            Limits.pageItems, try parameters.int("max_results", default: 1000, range: 1...Limits.maxResults))
        let filter = try ModelFilter.parse(try parameters.string("filter") ?? "")
        let page = try tracking.searchExperiments(
            filter: filter, viewType: try parameters.string("view_type") ?? "ACTIVE_ONLY",
            limit: limit, pageToken: try parameters.string("page_token"))
        return MLflowJSON.response(
            MLflowJSON.page("experiments", page.items.map(MLflowJSON.experiment), page.nextPageToken))
    }

    func setExperimentStage(_ request: Request, _ principal: Principal, _ stage: String) throws -> Response {
        let id = try Self.experimentID(try MLflowParameters(request).requiredString("experiment_id"))
        try registry.write(
            request, principal: principal, action: "experiment.\(stage == "deleted" ? "delete" : "restore")",
            target: "experiment:\(id)"
        ) { c in try tracking.setExperimentStage(c, id: id, stage: stage) }
        return MLflowJSON.response([:])
    }

    func updateExperiment(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let id = try Self.experimentID(try parameters.requiredString("experiment_id"))
        let name = try parameters.requiredString("new_name")
        try registry.write(request, principal: principal, action: "experiment.rename", target: "experiment:\(id)") {
            c in
            try tracking.renameExperiment(c, id: id, name: name)
        }
        return MLflowJSON.response([:])
    }

    func setExperimentTag(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let id = try Self.experimentID(try parameters.requiredString("experiment_id"))
        let key = try parameters.requiredString("key")
        let value = try parameters.string("value") ?? ""
        try registry.write(request, principal: principal, action: "experiment.set_tag", target: "experiment:\(id)") {
            c in
            try tracking.setExperimentTag(c, id: id, key: key, value: value)
        }
        return MLflowJSON.response([:])
    }

    // MARK: Runs

    func createRun(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let experiment = try Self.experimentID(try parameters.string("experiment_id") ?? "0")
        var new = TrackingStore.NewRun(experimentID: experiment, name: try parameters.string("run_name"))
        new.userID = try parameters.string("user_id") ?? principal.name
        new.startTime = try parameters.int64("start_time")
        new.tags = try parameters.keyValues("tags")
        new.parentRunID = new.tags["mlflow.parentRunId"]
        let id = try registry.write(
            request, principal: principal, action: "run.create", target: "experiment:\(experiment)"
        ) { c in
            try tracking.createRun(c, new)
        }
        return MLflowJSON.response(["run": MLflowJSON.run(try tracking.run(id: id))])
    }

    func getRun(_ request: Request, _ principal: Principal) throws -> Response {
        let id = try MLflowParameters(request).runID()
        return MLflowJSON.response(["run": MLflowJSON.run(try tracking.run(id: id))])
    }

    func updateRun(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let id = try parameters.runID()
        let status = try parameters.string("status").map { text throws(HTTPError) -> RunStatus in
            guard let status = RunStatus(rawValue: text) else {
                throw MLflowParameters.invalid("Invalid value '\(text)' for parameter 'status'")
            }
            return status
        }
        let endTime = try parameters.int64("end_time")
        let name = try parameters.string("run_name")
        try registry.write(request, principal: principal, action: "run.update", target: "run:\(id)") { c in
            try tracking.updateRun(c, id: id, status: status, endTime: endTime, name: name)
        }
        return MLflowJSON.response(["run_info": MLflowJSON.runInfo(try tracking.run(id: id))])
    }

    func setRunStage(_ request: Request, _ principal: Principal, _ stage: String) throws -> Response {
        let id = try MLflowParameters(request).runID()
        try registry.write(
            request, principal: principal, action: "run.\(stage == "deleted" ? "delete" : "restore")",
            target: "run:\(id)"
        ) { c in
            try tracking.setRunStage(c, id: id, stage: stage)
        }
        return MLflowJSON.response([:])
    }

    func searchRuns(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        var experiments: [Int64] = []
        for text in try parameters.strings("experiment_ids") { experiments.append(try Self.experimentID(text)) }
        let page = try tracking.searchRuns(
            experimentIDs: experiments, filter: try parameters.string("filter") ?? "",
            viewType: try parameters.string("run_view_type") ?? "ACTIVE_ONLY",
            orderBy: try parameters.strings("order_by"),
            limit: min(
                Limits.pageItems, try parameters.int("max_results", default: 1000, range: 1...Limits.maxResults)),
            pageToken: try parameters.string("page_token"))
        return MLflowJSON.response(MLflowJSON.page("runs", page.items.map(MLflowJSON.run), page.nextPageToken))
    }

    static func metricPoint(_ item: MLflowParameters) throws(HTTPError) -> MetricPoint {
        let key = try item.requiredString("key")
        guard let value = try item.double("value") else { throw MLflowParameters.missing("value") }
        return MetricPoint(
            key: key, value: value, timestamp: try item.int64("timestamp") ?? nowMillis(),
            step: try item.int64("step") ?? 0)
    }

    func logMetric(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let id = try parameters.runID()
        let point = try Self.metricPoint(parameters)
        try registry.write(request, principal: principal, action: "run.log_metric", target: "run:\(id)") { c in
            try tracking.logBatch(c, runID: id, metrics: [point], params: [:], tags: [:])
        }
        return MLflowJSON.response([:])
    }

    func logParameter(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let id = try parameters.runID()
        let key = try parameters.requiredString("key")
        guard let value = try parameters.string("value") else { throw MLflowParameters.missing("value") }
        try registry.write(request, principal: principal, action: "run.log_param", target: "run:\(id)") { c in
            try tracking.logBatch(c, runID: id, metrics: [], params: [key: value], tags: [:])
        }
        return MLflowJSON.response([:])
    }

    func setTag(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let id = try parameters.runID()
        let key = try parameters.requiredString("key")
        let value = try parameters.string("value") ?? ""
        try registry.write(request, principal: principal, action: "run.set_tag", target: "run:\(id)") { c in
            try tracking.logBatch(c, runID: id, metrics: [], params: [:], tags: [key: value])
        }
        return MLflowJSON.response([:])
    }

    func deleteTag(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let id = try parameters.runID()
        let key = try parameters.requiredString("key")
        try registry.write(request, principal: principal, action: "run.delete_tag", target: "run:\(id)") { c in
            try tracking.deleteTag(c, runID: id, key: key)
        }
        return MLflowJSON.response([:])
    }

    func logBatch(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try JSON.decode(LogBatchBody.self, from: request.body)
        guard let id = [body.runID, body.runUUID].compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            throw MLflowParameters.missing("run_id")
        }
        let now = nowMillis()
        let metrics = try (body.metrics ?? []).map { item throws(HTTPError) in
            guard let key = item.key, !key.isEmpty else { throw MLflowParameters.missing("key") }
            guard let value = item.value else { throw MLflowParameters.missing("value") }
            return MetricPoint(
                key: key, value: value.value, timestamp: item.timestamp?.value ?? now, step: item.step?.value ?? 0)
        }
        var params: [String: String] = [:]
        for item in body.params ?? [] {
            guard let key = item.key, !key.isEmpty else { throw MLflowParameters.missing("key") }
            guard let value = item.value else { throw MLflowParameters.missing("value") }
            if let earlier = params[key], earlier != value {
                throw MLflowParameters.invalid("Duplicate parameter keys with different values in one batch: '\(key)'")
            }
            params[key] = value
        }
        var tags: [String: String] = [:]
        for item in body.tags ?? [] {
            guard let key = item.key, !key.isEmpty else { throw MLflowParameters.missing("key") }
            tags[key] = item.value ?? ""
        }
        try registry.write(request, principal: principal, action: "run.log_batch", target: "run:\(id)") { c in
            try tracking.logBatch(c, runID: id, metrics: metrics, params: params, tags: tags)
        }
        return MLflowJSON.response([:])
    }

    func logInputs(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let id = try parameters.runID()
        var inputs: [DatasetInput] = []
        for item in try parameters.objects("datasets") {
            guard let dataset = try item.object("dataset") else { throw MLflowParameters.missing("dataset") }
            inputs.append(
                DatasetInput(
                    name: try dataset.requiredString("name"), digest: try dataset.requiredString("digest"),
                    sourceType: try dataset.string("source_type") ?? "", source: try dataset.string("source") ?? "",
                    schema: try dataset.string("schema") ?? "", profile: try dataset.string("profile") ?? "",
                    tags: try item.keyValues("tags")))
        }
        try registry.write(request, principal: principal, action: "run.log_inputs", target: "run:\(id)") { c in
            try tracking.logInputs(c, runID: id, inputs)
        }
        return MLflowJSON.response([:])
    }

    /// `run_ids` (1-100, repeated), `metric_key`, `start_step` and `end_step` (both or
    /// neither), `max_results` (1-2500, default 2500): MLflow's sampled history.
    func metricHistoryBulkInterval(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let runIDs = try parameters.strings("run_ids")
        guard (1...100).contains(runIDs.count) else {
            throw MLflowParameters.invalid(
                "GetMetricHistoryBulkInterval request must specify between 1 and 100 run_ids. Received "
                    + "\(runIDs.count) run_ids.")
        }
        let key = try parameters.requiredString("metric_key")
        let maxResults = try parameters.int("max_results", default: 2500, range: 1...2500)
        let start = try parameters.int64("start_step"), end = try parameters.int64("end_step")
        var steps: ClosedRange<Int64>?
        switch (start, end) {
        case (nil, nil): steps = nil
        case (let start?, let end?):
            guard start <= end else {
                throw MLflowParameters.invalid(
                    "end_step must be greater than start_step. Found start_step=\(start) and end_step=\(end).")
            }
            steps = start...end
        default:
            throw MLflowParameters.invalid("If either start step or end step are specified, both must be specified.")
        }
        let points = try tracking.metricHistoryBulkInterval(
            runIDs: runIDs, key: key, steps: steps, maxResults: maxResults)
        let metrics = points.map { pair -> [String: Any] in
            var metric = MLflowJSON.metric(pair.point)
            metric["run_id"] = pair.runID
            return metric
        }
        return MLflowJSON.response(metrics.isEmpty ? [:] : ["metrics": metrics])
    }

    func metricHistory(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let id = try parameters.runID()
        let key = try parameters.requiredString("metric_key")
        let page = try tracking.metricHistory(
            runID: id, key: key,
            limit: try parameters.int("max_results", default: 25_000, range: 1...25_000),
            pageToken: try parameters.string("page_token"))
        return MLflowJSON.response(MLflowJSON.page("metrics", page.items.map(MLflowJSON.metric), page.nextPageToken))
    }
}
