import Foundation
import HTTPKit
import Postgres
import Registry
import Telemetry

/// Runs submitted through Steward, cancel, events, logs, promotion policies and
/// decisions, and the daemon's status, under `/api/v1`.
public struct OrchestratorAPI: Sendable {
    let registry: RegistryService
    let controller: RunController
    let leadership: Leadership
    let executor: any Executor
    let replica: String
    let runs: RunStore

    public init(
        registry: RegistryService, controller: RunController, leadership: Leadership, executor: any Executor,
        replica: String
    ) {
        self.registry = registry
        self.controller = controller
        self.leadership = leadership
        self.executor = executor
        self.replica = replica
        self.runs = RunStore(pool: registry.pool)
    }

    public func install(on router: inout Router) {
        router.add(registry.api, .POST, "/runs", .operator, submit)
        router.add(registry.api, .POST, "/runs/{id}/cancel", .operator, cancel)
        router.add(registry.api, .GET, "/runs/{id}/events", .viewer, events)
        router.add(registry.api, .GET, "/runs/{id}/logs", .viewer, logs)
        router.add(registry.api, .GET, "/models/{name}/policy", .viewer, getPolicy)
        router.add(registry.api, .PUT, "/models/{name}/policy", .operator, setPolicy)
        router.add(registry.api, .GET, "/models/{name}/versions/{version}/decision", .viewer, decision)
        router.add(registry.api, .GET, "/status", .viewer, status)
        router.add(registry.api, .POST, "/datasets/from-feedback", .operator, datasetFromFeedback)
    }

    struct FromFeedback: Decodable {
        let parent: String
        let model: String
        /// ISO 8601; all of the model's feedback without it.
        let since: String?
    }

    /// `{"parent": "rotten-tomatoes@1", "model": "sentiment", "since": "..."}` -> the parent
    /// plus the model's labelled feedback since then, as the parent's next version (201).
    func datasetFromFeedback(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(FromFeedback.self)
        var since = Date(timeIntervalSince1970: 0)
        if let text = body.since {
            guard let date = Timestamp.parseISO8601(text) else {
                throw HTTPError.badRequest("since must be an ISO 8601 time", code: "invalid_argument")
            }
            since = date
        }
        let parent = try registry.dataset(reference: body.parent)
        do {
            let dataset = try registry.write(
                request, principal: principal, action: "dataset.register", target: "dataset:\(parent.name)",
                retrying: false
            ) { c in
                _ = try registry.modelID(c, name: body.model)
                return try FeedbackDataset(registry: registry).register(
                    c, parent: parent, model: body.model, since: since)
            }
            return .json(DatasetAnswer(dataset), status: 201)
        } catch let rejection as DatasetRejected {
            return rejection.response
        }
    }

    struct Submit: Decodable {
        let model: String
        let dataset: String
        let baseModel: String?
        let params: [String: JSONValue]?
        let warmStartVersion: Int?
        /// No longer taken (refused with a pointer to what replaced it).
        let extraDataURI: String?
        let reason: String?
        enum CodingKeys: String, CodingKey {
            case model, dataset, params, reason
            case baseModel = "base_model", warmStartVersion = "warm_start_version", extraDataURI = "extra_data_uri"
        }
    }

    struct Submitted: Encodable {
        let runID: String
        let status: String
        enum CodingKeys: String, CodingKey { case status, runID = "run_id" }
    }

