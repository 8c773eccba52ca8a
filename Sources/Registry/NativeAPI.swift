import Foundation
import HTTPKit
import Postgres

/// Steward's own REST API under `/api/v1`: the same store as the MLflow view,
/// in Steward's shapes and error format (described by `/openapi.json`).
struct NativeAPI {
    let registry: RegistryService
    var tracking: TrackingStore { registry.tracking }
    var models: ModelStore { registry.models }

    func install(on router: inout Router, maxUploadBytes: Int) {
        router.add(registry.api, .GET, "/experiments", .viewer, listExperiments)
        router.add(registry.api, .POST, "/experiments", .operator, createExperiment)
        router.add(registry.api, .GET, "/runs", .viewer, listRuns)
        router.add(registry.api, .GET, "/runs/{id}", .viewer, getRun)
        router.add(registry.api, .GET, "/runs/{id}/metrics/{key}", .viewer, metricHistory)
        router.add(registry.api, .GET, "/models", .viewer, listModels)
        router.add(registry.api, .POST, "/models", .operator, createModel)
        router.add(registry.api, .GET, "/models/{name}", .viewer, getModel)
        router.add(registry.api, .GET, "/models/{name}/versions", .viewer, listVersions)
        router.add(registry.api, .GET, "/models/{name}/versions/{version}", .viewer, getVersion)
        router.add(registry.api, .POST, "/models/{name}/versions/{version}/stage", .operator, transition)
        router.add(registry.api, .GET, "/models/{name}/versions/{version}/files", .viewer, versionFiles)
        router.add(registry.api, .GET, "/models/{name}/aliases/{alias}", .viewer, getAlias)
        router.add(registry.api, .PUT, "/models/{name}/aliases/{alias}", .operator, setAlias)
        router.add(registry.api, .DELETE, "/models/{name}/aliases/{alias}", .operator, deleteAlias)
        installDatasets(on: &router, maxUploadBytes: maxUploadBytes)
        installWebhooks(on: &router)
        router.add(registry.api, .GET, "/audit", .admin, audit)
        router.add(registry.api, .GET, "/tokens", .admin, listTokens)
        router.add(registry.api, .POST, "/tokens", .admin, createToken)
        router.add(registry.api, .DELETE, "/tokens/{name}", .admin, revokeToken)
    }

    // MARK: Shapes

    struct ExperimentBody: Codable {
        let id: String, name: String, artifactLocation: String, lifecycleStage: String, tags: [String: String]
        let creationTime: Int64, lastUpdateTime: Int64
        init(_ e: Experiment) {
            id = String(e.id)
            name = e.name
            artifactLocation = e.artifactLocation
            lifecycleStage = e.lifecycleStage
            tags = e.tags
            creationTime = e.creationTime
            lastUpdateTime = e.lastUpdateTime
        }
        enum CodingKeys: String, CodingKey {
            case id, name, tags
            case artifactLocation = "artifact_location", lifecycleStage = "lifecycle_stage"
            case creationTime = "creation_time", lastUpdateTime = "last_update_time"
        }
    }

    struct MetricBody: Codable, Equatable {
        let key: String, value: Double, step: Int64, timestamp: Int64
        init(_ m: MetricPoint) {
            key = m.key
            value = m.value
            step = m.step
            timestamp = m.timestamp
        }
    }

    struct RunBody: Codable {
        let id: String, experimentID: String, name: String, status: String, lifecycleStage: String, userID: String
        let startTime: Int64, endTime: Int64?, artifactURI: String, datasetID: Int64?, parentRunID: String?
        let jobName: String?, failureReason: String?
        let params: [String: String], tags: [String: String], metrics: [MetricBody]
        init(_ r: Run) {
            id = r.id
            experimentID = String(r.experimentID)
            name = r.name
            status = r.status.rawValue
            lifecycleStage = r.lifecycleStage
            userID = r.userID
            startTime = r.startTime
            endTime = r.endTime
            artifactURI = r.artifactURI
            datasetID = r.datasetID
            parentRunID = r.parentRunID
            jobName = r.jobName
            failureReason = r.failureReason
            params = r.params
            tags = r.tags
            metrics = r.metrics.map(MetricBody.init)
        }
        enum CodingKeys: String, CodingKey {
            case id, name, status, params, tags, metrics
            case experimentID = "experiment_id", lifecycleStage = "lifecycle_stage", userID = "user_id", startTime =
                "start_time"
            case endTime = "end_time", artifactURI = "artifact_uri", datasetID = "dataset_id", parentRunID =
                "parent_run_id"
            case jobName = "job_name", failureReason = "failure_reason"
        }
    }

