import Digest
import Foundation
import Postgres

/// Registered models, versions, stages and aliases. Stage and alias moves are
/// one transaction with their audit rows (written by the caller).
public final class ModelStore: Sendable {
    let pool: PostgresPool

    init(pool: PostgresPool) { self.pool = pool }

    // MARK: Registered models

    func createModel(_ c: PostgresConnection, name: String, description: String, tags: [String: String]) throws -> Int64
    {
        guard !name.isEmpty, name.unicodeScalars.count <= 256, !name.contains("/"),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw RegistryError.invalid(
                "Registered model name must be 1-256 characters without '/' or control characters")
        }
        try Limits.checkLength(description, "description", limit: Limits.descriptionLength)
        try Limits.checkTags(tags, valueLimit: Limits.registryTagValueLength)
        if let existing = try c.query("SELECT id FROM steward.registered_models WHERE name = \(name)").first {
            throw RegistryError.alreadyExists(
                "Registered Model (name=\(name)) already exists.",
                existingID: String(try existing.get("id", as: Int64.self)))
        }
        let now = nowMillis()
        do {
            return try c.query(
                """
                INSERT INTO steward.registered_models (name, description, tags, creation_time, last_update_time)
                VALUES (\(name), \(description), \(try JSONCoding.text(tags))::jsonb, \(now), \(now)) RETURNING id
                """
            ).first!.get("id")
        } catch let error as PostgresError where error.isUniqueViolation {
            throw RegistryError.alreadyExists("Registered Model (name=\(name)) already exists.", existingID: nil)
        }
    }

    func modelID(_ c: PostgresConnection, name: String, lock: Bool = false) throws -> Int64 {
        guard
            let row = try c.query(
                "SELECT id FROM steward.registered_models WHERE name = \(name)\(raw: lock ? " FOR UPDATE" : "")"
            ).first
        else {
            throw RegistryError.notFound("Registered Model with name=\(name) not found")
        }
        return try row.get("id")
    }

    func model(named name: String) throws -> RegisteredModel {
        guard let model = try models(where: "m.name = \(name)", limit: 1, offset: 0).first else {
            throw RegistryError.notFound("Registered Model with name=\(name) not found")
        }
        return model
    }

    func searchModels(filter: ModelFilter, limit: Int, pageToken: String?) throws -> Page<RegisteredModel> {
        let offset = try PageToken.decode(pageToken)
        let items = try models(where: try filter.sql(for: .models), limit: limit, offset: offset)
        return Page(items: items, nextPageToken: PageToken.next(offset: offset, returned: items.count, limit: limit))
    }

    private func models(where condition: SQL, limit: Int, offset: Int) throws -> [RegisteredModel] {
        try pool.withConnection { c in
            let rows = try c.query(
                """
                SELECT m.id, m.name, m.description, m.tags::text AS tags, m.policy, m.creation_time, m.last_update_time
                FROM steward.registered_models m WHERE \(condition) ORDER BY m.name
                LIMIT \(limit) OFFSET \(offset)
                """)
            var models: [RegisteredModel] = try rows.map { row in
                RegisteredModel(
                    id: try row.get("id"), name: try row.get("name"), description: try row.get("description"),
                    tags: try JSONCoding.dictionary(try row.get("tags")), policy: try row.get("policy"),
                    creationTime: try row.get("creation_time"), lastUpdateTime: try row.get("last_update_time"),
                    aliases: [:], latestVersions: [])
            }
            guard !models.isEmpty else { return [] }
            let ids = models.map(\.id)
            var aliases: [Int64: [String: Int]] = [:]
            for row in try c.query(
                """
                SELECT a.model_id, a.alias, v.version FROM steward.model_aliases a JOIN steward.model_versions v ON
                    v.id = a.version_id
                WHERE a.model_id = ANY(\(ids))
                """)
            {
                aliases[try row.get("model_id"), default: [:]][try row.get("alias")] = try row.get("version")
            }
            let latest = try versions(
                c, where: Self.latestPerStage(models: "SELECT unnest(\(ids)::bigint[])", stages: Stage.allCases),
                order: "v.version", limit: 10_000, offset: 0)
            for index in models.indices {
                models[index].aliases = aliases[models[index].id] ?? [:]
                models[index].latestVersions = latest.filter { $0.modelName == models[index].name }
            }
            return models
        }
    }

    func updateModel(_ c: PostgresConnection, name: String, description: String?) throws {
        try Limits.checkLength(description, "description", limit: Limits.descriptionLength)
        let rows = try c.query(
            """
            UPDATE steward.registered_models SET description = COALESCE(\(description), description), last_update_time
                = \(nowMillis()) WHERE name = \(name)
            """)
        guard rows.affectedRows == 1 else {
            throw RegistryError.notFound("Registered Model with name=\(name) not found")
        }
    }

    func renameModel(_ c: PostgresConnection, name: String, newName: String) throws {
        do {
            let rows = try c.query(
                """
                UPDATE steward.registered_models SET name = \(newName), last_update_time = \(nowMillis()) WHERE
                    name = \(name)
                """
            )
            guard rows.affectedRows == 1 else {
                throw RegistryError.notFound("Registered Model with name=\(name) not found")
            }
        } catch let error as PostgresError {
            throw error.asAlreadyExists("Registered Model (name=\(newName)) already exists.")
        }
    }

    func setModelTag(_ c: PostgresConnection, name: String, key: String, value: String?) throws {
        try Limits.checkKey(key, "tag")
        try Limits.checkLength(value, "value", limit: Limits.registryTagValueLength)
        let rows = try c.query(
            """
            UPDATE steward.registered_models SET tags = CASE WHEN \(value)::text IS NULL THEN tags - \(key) ELSE tags
                || jsonb_build_object(\(key)::text, \(value)::text) END,
                   last_update_time = \(nowMillis()) WHERE name = \(name)
            """)
        guard rows.affectedRows == 1 else {
            throw RegistryError.notFound("Registered Model with name=\(name) not found")
        }
    }

    func setPolicy(_ c: PostgresConnection, name: String, policy: String?) throws {
        let rows = try c.query(
            """
            UPDATE steward.registered_models SET policy = \(policy), last_update_time = \(nowMillis()) WHERE name =
                \(name)
            """
        )
        guard rows.affectedRows == 1 else {
            throw RegistryError.notFound("Registered Model with name=\(name) not found")
        }
    }

    func deleteModel(_ c: PostgresConnection, name: String) throws {
        let rows = try c.query("DELETE FROM steward.registered_models WHERE name = \(name)")
        guard rows.affectedRows == 1 else {
            throw RegistryError.notFound("Registered Model with name=\(name) not found")
        }
    }

    // MARK: Versions

    /// A version number from a body or a path, within the column's range, before any SQL sees it.
    static func check(version: Int) throws(RegistryError) {
        guard (1...Int(Int32.max)).contains(version) else { throw .invalid(VersionNumber.invalidMessage) }
    }

    /// Adds the next version. Its metrics snapshot is the source run's latest
    /// metrics; its digest is over the artifact files under the source.
    func createVersion(
        _ c: PostgresConnection, modelName: String, source: String, runID: String?, description: String,
        tags: [String: String], artifacts: ArtifactStore
    ) throws -> ModelVersion {
        try Limits.checkLength(description, "description", limit: Limits.descriptionLength)
        try Limits.checkLength(source, "source", limit: Limits.sourceLength)
        try Limits.checkTags(tags, valueLimit: Limits.registryTagValueLength)
        let modelID = try modelID(c, name: modelName, lock: true)
        if let runID, try c.query("SELECT 1 FROM steward.runs WHERE id = \(runID)").count == 0 {
            throw RegistryError.notFound("Run with id=\(runID) not found")
        }
        var metrics: [String: Double] = [:]
        if let runID {
            for row in try c.query("SELECT key, value FROM steward.latest_metrics WHERE run_id = \(runID)") {
                metrics[try row.get("key")] = try row.get("value")
            }
        }
        let digest = try Self.artifactDigest(c, source: source, artifacts: artifacts)
        let now = nowMillis()
        let next: Int = try c.query(
            "SELECT COALESCE(max(version), 0) + 1 AS next FROM steward.model_versions WHERE model_id = \(modelID)"
        ).first!.get("next")
        let metricsJSON = String(
            decoding: try JSONSerialization.data(
                withJSONObject: metrics.filter { $0.value.isFinite }, options: [.sortedKeys]),
            as: UTF8.self)
        _ = try c.query(
            """
            INSERT INTO steward.model_versions (model_id, version, source, run_id, description, tags, artifact_sha256,
                metrics,
                                                creation_time, last_update_time)
            VALUES (\(modelID), \(next), \(source), \(runID), \(description), \(try JSONCoding.text(tags))::jsonb,
                \(digest), \(metricsJSON)::jsonb, \(now), \(now))
            """)
        _ = try c.query("UPDATE steward.registered_models SET last_update_time = \(now) WHERE id = \(modelID)")
        try Outbox.record(
            c, kind: "model_version.created",
            payload: ["model": modelName, "version": next, "source": source, "run_id": runID ?? NSNull()])
        return try version(c, modelName: modelName, version: next)
    }

    /// One digest over every file below the source (path + sha256 of each, in
    /// path order), or nil when the source is not in this registry's store.
    static func artifactDigest(_ c: PostgresConnection, source: String, artifacts: ArtifactStore) throws -> String? {
        guard let prefix = ArtifactURI.storePath(source) else { return nil }
        let files = try artifacts.files(c, under: prefix)
        guard !files.isEmpty else { return nil }
        let hasher = SHA256Hasher()
        for file in files { hasher.update("\(file.path.dropFirst(prefix.count + 1))\t\(file.sha256)\n") }
        return hasher.finalizeHex()
    }

    static let versionColumns = """
        v.id, m.name AS model_name, v.version, v.source, v.run_id, v.status, v.stage, v.description, v.tags::text AS
            tags,
        v.artifact_sha256, v.metrics::text AS metrics, v.creation_time, v.last_update_time,
        ARRAY(SELECT a.alias FROM steward.model_aliases a WHERE a.version_id = v.id ORDER BY a.alias) AS aliases
        """

    /// `prepared`: the lookup's SQL never varies (one version by name and number or alias).
    /// LIMIT and OFFSET are written into the text, not bound: a prepared statement's generic
    /// plan cannot see a bound limit (the alias lookup took 0.43 ms with bound ones, 0.32 ms without).
    func versions(
        _ c: PostgresConnection, where condition: SQL, order: SQL, limit: Int, offset: Int,
        prepared: Bool = false
    ) throws -> [ModelVersion] {
        try c.query(
            """
            SELECT \(raw: Self.versionColumns) FROM steward.model_versions v JOIN steward.registered_models m ON m.id =
                v.model_id
            WHERE \(condition) ORDER BY \(order) LIMIT \(raw: limit) OFFSET \(raw: offset)
            """, prepared: prepared
        ).map { row in
            let metricsText: String = try row.get("metrics")
            let metrics = try JSONDecoder().decode([String: Double].self, from: Data(metricsText.utf8))
            return ModelVersion(
                id: try row.get("id"), modelName: try row.get("model_name"), version: try row.get("version"),
                source: try row.get("source"), runID: try row.get("run_id"), status: try row.get("status"),
                stage: Stage(rawValue: try row.get("stage")) ?? .none, description: try row.get("description"),
                tags: try JSONCoding.dictionary(try row.get("tags")), artifactSHA256: try row.get("artifact_sha256"),
                metrics: metrics, aliases: try row.get("aliases"),
                creationTime: try row.get("creation_time"), lastUpdateTime: try row.get("last_update_time"))
        }
    }

    func version(_ c: PostgresConnection, modelName: String, version: Int) throws -> ModelVersion {
        try Self.check(version: version)
        guard
            let found = try versions(
                c, where: "m.name = \(modelName) AND v.version = \(version)", order: "v.version",
                limit: 1, offset: 0, prepared: true
            ).first
        else {
            throw RegistryError.notFound("Model Version (name=\(modelName), version=\(version)) not found")
        }
        return found
    }

    func version(modelName: String, version: Int) throws -> ModelVersion {
        try pool.withConnection { try self.version($0, modelName: modelName, version: version) }
    }

    func version(modelName: String, alias: String) throws -> ModelVersion {
        try pool.withConnection { c in
            guard
                let found = try versions(
                    c,
                    where: """
                        v.id = (SELECT a.version_id FROM steward.model_aliases a JOIN steward.registered_models m2 ON
                            m2.id = a.model_id
                                WHERE m2.name = \(modelName) AND a.alias = \(alias))
                        """, order: "v.version", limit: 1, offset: 0, prepared: true
                ).first
            else {
                throw RegistryError.notFound("Registered model alias \(alias) not found.")
            }
            return found
        }
    }

    func latestVersions(modelName: String, stages: [Stage]) throws -> [ModelVersion] {
        try pool.withConnection { c in
            _ = try modelID(c, name: modelName)
            return try versions(
                c,
                where: Self.latestPerStage(
                    models: "SELECT id FROM steward.registered_models WHERE name = \(modelName)",
                    stages: stages.isEmpty ? Stage.allCases : stages),
                order: "v.version", limit: 100, offset: 0)
        }
    }

    /// `v.id IN (...)`: each model's newest version in each stage, one probe of the (model_id,
    /// stage, version) index per model and stage, however many versions a model has.
    static func latestPerStage(models: SQL, stages: [Stage]) -> SQL {
        """
        v.id IN (SELECT newest.id FROM (\(models)) AS m (id), unnest(\(stages.map(\.rawValue))::text[]) AS s (stage),
                 LATERAL (SELECT id FROM steward.model_versions
                          WHERE model_id = m.id AND stage = s.stage ORDER BY version DESC LIMIT 1) newest)
        """
    }

    func searchVersions(filter: ModelFilter, limit: Int, pageToken: String?) throws -> Page<ModelVersion> {
        let offset = try PageToken.decode(pageToken)
        let condition = try filter.sql(for: .versions)
        let items = try pool.withConnection { c in
            try versions(c, where: condition, order: "m.name, v.version DESC", limit: limit, offset: offset)
        }
        return Page(items: items, nextPageToken: PageToken.next(offset: offset, returned: items.count, limit: limit))
    }

    /// Moves a version to a stage; with `archiveExisting`, versions already in
    /// that stage (Staging or Production) move to Archived in the same transaction.
    /// Returns the versions archived on the way.
    @discardableResult
    func transition(
        _ c: PostgresConnection, modelName: String, version: Int, to stage: Stage, archiveExisting: Bool
    ) throws -> [Int] {
        try Self.check(version: version)
        let modelID = try modelID(c, name: modelName, lock: true)
        let now = nowMillis()
        var archived: [Int] = []
        if archiveExisting, stage == .staging || stage == .production {
            archived = try c.query(
                """
                UPDATE steward.model_versions SET stage = 'Archived', last_update_time = \(now)
                WHERE model_id = \(modelID) AND stage = \(stage.rawValue) AND version <> \(version) RETURNING version
                """
            ).map { try $0.get("version") }
        }
        let rows = try c.query(
            """
            UPDATE steward.model_versions SET stage = \(stage.rawValue), last_update_time = \(now) WHERE model_id =
                \(modelID) AND version = \(version)
            """
        )
        guard rows.affectedRows == 1 else {
            throw RegistryError.notFound("Model Version (name=\(modelName), version=\(version)) not found")
        }
        for (changed, to) in [(version, stage.rawValue)] + archived.map({ ($0, Stage.archived.rawValue) }) {
            try Outbox.record(
                c, kind: "model_version.stage_changed", payload: ["model": modelName, "version": changed, "stage": to])
        }
        return archived
    }

    func updateVersion(_ c: PostgresConnection, modelName: String, version: Int, description: String?) throws {
        try Self.check(version: version)
        try Limits.checkLength(description, "description", limit: Limits.descriptionLength)
        let modelID = try modelID(c, name: modelName)
        let rows = try c.query(
            """
            UPDATE steward.model_versions SET description = COALESCE(\(description), description), last_update_time =
                \(nowMillis()) WHERE model_id = \(modelID) AND version = \(version)
            """)
        guard rows.affectedRows == 1 else {
            throw RegistryError.notFound("Model Version (name=\(modelName), version=\(version)) not found")
        }
    }

    func setVersionTag(_ c: PostgresConnection, modelName: String, version: Int, key: String, value: String?) throws {
        try Self.check(version: version)
        try Limits.checkKey(key, "tag")
        try Limits.checkLength(value, "value", limit: Limits.registryTagValueLength)
        let modelID = try modelID(c, name: modelName)
        let rows = try c.query(
            """
            UPDATE steward.model_versions SET tags = CASE WHEN \(value)::text IS NULL THEN tags - \(key) ELSE tags ||
                jsonb_build_object(\(key)::text, \(value)::text) END
            WHERE model_id = \(modelID) AND version = \(version)
            """)
        guard rows.affectedRows == 1 else {
            throw RegistryError.notFound("Model Version (name=\(modelName), version=\(version)) not found")
        }
    }

    func deleteVersion(_ c: PostgresConnection, modelName: String, version: Int) throws {
        try Self.check(version: version)
        let modelID = try modelID(c, name: modelName, lock: true)
        let rows = try c.query(
            "DELETE FROM steward.model_versions WHERE model_id = \(modelID) AND version = \(version)")
        guard rows.affectedRows == 1 else {
            throw RegistryError.notFound("Model Version (name=\(modelName), version=\(version)) not found")
        }
    }

    // MARK: Aliases

    /// MLflow's alias rules: 1-255 letters, digits, '_' or '-', not a version's spelling
    /// (`v3`, and here plain digits too) and not the reserved `latest`.
    static func check(alias: String) throws(RegistryError) {
        let scalars = alias.unicodeScalars
        let digits = scalars.allSatisfy { ("0"..."9").contains($0) }
        let versionLike =
            (scalars.first == "v" || scalars.first == "V") && scalars.count > 1
            && scalars.dropFirst().allSatisfy { ("0"..."9").contains($0) }
        guard (1...255).contains(scalars.count), scalars.allSatisfy({ isWordScalar($0) || $0 == "-" }),
            !digits, !versionLike, alias.lowercased() != "latest"
        else {
            throw .invalid(
                "Invalid alias name: '\(alias)'. Names may only contain alphanumerics, underscores (_), and dashes "
                    + "(-), "
                    + "and may not be a version number or 'latest'.")
        }
    }

    /// Python's `\w` on text, which MLflow's alias rule uses: letters (not marks or
    /// symbols that merely look alphabetic), anything numeric, and `_`.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return scalar.properties.numericType != nil || scalar == "_"
        }
    }

    /// Points an alias at a version; returns the version it pointed at before.
    @discardableResult
    func setAlias(_ c: PostgresConnection, modelName: String, alias: String, version: Int) throws -> Int? {
        try Self.check(version: version)
        try Self.check(alias: alias)
        let modelID = try modelID(c, name: modelName, lock: true)
        guard
            let target = try c.query(
                "SELECT id FROM steward.model_versions WHERE model_id = \(modelID) AND version = \(version)"
            ).first
        else {
            throw RegistryError.notFound("Model Version (name=\(modelName), version=\(version)) not found")
        }
        let previous = try c.query(
            """
            SELECT v.version FROM steward.model_aliases a JOIN steward.model_versions v ON v.id = a.version_id
            WHERE a.model_id = \(modelID) AND a.alias = \(alias)
            """
        ).first?.get("version", as: Int.self)
        _ = try c.query(
            """
            INSERT INTO steward.model_aliases (model_id, alias, version_id) VALUES (\(modelID), \(alias),
                \(try target.get("id", as: Int64.self)))
            ON CONFLICT (model_id, alias) DO UPDATE SET version_id = excluded.version_id, updated_at = now()
            """)
        _ = try c.query("NOTIFY steward_alias, '\(raw: modelID)'")
        if previous != version {
            try Outbox.record(
                c, kind: "alias.moved",
                payload: [
                    "model": modelName, "alias": alias, "version": version, "previous_version": previous ?? NSNull()
                ])
        }
        return previous
    }

    func deleteAlias(_ c: PostgresConnection, modelName: String, alias: String) throws {
        let modelID = try modelID(c, name: modelName, lock: true)
        let rows = try c.query("DELETE FROM steward.model_aliases WHERE model_id = \(modelID) AND alias = \(alias)")
        guard rows.affectedRows == 1 else { throw RegistryError.notFound("Registered model alias \(alias) not found.") }
        try Outbox.record(
            c, kind: "alias.moved", payload: ["model": modelName, "alias": alias, "version": NSNull()])
    }

    // MARK: Logged models (MLflow 3)

    func createLoggedModel(
        _ c: PostgresConnection, experimentID: Int64, runID: String?, name: String,
        tags: [String: String], params: [String: String]
    ) throws -> LoggedModel {
        let id = "m-" + SecureRandom.hex(bytes: 16)
        let now = nowMillis()
        do {
            _ = try c.query(
                """
                INSERT INTO steward.logged_models (id, experiment_id, run_id, name, artifact_uri, tags, params,
                    creation_time, last_update_time)
                VALUES (\(id), \(experimentID), \(runID), \(name),
                    \("mlflow-artifacts:/\(experimentID)/models/\(id)/artifacts"), \(try JSONCoding.text(tags))::jsonb,
                        \(try JSONCoding.text(params))::jsonb, \(now), \(now))
                """)
        } catch let error as PostgresError where error.isForeignKeyViolation {
            throw RegistryError.notFound("the experiment or run of the logged model does not exist")
        }
        return try loggedModel(c, id: id)
    }

    /// The newest logged models of the experiments, optionally only those named `name`.
    func loggedModels(experimentIDs: [Int64], name: String?, limit: Int) throws -> [LoggedModel] {
        try pool.withConnection { c in
            try c.query(
                """
                SELECT id FROM steward.logged_models WHERE experiment_id = ANY(\(experimentIDs)) AND (\(name)::text IS
                    NULL OR name = \(name))
                ORDER BY creation_time DESC LIMIT \(limit)
                """
            ).map { try loggedModel(c, id: try $0.get("id")) }
        }
    }

    func loggedModel(_ c: PostgresConnection, id: String) throws -> LoggedModel {
        guard
            let row = try c.query(
                """
                SELECT id, experiment_id, run_id, name, artifact_uri, status, tags::text AS tags, params::text AS
                    params, creation_time, last_update_time
                FROM steward.logged_models WHERE id = \(id)
                """
            ).first
        else { throw RegistryError.notFound("Logged model with ID '\(id)' not found.") }
        return LoggedModel(
            id: try row.get("id"), experimentID: try row.get("experiment_id"), runID: try row.get("run_id"),
            name: try row.get("name"), artifactURI: try row.get("artifact_uri"), status: try row.get("status"),
            tags: try JSONCoding.dictionary(try row.get("tags")),
            params: try JSONCoding.dictionary(try row.get("params")),
            creationTime: try row.get("creation_time"), lastUpdateTime: try row.get("last_update_time"))
    }

    func finalizeLoggedModel(_ c: PostgresConnection, id: String, status: String) throws -> LoggedModel {
        let rows = try c.query(
            "UPDATE steward.logged_models SET status = \(status), last_update_time = \(nowMillis()) WHERE id = \(id)")
        guard rows.affectedRows == 1 else { throw RegistryError.notFound("Logged model with ID '\(id)' not found.") }
        return try loggedModel(c, id: id)
    }

    func setLoggedModelTags(_ c: PostgresConnection, id: String, tags: [String: String]) throws {
        let rows = try c.query(
            "UPDATE steward.logged_models SET tags = tags || \(try JSONCoding.text(tags))::jsonb WHERE id = \(id)")
        guard rows.affectedRows == 1 else { throw RegistryError.notFound("Logged model with ID '\(id)' not found.") }
    }
}

/// Artifact URIs as MLflow writes them: `mlflow-artifacts:/<path>` (or with a
/// host), and `runs:/<run_id>/<path>`.
enum ArtifactURI {
    /// The path below the artifact root for a `mlflow-artifacts:` URI.
    static func storePath(_ uri: String) -> String? {
        guard uri.hasPrefix("mlflow-artifacts:") else { return nil }
        var rest = uri.dropFirst("mlflow-artifacts:".count)
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            rest = rest[slash...]
        }
        return try? ArtifactStore.normalize(String(rest.drop { $0 == "/" }))
    }
}