    /// `{"model": "sentiment", "dataset": "rotten-tomatoes@1", "base_model": "tiny", "params": {...}}` -> a QUEUED run.
    func submit(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(Submit.self)
        let dataset = try registry.dataset(reference: body.dataset)
        let baseModel = body.baseModel ?? "tiny"
        guard !baseModel.isEmpty, !baseModel.contains("\0") else {
            throw HTTPError.badRequest("base_model must not be empty", code: "invalid_argument")
        }
        guard body.extraDataURI == nil else {
            throw HTTPError.badRequest(
                "extra_data_uri is not taken: a run trains on a registered dataset version only; add labelled "
                    + "feedback to one with POST /api/v1/datasets/from-feedback", code: "invalid_argument")
        }
        let params = try JSONValue.object(body.params ?? [:]).text()
        let submission = RunSubmission(
            model: body.model, datasetID: dataset.id, datasetLabel: dataset.label, baseModel: baseModel,
            paramsJSON: params, warmStartVersion: body.warmStartVersion, reason: body.reason ?? "manual",
            submittedBy: principal.name)
        let runID = try registry.write(
            request, principal: principal, action: "run.submit", target: "model:\(body.model)"
        ) { c -> String in
            if let warm = body.warmStartVersion {
                _ = try registry.version(modelName: body.model, version: warm)
            }
            return try submission.queue(c, registry: registry, executorKind: executor.kind)
        }
        controller.nudge()
        return .json(Submitted(runID: runID, status: "QUEUED"), status: 201)
    }

    func cancel(_ request: Request, _ principal: Principal) throws -> Response {
        let id = try request.parameter("id")
        let outcome = try registry.write(request, principal: principal, action: "run.cancel", target: "run:\(id)") {
            c -> String in
            guard let current = try registry.lockRunStatus(c, id: id) else {
                throw RegistryError.notFound("Run with id=\(id) not found")
            }
            guard let status = RunStatus(rawValue: current), !status.isTerminal else {
                throw RegistryError.conflict("run \(id) is already \(current)")
            }
            try registry.setRunStatus(c, id: id, status: .killed, failureReason: "cancelled by \(principal.name)")
            try runs.recordEvent(c, runID: id, from: current, to: .killed, reason: "cancelled by \(principal.name)")
            return current
        }
        controller.nudge()
        return .json(["run_id": id, "status": "KILLED", "previous_status": outcome])
    }

    func events(_ request: Request, _ principal: Principal) throws -> Response {
        let id = try request.parameter("id")
        _ = try registry.run(id: id)
        return .json(["items": try runs.events(runID: id)])
    }

    func logs(_ request: Request, _ principal: Principal) throws -> Response {
        let run = try registry.run(id: try request.parameter("id"))
        let tail = try request.queryInt("tail", default: 100, range: 1...10_000)
        let job = TrainingJob(runID: run.id, modelName: run.tags["steward.model_name"] ?? "", environment: [:])
        return .text(try executor.logs(of: job, tail: tail))
    }

    func getPolicy(_ request: Request, _ principal: Principal) throws -> Response {
        let model = try registry.model(named: try request.parameter("name"))
        return .json(["model": model.name, "policy": model.policy ?? ""])
    }

    struct PolicyBody: Decodable { let policy: String }

    func setPolicy(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        let body = try request.json(PolicyBody.self)
        let stored = try registry.write(request, principal: principal, action: "policy.set", target: "model:\(name)") {
            c in
            try registry.setPolicy(c, modelName: name, policy: body.policy)
        }
        return .json(["model": name, "policy": stored ?? ""])
    }

    func decision(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        guard let version = VersionNumber.parse(try request.parameter("version")) else {
            throw HTTPError.badRequest(VersionNumber.invalidMessage, code: "invalid_argument")
        }
        let model = try registry.model(named: name)
        guard
            let decision = try PromotionDecisions(pool: registry.pool).decision(
                model: name, modelID: model.id, version: version)
        else {
            throw HTTPError.notFound("no promotion decision for \(name) version \(version)")
        }
        return .json(decision)
    }

    struct Status: Encodable { let replica: String, leader: Bool, executor: String, runs: [String: Int] }

    func status(_ request: Request, _ principal: Principal) throws -> Response {
        .json(
            Status(
                replica: replica, leader: leadership.isLeader, executor: executor.kind, runs: try registry.runCounts()))
    }
}