    struct VersionBody: Codable {
        let model: String, version: Int, stage: String, status: String, source: String, runID: String?,
            description: String
        let artifactSHA256: String?, metrics: [String: Double], aliases: [String], tags: [String: String]
        let creationTime: Int64, lastUpdateTime: Int64
        /// The dataset version its run trained on (name@version), on a single version's answer.
        var dataset: String?
        init(_ v: ModelVersion) {
            model = v.modelName
            version = v.version
            stage = v.stage.rawValue
            status = v.status
            source = v.source
            runID = v.runID
            description = v.description
            artifactSHA256 = v.artifactSHA256
            metrics = v.metrics
            aliases = v.aliases
            tags = v.tags
            creationTime = v.creationTime
            lastUpdateTime = v.lastUpdateTime
        }
        enum CodingKeys: String, CodingKey {
            case model, version, stage, status, source, description, metrics, aliases, tags, dataset
            case runID = "run_id", artifactSHA256 = "artifact_sha256", creationTime = "creation_time", lastUpdateTime =
                "last_update_time"
        }
    }

    struct ModelBody: Codable {
        let id: String, name: String, description: String, tags: [String: String], policy: String?,
            aliases: [String: Int]
        let latestVersions: [VersionBody], creationTime: Int64, lastUpdateTime: Int64
        init(_ m: RegisteredModel) {
            id = String(m.id)
            name = m.name
            description = m.description
            tags = m.tags
            policy = m.policy
            aliases = m.aliases
            latestVersions = m.latestVersions.map(VersionBody.init)
            creationTime = m.creationTime
            lastUpdateTime = m.lastUpdateTime
        }
        enum CodingKeys: String, CodingKey {
            case id, name, description, tags, policy, aliases
            case latestVersions = "latest_versions", creationTime = "creation_time", lastUpdateTime = "last_update_time"
        }
    }

    struct PageBody<Item: Encodable>: Encodable {
        let items: [Item]
        let nextPageToken: String?
        enum CodingKeys: String, CodingKey { case items, nextPageToken = "next_page_token" }
    }

    static func limit(_ request: Request) throws(HTTPError) -> Int {
        try request.queryInt("limit", default: 100, range: 1...1000)
    }

    static func version(_ request: Request) throws(HTTPError) -> Int {
        let text = try request.parameter("version")
        guard let version = VersionNumber.parse(text) else {
            throw .badRequest(VersionNumber.invalidMessage, code: "invalid_argument")
        }
        return version
    }

    // MARK: Experiments and runs

    func listExperiments(_ request: Request, _ principal: Principal) throws -> Response {
        let filter = ModelFilter(
            clauses: request.query["name"].map { [.init(field: "name", comparator: "ILIKE", value: $0)] } ?? [])
        let page = try tracking.searchExperiments(
            filter: filter, viewType: "ACTIVE_ONLY", limit: try Self.limit(request),
            pageToken: request.query["page_token"])
        return .json(PageBody(items: page.items.map(ExperimentBody.init), nextPageToken: page.nextPageToken))
    }

    struct CreateExperiment: Decodable {
        let name: String
        let tags: [String: String]?
    }

    func createExperiment(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(CreateExperiment.self)
        let id = try registry.write(
            request, principal: principal, action: "experiment.create", target: "experiment:\(body.name)"
        ) { c in
            try tracking.createExperiment(c, name: body.name, artifactLocation: nil, tags: body.tags ?? [:])
        }
        return .json(ExperimentBody(try tracking.experiment(id: id)), status: 201)
    }

