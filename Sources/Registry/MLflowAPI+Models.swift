import Foundation
import HTTPKit
import Postgres

/// Registered models, versions, stages, aliases and MLflow 3 logged models.
extension MLflowAPI {
    func installModels(on router: inout Router) {
        router.add(mlflow, .POST, "/registered-models/create", .operator, createModel)
        router.add(mlflow, .GET, "/registered-models/get", .viewer, getModel)
        router.add(mlflow, .GET, "/registered-models/search", .viewer, searchModels)
        router.add(mlflow, .PATCH, "/registered-models/update", .operator, updateModel)
        router.add(mlflow, .POST, "/registered-models/rename", .operator, renameModel)
        router.add(mlflow, .DELETE, "/registered-models/delete", .admin, deleteModel)
        router.add(mlflow, .POST, "/registered-models/set-tag", .operator) { try setModelTag($0, $1, delete: false) }
        router.add(mlflow, .DELETE, "/registered-models/delete-tag", .operator) {
            try setModelTag($0, $1, delete: true)
        }
        router.add(mlflow, .POST, "/registered-models/get-latest-versions", .viewer, latestVersions)
        router.add(mlflow, .GET, "/registered-models/get-latest-versions", .viewer, latestVersions)
        router.add(mlflow, .POST, "/registered-models/alias", .operator, setAlias)
        router.add(mlflow, .DELETE, "/registered-models/alias", .operator, deleteAlias)
        router.add(mlflow, .GET, "/registered-models/alias", .viewer, versionByAlias)

        router.add(mlflow, .POST, "/model-versions/create", .operator, createVersion)
        router.add(mlflow, .GET, "/model-versions/get", .viewer, getVersion)
        router.add(mlflow, .GET, "/model-versions/search", .viewer, searchVersions)
        router.add(mlflow, .PATCH, "/model-versions/update", .operator, updateVersion)
        router.add(mlflow, .DELETE, "/model-versions/delete", .admin, deleteVersion)
        router.add(mlflow, .POST, "/model-versions/transition-stage", .operator, transitionStage)
        router.add(mlflow, .GET, "/model-versions/get-download-uri", .viewer, downloadURI)
        router.add(mlflow, .POST, "/model-versions/set-tag", .operator) { try setVersionTag($0, $1, delete: false) }
        router.add(mlflow, .DELETE, "/model-versions/delete-tag", .operator) { try setVersionTag($0, $1, delete: true) }

        router.add(mlflow, .POST, "/logged-models", .operator, createLoggedModel)
        router.add(mlflow, .GET, "/logged-models/{id}", .viewer, getLoggedModel)
        router.add(mlflow, .PATCH, "/logged-models/{id}", .operator, finalizeLoggedModel)
        router.add(mlflow, .PATCH, "/logged-models/{id}/tags", .operator, setLoggedModelTags)
        router.add(mlflow, .POST, "/logged-models/search", .viewer, searchLoggedModels)
    }

    static func version(_ parameters: MLflowParameters) throws(HTTPError) -> Int {
        let text = try parameters.requiredString("version")
        guard let version = VersionNumber.parse(text) else {
            throw MLflowParameters.invalid("Parameter 'version' must be an integer, got '\(text)'")
        }
        return version
    }

    func createModel(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let description = try parameters.string("description") ?? ""
        let tags = try parameters.keyValues("tags")
        try registry.write(request, principal: principal, action: "model.create", target: "model:\(name)") { c in
            _ = try models.createModel(c, name: name, description: description, tags: tags)
        }
        return MLflowJSON.response(["registered_model": MLflowJSON.registeredModel(try models.model(named: name))])
    }

    func getModel(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try MLflowParameters(request).requiredString("name")
        return MLflowJSON.response(["registered_model": MLflowJSON.registeredModel(try models.model(named: name))])
    }

    func searchModels(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let page = try models.searchModels(
            filter: try ModelFilter.parse(try parameters.string("filter") ?? ""),
            limit: try parameters.int("max_results", default: 100, range: 1...1000),
            pageToken: try parameters.string("page_token"))
        return MLflowJSON.response(
            MLflowJSON.page("registered_models", page.items.map(MLflowJSON.registeredModel), page.nextPageToken))
    }

    func updateModel(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let description = try parameters.string("description")
        try registry.write(request, principal: principal, action: "model.update", target: "model:\(name)") { c in
            try models.updateModel(c, name: name, description: description)
        }
        return MLflowJSON.response(["registered_model": MLflowJSON.registeredModel(try models.model(named: name))])
    }

