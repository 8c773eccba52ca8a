import Foundation
import HTTPKit
import Postgres
import Registry

/// Runs submitted through Steward, cancel, events, logs, promotion policies and
/// decisions, and the daemon's status, under `/api/v1`.
public struct OrchestratorAPI: Sendable {
    let registry: RegistryService
    let controller: RunController
    let leadership: Leadership
    let executor: any Executor
    let replica: String
    let runs: RunStore

    public init(registry: RegistryService, controller: RunController, leadership: Leadership, executor: any Executor, replica: String) {
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
    }

    struct Submit: Decodable {
        let model: String
        let dataset: String
        let baseModel: String?
        let params: [String: JSONValue]?
        let warmStartVersion: Int?
        let extraDataURI: String?
        let reason: String?
        enum CodingKeys: String, CodingKey {
            case model, dataset, params, reason
            case baseModel = "base_model", warmStartVersion = "warm_start_version", extraDataURI = "extra_data_uri"
        }
    }

    struct Submitted: Encodable { let runID: String; let status: String
        enum CodingKeys: String, CodingKey { case status, runID = "run_id" } }

    /// `{"model": "sentiment", "dataset": "rotten-tomatoes@1", "base_model": "tiny", "params": {...}}` -> a QUEUED run.
    func submit(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(Submit.self)
        let dataset = try registry.dataset(reference: body.dataset)
        let baseModel = body.baseModel ?? "tiny"
        guard !baseModel.isEmpty, !baseModel.contains("\0") else { throw HTTPError.badRequest("base_model must not be empty", code: "invalid_argument") }
        let params = try JSONValue.object(body.params ?? [:]).text()
        let submission = RunSubmission(model: body.model, datasetID: dataset.id, datasetLabel: body.dataset, baseModel: baseModel,
                                       paramsJSON: params, warmStartVersion: body.warmStartVersion, extraDataURI: body.extraDataURI,
                                       reason: body.reason ?? "manual", submittedBy: principal.name)
        let runID = try registry.write(request, principal: principal, action: "run.submit", target: "model:\(body.model)") { c -> String in
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
        let outcome = try registry.write(request, principal: principal, action: "run.cancel", target: "run:\(id)") { c -> String in
            guard let current = try registry.lockRunStatus(c, id: id) else { throw RegistryError.notFound("Run with id=\(id) not found") }
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
        let stored = try registry.write(request, principal: principal, action: "policy.set", target: "model:\(name)") { c in
            try registry.setPolicy(c, modelName: name, policy: body.policy)
        }
        return .json(["model": name, "policy": stored ?? ""])
    }

    struct Decision: Encodable {
        let model: String, version: Int, policy: String, passed: Bool, inputs: JSONValue, clauses: JSONValue, decidedAt: Date
        enum CodingKeys: String, CodingKey { case model, version, policy, passed, inputs, clauses, decidedAt = "decided_at" }
    }

    func decision(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        guard let version = VersionNumber.parse(try request.parameter("version")) else {
            throw HTTPError.badRequest(VersionNumber.invalidMessage, code: "invalid_argument")
        }
        let model = try registry.model(named: name)
        guard let row = try registry.pool.query("""
            SELECT policy, inputs::text AS inputs, passed, clauses::text AS clauses, decided_at FROM steward.promotion_decisions
            WHERE model_id = \(model.id) AND version = \(version)
            """).first else {
            throw HTTPError.notFound("no promotion decision for \(name) version \(version)")
        }
        return .json(Decision(model: name, version: version, policy: try row.get("policy"), passed: try row.get("passed"),
                              inputs: try JSON.decode(JSONValue.self, from: Data(try row.get("inputs", as: String.self).utf8)),
                              clauses: try JSON.decode(JSONValue.self, from: Data(try row.get("clauses", as: String.self).utf8)),
                              decidedAt: try row.get("decided_at")))
    }

    struct Status: Encodable { let replica: String, leader: Bool, executor: String, runs: [String: Int] }

    func status(_ request: Request, _ principal: Principal) throws -> Response {
        .json(Status(replica: replica, leader: leadership.isLeader, executor: executor.kind, runs: try registry.runCounts()))
    }
}

/// Free-form JSON (training parameters) decoded and re-encoded as it came.
enum JSONValue: Codable, Sendable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    func text() throws -> String { try JSON.text(self) }
}
