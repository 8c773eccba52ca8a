import Foundation
import HTTPKit
import Postgres
import TextFeatures

/// Dataset versions: register by path (under the configured roots) or upload.
extension NativeAPI {
    func installDatasets(on router: inout Router, maxUploadBytes: Int) {
        router.add(registry.api, .GET, "/datasets", .viewer, listDatasets)
        router.add(registry.api, .POST, "/datasets", .operator, registerDataset)
        router.add(registry.api, .GET, "/datasets/{name}/{version}", .viewer, getDataset)
        router.add(
            registry.api, .PUT, "/datasets/{name}/{version}", .operator,
            options: RouteOptions(maxBodyBytes: maxUploadBytes, streamsBodyToFile: true), uploadDataset)
    }

    struct RegisterDataset: Decodable {
        let name: String
        let version: String
        let path: String
        let labels: [String]?
        let maxLabelShare: Double?
        let maxDuplicateShare: Double?
        enum CodingKeys: String, CodingKey {
            case name, version, path, labels
            case maxLabelShare = "max_label_share", maxDuplicateShare = "max_duplicate_share"
        }
    }

    static func rules(
        labels: [String]?, maxLabelShare: Double?, maxDuplicateShare: Double?
    ) throws(HTTPError) -> DatasetRules {
        var rules = DatasetRules()
        if let labels {
            guard labels.count >= 2, Set(labels).count == labels.count else {
                throw .badRequest("labels must list at least two distinct labels", code: "invalid_argument")
            }
            rules.labels = labels
        }
        if let share = maxLabelShare {
            guard (0.5...1).contains(share) else {
                throw .badRequest("max_label_share must be in 0.5...1", code: "invalid_argument")
            }
            rules.maxLabelShare = share
        }
        if let share = maxDuplicateShare {
            guard (0...1).contains(share) else {
                throw .badRequest("max_duplicate_share must be in 0...1", code: "invalid_argument")
            }
            rules.maxDuplicateShare = share
        }
        return rules
    }

    func registerDataset(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(RegisterDataset.self)
        let rules = try Self.rules(
            labels: body.labels, maxLabelShare: body.maxLabelShare, maxDuplicateShare: body.maxDuplicateShare)
        let path = URL(fileURLWithPath: body.path).standardizedFileURL.resolvingSymlinksInPath()
        let roots = registry.configuration.datasetRoots.map { $0.resolvingSymlinksInPath().path }
        guard roots.contains(where: { path.path == $0 || path.path.hasPrefix($0 + "/") }) else {
            throw HTTPError.forbidden(
                "datasets are read only from under STEWARD_DATASET_ROOTS (\(roots.joined(separator: ":"))); upload it "
                    + "instead"
            )
        }
        return try register(request, principal, name: body.name, version: body.version, source: path, rules: rules)
    }

    func uploadDataset(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name"), version = try request.parameter("version")
        guard Validation.isName(name), Validation.isName(version) else {
            throw HTTPError.badRequest(
                "dataset name and version must be 1-128 letters, digits, '.', '_' or '-'", code: "invalid_argument")
        }
        let format = request.query["format"] ?? "csv"
        guard format == "csv" || format == "jsonl" else {
            throw HTTPError.badRequest("format must be csv or jsonl", code: "invalid_argument")
        }
        var maxLabelShare: Double?
        if let text = request.query["max_label_share"] {
            guard let share = Double(text) else {
                throw HTTPError.badRequest("max_label_share must be a number", code: "invalid_argument")
            }
            maxLabelShare = share
        }
        let rules = try Self.rules(
            labels: request.query["labels"].map { $0.split(separator: ",").map(String.init) },
            maxLabelShare: maxLabelShare, maxDuplicateShare: nil)
        // Read where the server spooled it, named for its format (the reader goes by the suffix); the
        // spool file keeps its name's prefix and lock, so a crash here leaves nothing the next start keeps.
        guard let upload = request.bodyFile else { throw HTTPError.internalError }
        let spooled = upload.appendingPathExtension(format)
        guard rename(upload.path, spooled.path) == 0 else { throw RegistryError.invalid("cannot read the upload") }
        defer { try? FileManager.default.removeItem(at: spooled) }
        let destination = registry.artifacts.root.appendingPathComponent("datasets/\(name)/\(version)/data.\(format)")
        do {
            return try register(
                request, principal, name: name, version: version, source: spooled, storeAt: destination, rules: rules)
        } catch {
            // Moved into place, then the transaction failed: nothing registered refers to it.
            if !FileManager.default.fileExists(atPath: spooled.path) {
                try? FileManager.default.removeItem(at: destination)
            }
            throw error
        }
    }

    /// Registers in one audited transaction; an upload's file is moved into place
    /// inside it (so it is never retried, unlike other writes).
    private func register(
        _ request: Request, _ principal: Principal, name: String, version: String, source: URL, storeAt: URL? = nil,
        rules: DatasetRules
    ) throws -> Response {
        do {
            let id = try registry.write(
                request, principal: principal, action: "dataset.register", target: "dataset:\(name)@\(version)",
                retrying: false
            ) { c in
                try registry.datasets.register(
                    c, name: name, version: version, source: source, storeAt: storeAt, rules: rules)
            }
            return .json(DatasetAnswer(try registry.datasets.dataset(id: id)), status: 201)
        } catch let rejection as DatasetRejected {
            return rejection.response
        }
    }

    func listDatasets(_ request: Request, _ principal: Principal) throws -> Response {
        let page = try registry.datasets.list(
            name: request.query["name"], limit: try Self.limit(request), pageToken: request.query["page_token"])
        return .json(PageBody(items: page.items.map(DatasetAnswer.init), nextPageToken: page.nextPageToken))
    }

    func getDataset(_ request: Request, _ principal: Principal) throws -> Response {
        let dataset = try registry.datasets.dataset(
            name: try request.parameter("name"), version: try request.parameter("version"))
        var body = DatasetAnswer(dataset)
        (body.derived, body.trainedBy) = try registry.datasets.lineage(of: dataset.id)
        return .json(body)
    }
}