    func listRuns(_ request: Request, _ principal: Principal) throws -> Response {
        var experiments: [Int64] = []
        if let text = request.query["experiment_id"] {
            guard let id = Int64(text), id >= 0 else {
                throw HTTPError.badRequest("experiment_id must be an integer of 0 or more", code: "invalid_argument")
            }
            experiments = [id]
        } else {
            experiments = try tracking.experimentIDs()
        }
        var orderBy: [String] = []
        if let order = request.query["order_by"] { orderBy = [order] }
        let page = try tracking.searchRuns(
            experimentIDs: experiments, filter: request.query["filter"] ?? "", viewType: "ACTIVE_ONLY",
            orderBy: orderBy, limit: try Self.limit(request), pageToken: request.query["page_token"])
        return .json(PageBody(items: page.items.map(RunBody.init), nextPageToken: page.nextPageToken))
    }

    func getRun(_ request: Request, _ principal: Principal) throws -> Response {
        .json(RunBody(try tracking.run(id: try request.parameter("id"))))
    }

    func metricHistory(_ request: Request, _ principal: Principal) throws -> Response {
        let page = try tracking.metricHistory(
            runID: try request.parameter("id"), key: try request.parameter("key"),
            limit: try request.queryInt("limit", default: 1000, range: 1...25_000),
            pageToken: request.query["page_token"])
        return .json(PageBody(items: page.items.map(MetricBody.init), nextPageToken: page.nextPageToken))
    }

    // MARK: Models

    func listModels(_ request: Request, _ principal: Principal) throws -> Response {
        var filter = ModelFilter(clauses: [])
        if let name = request.query["name"] {
            filter = ModelFilter(clauses: [.init(field: "name", comparator: "ILIKE", value: name)])
        }
        let page = try models.searchModels(
            filter: filter, limit: try Self.limit(request), pageToken: request.query["page_token"])
        return .json(PageBody(items: page.items.map(ModelBody.init), nextPageToken: page.nextPageToken))
    }

    struct CreateModel: Decodable {
        let name: String
        let description: String?
        let tags: [String: String]?
        let policy: String?
    }

    func createModel(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(CreateModel.self)
        try registry.write(request, principal: principal, action: "model.create", target: "model:\(body.name)") { c in
            _ = try models.createModel(c, name: body.name, description: body.description ?? "", tags: body.tags ?? [:])
            if body.policy != nil { try registry.setPolicy(c, modelName: body.name, policy: body.policy) }
        }
        return .json(ModelBody(try models.model(named: body.name)), status: 201)
    }

    func getModel(_ request: Request, _ principal: Principal) throws -> Response {
        .json(ModelBody(try models.model(named: try request.parameter("name"))))
    }

    func listVersions(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        _ = try models.model(named: name)
        var clauses = [ModelFilter.Clause(field: "name", comparator: "=", value: name)]
        if let stage = request.query["stage"] {
            clauses.append(.init(field: "stage", comparator: "=", value: try Stage(parsing: stage).rawValue))
        }
        let page = try models.searchVersions(
            filter: ModelFilter(clauses: clauses), limit: try Self.limit(request),
            pageToken: request.query["page_token"])
        return .json(PageBody(items: page.items.map(VersionBody.init), nextPageToken: page.nextPageToken))
    }

    func getVersion(_ request: Request, _ principal: Principal) throws -> Response {
        let version = try models.version(modelName: try request.parameter("name"), version: try Self.version(request))
        var body = VersionBody(version)
        body.dataset = try version.runID.flatMap { try registry.datasets.trainedOn(runID: $0)?.label }
        return .json(body)
    }

    struct VersionFiles: Encodable {
        struct File: Encodable { let path: String, sha256: String, size: Int64, url: String }
        let model: String, version: Int, artifactSHA256: String?, files: [File]
        enum CodingKeys: String, CodingKey { case model, version, files, artifactSHA256 = "artifact_sha256" }
    }