    func renameModel(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let newName = try parameters.requiredString("new_name")
        try registry.write(request, principal: principal, action: "model.rename", target: "model:\(name)") { c in
            try models.renameModel(c, name: name, newName: newName)
        }
        return MLflowJSON.response(["registered_model": MLflowJSON.registeredModel(try models.model(named: newName))])
    }

    func deleteModel(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try MLflowParameters(request).requiredString("name")
        try registry.write(request, principal: principal, action: "model.delete", target: "model:\(name)") { c in
            try models.deleteModel(c, name: name)
        }
        return MLflowJSON.response([:])
    }

    func setModelTag(_ request: Request, _ principal: Principal, delete: Bool) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let key = try parameters.requiredString("key")
        let value = delete ? nil : (try parameters.string("value") ?? "")
        try registry.write(
            request, principal: principal, action: delete ? "model.delete_tag" : "model.set_tag",
            target: "model:\(name)"
        ) { c in
            try models.setModelTag(c, name: name, key: key, value: value)
        }
        return MLflowJSON.response([:])
    }

    func latestVersions(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        var stages: [Stage] = []
        for text in try parameters.strings("stages") { stages.append(try Stage(parsing: text)) }
        let versions = try models.latestVersions(modelName: name, stages: stages)
        return MLflowJSON.response(["model_versions": versions.map(MLflowJSON.modelVersion)])
    }

    func setAlias(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let alias = try parameters.requiredString("alias")
        let version = try Self.version(parameters)
        try registry.write(request, principal: principal, action: "alias.set", target: "model:\(name)@\(alias)") { c in
            try models.setAlias(c, modelName: name, alias: alias, version: version)
        }
        return MLflowJSON.response([:])
    }

    func deleteAlias(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let alias = try parameters.requiredString("alias")
        try registry.write(request, principal: principal, action: "alias.delete", target: "model:\(name)@\(alias)") {
            c in
            try models.deleteAlias(c, modelName: name, alias: alias)
        }
        return MLflowJSON.response([:])
    }

    func versionByAlias(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let alias = try parameters.requiredString("alias")
        do {
            return MLflowJSON.response([
                "model_version": MLflowJSON.modelVersion(try models.version(modelName: name, alias: alias))
            ])
        } catch RegistryError.notFound(let message) {
            // MLflow answers an unknown alias with 400, not 404.
            throw MLflowParameters.invalid(message)
        }
    }

    func createVersion(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        var source = try parameters.requiredString("source")
        let runID = try parameters.string("run_id").flatMap { $0.isEmpty ? nil : $0 }
        let description = try parameters.string("description") ?? ""
        var tags = try parameters.keyValues("tags")
        // A logged model's `models:/m-...` source resolves to where its files are.
        if source.hasPrefix("models:/m-") {
            let id = String(source.dropFirst("models:/".count))
            let logged = try registry.pool.withConnection { try models.loggedModel($0, id: id) }
            tags["mlflow.loggedModelId"] = id
            source = logged.artifactURI
        }
        guard source.contains(":/") || source.hasPrefix("/") else {
            throw MLflowParameters.invalid(
                "Invalid model version source: '\(source)'. To use a local path as a model version source, the run_id "
                    + "request parameter has to be specified and the local path has to be contained within the "
                    + "artifact directory of the run specified by the run_id."
            )
        }
        let version = try registry.write(
            request, principal: principal, action: "version.create", target: "model:\(name)"
        ) { c in
            try models.createVersion(
                c, modelName: name, source: source, runID: runID, description: description, tags: tags,
                artifacts: registry.artifacts)
        }
        return MLflowJSON.response(["model_version": MLflowJSON.modelVersion(version)])
    }

    func getVersion(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let version = try models.version(
            modelName: try parameters.requiredString("name"), version: try Self.version(parameters))
        return MLflowJSON.response(["model_version": MLflowJSON.modelVersion(version)])
    }

    func searchVersions(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let page = try models.searchVersions(
            filter: try ModelFilter.parse(try parameters.string("filter") ?? ""),
            limit: min(Limits.pageItems, try parameters.int("max_results", default: 10_000, range: 1...200_000)),
            pageToken: try parameters.string("page_token"))
        return MLflowJSON.response(
            MLflowJSON.page("model_versions", page.items.map(MLflowJSON.modelVersion), page.nextPageToken))
    }

    func updateVersion(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let version = try Self.version(parameters)
        let description = try parameters.string("description")
        try registry.write(request, principal: principal, action: "version.update", target: "model:\(name)/\(version)")
        { c in
            try models.updateVersion(c, modelName: name, version: version, description: description)
        }
        return MLflowJSON.response([
            "model_version": MLflowJSON.modelVersion(try models.version(modelName: name, version: version))
        ])
    }

    func deleteVersion(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let version = try Self.version(parameters)
        try registry.write(request, principal: principal, action: "version.delete", target: "model:\(name)/\(version)")
        { c in
            try models.deleteVersion(c, modelName: name, version: version)
        }
        return MLflowJSON.response([:])
    }

    func transitionStage(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let version = try Self.version(parameters)
        let stage = try Stage(parsing: try parameters.requiredString("stage"))
        let archive = try parameters.bool("archive_existing_versions") ?? false
        try registry.write(
            request, principal: principal, action: "version.transition",
            target: "model:\(name)/\(version)->\(stage.rawValue)"
        ) { c in
            try models.transition(c, modelName: name, version: version, to: stage, archiveExisting: archive)
        }
        return MLflowJSON.response([
            "model_version": MLflowJSON.modelVersion(try models.version(modelName: name, version: version))
        ])
    }

    func downloadURI(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let version = try models.version(
            modelName: try parameters.requiredString("name"), version: try Self.version(parameters))
        return MLflowJSON.response(["artifact_uri": version.source])
    }

    func setVersionTag(_ request: Request, _ principal: Principal, delete: Bool) throws -> Response {
        let parameters = try MLflowParameters(request)
        let name = try parameters.requiredString("name")
        let version = try Self.version(parameters)
        let key = try parameters.requiredString("key")
        let value = delete ? nil : (try parameters.string("value") ?? "")
        try registry.write(
            request, principal: principal, action: delete ? "version.delete_tag" : "version.set_tag",
            target: "model:\(name)/\(version)"
        ) { c in
            try models.setVersionTag(c, modelName: name, version: version, key: key, value: value)
        }
        return MLflowJSON.response([:])
    }

    // MARK: Logged models

    func createLoggedModel(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let experiment = try Self.experimentID(try parameters.requiredString("experiment_id"))
        let name = try parameters.string("name") ?? "model"
        let run = try parameters.string("source_run_id")
        let tags = try parameters.keyValues("tags")
        let params = try parameters.keyValues("params")
        let model = try registry.write(
            request, principal: principal, action: "logged_model.create", target: "experiment:\(experiment)"
        ) { c in
            try models.createLoggedModel(
                c, experimentID: experiment, runID: run, name: name, tags: tags, params: params)
        }
        return MLflowJSON.response(["model": MLflowJSON.loggedModel(model)])
    }

    func getLoggedModel(_ request: Request, _ principal: Principal) throws -> Response {
        let id = try request.parameter("id")
        return MLflowJSON.response([
            "model": MLflowJSON.loggedModel(try registry.pool.withConnection { try models.loggedModel($0, id: id) })
        ])
    }

    func finalizeLoggedModel(_ request: Request, _ principal: Principal) throws -> Response {
        let id = try request.parameter("id")
        let status = try MLflowParameters(request).string("status") ?? "LOGGED_MODEL_READY"
        let model = try registry.write(
            request, principal: principal, action: "logged_model.finalize", target: "logged_model:\(id)"
        ) { c in
            try models.finalizeLoggedModel(c, id: id, status: status)
        }
        return MLflowJSON.response(["model": MLflowJSON.loggedModel(model)])
    }

    func setLoggedModelTags(_ request: Request, _ principal: Principal) throws -> Response {
        let id = try request.parameter("id")
        let tags = try MLflowParameters(request).keyValues("tags")
        try registry.write(request, principal: principal, action: "logged_model.set_tags", target: "logged_model:\(id)")
        { c in
            try models.setLoggedModelTags(c, id: id, tags: tags)
        }
        return MLflowJSON.response([:])
    }

    /// Logged models of the given experiments, optionally by `name = '...'`.
    func searchLoggedModels(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        var experiments: [Int64] = []
        for text in try parameters.strings("experiment_ids") { experiments.append(try Self.experimentID(text)) }
        let name = try ModelFilter.parse(try parameters.string("filter") ?? "").clauses.first { $0.field == "name" }?
            .value
        let limit = try parameters.int("max_results", default: Limits.pageItems, range: 1...Limits.pageItems)
        let found = try models.loggedModels(experimentIDs: experiments, name: name, limit: limit)
        return MLflowJSON.response(found.isEmpty ? [:] : ["models": found.map(MLflowJSON.loggedModel)])
    }
}
