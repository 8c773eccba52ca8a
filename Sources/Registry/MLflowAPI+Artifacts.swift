import Foundation
import HTTPKit
import Postgres

/// MLflow's artifact proxy (`mlflow-artifacts:` URIs): uploads stream to disk
/// and land in the content-addressed store; downloads are sent from the file.
extension MLflowAPI {
    static let artifactsPrefix = "/api/2.0/mlflow-artifacts/artifacts"

    func installArtifacts(on router: inout Router, maxUploadBytes: Int) {
        let upload = RouteOptions(maxBodyBytes: maxUploadBytes, streamsBodyToFile: true)
        let proxy = registry.mlflowGroup(prefix: Self.artifactsPrefix)
        router.add(proxy, .PUT, "/{path...}", .operator, options: upload, putArtifact)
        router.add(proxy, .GET, "/{path...}", .viewer, getArtifact)
        router.add(proxy, .GET, "", .viewer, listArtifacts)
        router.add(mlflow, .GET, "/artifacts/list", .viewer, listRunArtifacts)
        // Tells the client that multipart transfers are off, so it uses plain PUT/GET.
        router.get("/api/3.0/mlflow/server-info") { _ in
            MLflowJSON.response([
                "store_type": "SqlStore", "multipart_uploads_enabled": false, "multipart_downloads_enabled": false
            ])
        }
    }

    static func artifactPath(_ text: String, allowEmpty: Bool = false) throws(HTTPError) -> String {
        do {
            return try ArtifactStore.normalize(text, allowEmpty: allowEmpty)
        } catch {
            throw MLflowParameters.invalid("Invalid path: \(error.description)")
        }
    }

    func putArtifact(_ request: Request, _ principal: Principal) throws -> Response {
        let path = try Self.artifactPath(try request.parameter("path"))
        let store = registry.artifacts
        let stored: (sha256: String, size: Int64)
        if let file = request.bodyFile {
            stored = try store.ingest(file: file, expectedSHA256: request.headers["X-Content-SHA256"])
        } else {
            stored = try store.ingest(data: request.body)
        }
        try registry.write(request, principal: principal, action: "artifact.put", target: "artifact:\(path)") { c in
            try store.record(c, path: path, sha256: stored.sha256, size: stored.size)
        }
        return MLflowJSON.response([:])
    }

    func getArtifact(_ request: Request, _ principal: Principal) throws -> Response {
        let path = try Self.artifactPath(try request.parameter("path"))
        guard let found = try registry.artifacts.lookup(registry.pool, path: path) else {
            throw HTTPError(status: 404, code: "RESOURCE_DOES_NOT_EXIST", message: "No such artifact: '\(path)'")
        }
        // A missing or truncated object is damage to the store, not a missing artifact.
        let size = (try? FileManager.default.attributesOfItem(atPath: found.url.path)[.size] as? NSNumber)?.int64Value
        guard size == found.size else {
            registry.logger.error(
                "artifact object missing or damaged", ["path": .string(path), "sha256": .string(found.sha256)])
            throw HTTPError(
                status: 500, code: "INTERNAL_ERROR", message: "the stored object for '\(path)' is missing or damaged")
        }
        return Response(
            status: 200, headers: ["Content-Type": "application/octet-stream", "X-Content-SHA256": found.sha256],
            body: .file(path: found.url.path, size: Int(found.size)))
    }

    /// Entries directly under `path`, named relative to it; a file or a missing
    /// path lists as `{}` (the client tells files from folders this way).
    func listArtifacts(_ request: Request, _ principal: Principal) throws -> Response {
        let path = try Self.artifactPath(request.query["path"] ?? "", allowEmpty: true)
        let entries = try registry.artifacts.list(registry.pool, under: path)
        guard !entries.isEmpty else { return MLflowJSON.response([:]) }
        let start = path.isEmpty ? 0 : path.count + 1
        return MLflowJSON.response([
            "files": entries.map { entry -> [String: Any] in
                var object: [String: Any] = ["path": String(entry.path.dropFirst(start)), "is_dir": entry.isDirectory]
                if let size = entry.size { object["file_size"] = size }
                return object
            }
        ])
    }

    /// The older run-relative listing: paths relative to the run's artifact root.
    func listRunArtifacts(_ request: Request, _ principal: Principal) throws -> Response {
        let parameters = try MLflowParameters(request)
        let run = try tracking.run(id: try parameters.runID())
        let relative = try Self.artifactPath(try parameters.string("path") ?? "", allowEmpty: true)
        let root = run.artifactPrefix
        let entries = try registry.artifacts.list(registry.pool, under: relative.isEmpty ? root : "\(root)/\(relative)")
        var object: [String: Any] = ["root_uri": run.artifactURI]
        if !entries.isEmpty {
            object["files"] = entries.map { entry -> [String: Any] in
                var item: [String: Any] = [
                    "path": String(entry.path.dropFirst(root.count + 1)), "is_dir": entry.isDirectory
                ]
                if let size = entry.size { item["file_size"] = size }
                return item
            }
        }
        return MLflowJSON.response(object)
    }
}