    /// The files of a version's model, with digests and download paths, for
    /// serving to fetch and verify.
    func versionFiles(_ request: Request, _ principal: Principal) throws -> Response {
        let version = try models.version(modelName: try request.parameter("name"), version: try Self.version(request))
        guard let prefix = ArtifactURI.storePath(version.source) else {
            throw RegistryError.invalid(
                "version \(version.version) of \(version.modelName) has its files outside this registry "
                    + "(\(version.source))"
            )
        }
        let files = try registry.pool.withConnection { try registry.artifacts.files($0, under: prefix) }
        return .json(
            VersionFiles(
                model: version.modelName, version: version.version, artifactSHA256: version.artifactSHA256,
                files: files.map {
                    .init(
                        path: String($0.path.dropFirst(prefix.count + 1)), sha256: $0.sha256, size: $0.size,
                        url: "\(MLflowAPI.artifactsPrefix)/\($0.path)")
                }))
    }

    struct StageChange: Decodable {
        let stage: String
        let archiveExisting: Bool?
        enum CodingKeys: String, CodingKey { case stage, archiveExisting = "archive_existing" }
    }

    func transition(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name"), version = try Self.version(request)
        let body = try request.json(StageChange.self)
        let stage = try Stage(parsing: body.stage)
        try registry.write(
            request, principal: principal, action: "version.transition",
            target: "model:\(name)/\(version)->\(stage.rawValue)"
        ) { c in
            try models.transition(
                c, modelName: name, version: version, to: stage, archiveExisting: body.archiveExisting ?? false)
        }
        return .json(VersionBody(try models.version(modelName: name, version: version)))
    }

    func getAlias(_ request: Request, _ principal: Principal) throws -> Response {
        .json(
            VersionBody(
                try models.version(modelName: try request.parameter("name"), alias: try request.parameter("alias"))))
    }

    struct AliasMove: Decodable {
        let version: Int
        /// Also move the stage: the new version to Production, the old one to Archived.
        let promote: Bool?
    }

    func setAlias(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name"), alias = try request.parameter("alias")
        let body = try request.json(AliasMove.self)
        try registry.write(
            request, principal: principal, action: "alias.set", target: "model:\(name)@\(alias)->\(body.version)"
        ) { c in
            try models.setAlias(c, modelName: name, alias: alias, version: body.version)
            if body.promote == true {
                try models.transition(c, modelName: name, version: body.version, to: .production, archiveExisting: true)
            }
        }
        return .json(VersionBody(try models.version(modelName: name, alias: alias)))
    }

    func deleteAlias(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name"), alias = try request.parameter("alias")
        try registry.write(request, principal: principal, action: "alias.delete", target: "model:\(name)@\(alias)") {
            c in
            try models.deleteAlias(c, modelName: name, alias: alias)
        }
        return .empty()
    }

    // MARK: Audit and tokens

    func audit(_ request: Request, _ principal: Principal) throws -> Response {
        let offset = try PageToken.decode(request.query["page_token"])
        let limit = try Self.limit(request)
        let items = try AuditLog.entries(
            registry.pool, targetPrefix: request.query["target"], limit: limit, offset: offset)
        return .json(
            PageBody(items: items, nextPageToken: PageToken.next(offset: offset, returned: items.count, limit: limit)))
    }

    func listTokens(_ request: Request, _ principal: Principal) throws -> Response {
        .json(PageBody(items: try registry.tokens.list(), nextPageToken: nil))
    }

    struct CreateToken: Decodable {
        let name: String
        let role: Role
    }
    struct CreatedToken: Encodable {
        let name: String
        let role: Role
        let token: String
    }

    func createToken(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(CreateToken.self)
        let secret = try registry.write(
            request, principal: principal, action: "token.create", target: "token:\(body.name)"
        ) { c in
            try registry.tokens.create(name: body.name, role: body.role, by: principal, in: c)
        }
        return .json(CreatedToken(name: body.name, role: body.role, token: secret), status: 201)
    }

    func revokeToken(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        try registry.write(request, principal: principal, action: "token.revoke", target: "token:\(name)") { c in
            try registry.tokens.revoke(name: name, in: c)
        }
        return .empty()
    }
}
