import Digest
import Foundation
import HTTPKit
import Postgres
import Telemetry
import TextFeatures

/// Registers dataset versions: digest, counts, validation and the reference
/// profile of the training texts.
final class DatasetStore: Sendable {
    let pool: PostgresPool
    let tokenizer: WordPieceTokenizer?
    let logger: Logger?

    init(pool: PostgresPool, tokenizer: WordPieceTokenizer?, logger: Logger? = nil) {
        self.pool = pool
        self.tokenizer = tokenizer
        self.logger = logger
    }

    static func validate(
        rows total: Int, emptyTexts empty: Int, duplicates: Int, labelCounts: [String: Int],
        unknownLabels unknown: [String: Int], rules: DatasetRules
    ) -> ValidationReport {
        let largest = total == 0 ? 0 : Double(labelCounts.values.max() ?? 0) / Double(total)
        var errors: [String] = [], warnings: [String] = []
        if total == 0 { errors.append("the dataset has no rows") }
        if empty > 0 { errors.append("\(empty) rows have an empty text") }
        if !unknown.isEmpty {
            errors.append(
                "labels outside \(rules.labels): "
                    + unknown.keys.sorted().map { "\($0.debugDescription) (\(unknown[$0]!))" }.joined(separator: ", "))
        }
        if total > 0, largest > rules.maxLabelShare {
            errors.append(
                String(
                    format: "label balance: the largest label has %.1f%% of rows (limit %.1f%%)", largest * 100,
                    rules.maxLabelShare * 100))
        }
        if total > 0, Double(duplicates) / Double(total) > rules.maxDuplicateShare {
            errors.append("\(duplicates) duplicated texts (more than \(Int(rules.maxDuplicateShare * 100))% of rows)")
        } else if duplicates > 0 {
            warnings.append("\(duplicates) duplicated texts")
        }
        for label in rules.labels where labelCounts[label] == nil && total > 0 {
            warnings.append("no rows labelled \(label)")
        }
        return ValidationReport(
            passed: errors.isEmpty, rows: total, emptyTexts: empty, unknownLabels: unknown, duplicates: duplicates,
            labelCounts: labelCounts, largestLabelShare: largest, errors: errors, warnings: warnings)
    }

    /// Reads a dataset into `ingest` and returns its digest and reference split: a
    /// directory with train/validation/test.csv and, when built from feedback,
    /// production.csv (the reference is the production split when there is one, the
    /// traffic the model is trained for, else the train split; the digest follows
    /// docs/contracts.md), or one CSV/JSONL file (the reference; its bytes' digest).
    private func read(
        _ path: URL, into ingest: inout DatasetIngest, name: String
    ) throws -> (
        sha256: String, reference: String?
    ) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw RegistryError.invalid("no dataset at \(path.path)")
        }
        let splits = isDirectory.boolValue ? Dataset.splitNames(in: path) : []
        let reference =
            isDirectory.boolValue ? splits.last == Dataset.productionSplit ? Dataset.productionSplit : "train" : nil
        let files = isDirectory.boolValue ? splits.map { path.appendingPathComponent("\($0).csv") } : [path]
        var digests: [String] = []
        var bytes = 0, reported = Date()
        for (index, file) in files.enumerated() {
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw RegistryError.invalid("dataset directory \(path.path) has no \(file.lastPathComponent)")
            }
            let hasher = SHA256Hasher()
            try LabelledText.read(
                file: file,
                onChunk: { chunk in
                    hasher.update(chunk)
                    bytes += chunk.count
                    if reported.timeIntervalSinceNow < -10 {
                        reported = Date()
                        logger?.info(
                            "reading a dataset",
                            ["dataset": .string(name), "mib": .int(bytes >> 20), "rows": .int(ingest.rows)])
                    }
                },
                onRow: { text, label in
                    try ingest.add(text: text, label: label, reference: splits.isEmpty || splits[index] == reference)
                })
            digests.append(hasher.finalizeHex())
        }
        return (isDirectory.boolValue ? SHA256.hex(digests.joined()) : digests[0], reference)
    }

    /// Registers `source` as `name@version` in the caller's transaction: refused
    /// with 409 when it exists, 422 (`DatasetRejected`) when validation fails. With
    /// `storeAt` (an upload), the file is moved there last, once the row is inserted:
    /// a refused upload never touches a registered dataset's file, and a transaction
    /// that fails afterwards must remove it (the caller does). `lineage` says what a
    /// version built from others came from.
    func register(
        _ c: PostgresConnection, name: String, version: String, source: URL, storeAt destination: URL? = nil,
        rules: DatasetRules, lineage: DatasetLineage? = nil
    ) throws -> Int64 {
        guard Validation.isName(name), Validation.isName(version) else {
            throw RegistryError.invalid("dataset name and version must be 1-128 letters, digits, '.', '_' or '-'")
        }
        if let existing = try c.query("SELECT id FROM steward.datasets WHERE name = \(name) AND version = \(version)")
            .first
        {
            let id: Int64 = try existing.get("id")
            throw RegistryError.alreadyExists("dataset \(name) version \(version) exists", existingID: String(id))
        }
        var ingest = try DatasetIngest(connection: c, rules: rules, tokenizer: tokenizer)
        let (sha256, reference) = try read(source, into: &ingest, name: "\(name)@\(version)")
        let report = try ingest.report()
        guard report.passed else { throw DatasetRejected(report: report) }
        let profile = ingest.profile(source: "\(name)@\(version)" + (reference.map { "/\($0)" } ?? ""))
        let schema = #"{"columns": ["text", "label"], "labels": \#(try JSON.text(rules.labels))}"#
        let id: Int64
        do {
            id = try c.query(
                """
                INSERT INTO steward.datasets (name, version, uri, sha256, rows, schema, label_counts, validation,
                    profile, parent_id, sources)
                VALUES (\(name), \(version), \((destination ?? source).absoluteString), \(sha256), \(report.rows),
                    \(schema)::jsonb, \(try JSON.text(report.labelCounts))::jsonb, \(try JSON.text(report))::jsonb,
                    \(try JSON.text(profile))::jsonb, \(lineage?.parentID),
                    \(try JSON.text(lineage?.sources ?? []))::jsonb) RETURNING id
                """
            ).first!.get("id")
        } catch let error as PostgresError {
            throw error.asAlreadyExists("dataset \(name) version \(version) exists")
        }
        // The raw reference values too: Evidently's binning needs both samples.
        let columns = ingest.referenceColumns
        let rows = columns.keys.sorted().lazy.flatMap { feature in
            columns[feature]!.lazy.map { [id, feature, $0] as [any PostgresEncodable] }
        }
        _ = try c.copyIn(table: "steward.reference_values", columns: ["dataset_id", "feature", "value"], rows: rows)
        if let destination {
            try FileManager.default.createDirectory(
                at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard rename(source.path, destination.path) == 0 else {
                throw RegistryError.invalid("cannot store the upload: \(String(cString: strerror(errno)))")
            }
        }
        return id
    }

    private static let columns =
        "id, name, version, uri, sha256, rows, label_counts::text AS label_counts, validation::text AS validation, "
        + "profile::text AS profile, created_at, parent_id, sources::text AS sources"

    private func dataset(from row: PostgresRow) throws -> Dataset {
        let decoder = JSONDecoder()
        let profileText: String? = try row.get("profile")
        let labelCounts = try decoder.decode(
            [String: Int].self, from: Data(try row.get("label_counts", as: String.self).utf8))
        return Dataset(
            id: try row.get("id"), name: try row.get("name"), version: try row.get("version"), uri: try row.get("uri"),
            sha256: try row.get("sha256"), rows: try row.get("rows"), labelCounts: labelCounts,
            validation: try decoder.decode(
                ValidationReport.self, from: Data(try row.get("validation", as: String.self).utf8)),
            profile: try profileText.map { try decoder.decode(ReferenceProfile.self, from: Data($0.utf8)) },
            createdAt: try row.get("created_at"), parentID: try row.get("parent_id"),
            sources: try decoder.decode([DatasetSource].self, from: Data(try row.get("sources", as: String.self).utf8)))
    }

    func dataset(name: String, version: String) throws -> Dataset {
        guard
            let row = try pool.query(
                "SELECT \(raw: Self.columns) FROM steward.datasets WHERE name = \(name) AND version = \(version)"
            ).first
        else {
            throw RegistryError.notFound("dataset \(name) version \(version) not found")
        }
        return try dataset(from: row)
    }

    func dataset(id: Int64) throws -> Dataset { try pool.withConnection { try dataset($0, id: id) } }

    func dataset(_ c: PostgresConnection, id: Int64) throws -> Dataset {
        guard let row = try c.query("SELECT \(raw: Self.columns) FROM steward.datasets WHERE id = \(id)").first else {
            throw RegistryError.notFound("dataset \(id) not found")
        }
        return try dataset(from: row)
    }

    /// A run trained on a dataset version, and the model version it registered.
    struct Use: Encodable {
        let runID: String, model: String?, version: Int?
        enum CodingKeys: String, CodingKey { case runID = "run_id", model, version }
    }

    /// Lineage downwards: the versions built from `id`, and the runs trained on it
    /// with the model versions they registered (newest first, at most 100 of each).
    func lineage(of id: Int64) throws -> (derived: [String], trainedBy: [Use]) {
        let derived = try pool.query(
            "SELECT name, version FROM steward.datasets WHERE parent_id = \(id) ORDER BY id DESC LIMIT 100"
        ).map { "\(try $0.get("name", as: String.self))@\(try $0.get("version", as: String.self))" }
        let runs = try pool.query(
            """
            SELECT r.id, m.name, v.version FROM steward.runs r
            LEFT JOIN steward.model_versions v ON v.run_id = r.id
            LEFT JOIN steward.registered_models m ON m.id = v.model_id
            WHERE r.dataset_id = \(id) ORDER BY r.start_time DESC, v.version LIMIT 100
            """
        ).map { Use(runID: try $0.get("id"), model: try $0.get("name"), version: try $0.get("version")) }
        return (derived, runs)
    }

    /// The dataset version a run trained on, if it names one.
    func trainedOn(runID: String) throws -> Dataset? {
        try pool.query(
            """
            SELECT \(raw: Self.columns) FROM steward.datasets WHERE id = (SELECT dataset_id FROM steward.runs WHERE
                id = \(runID))
            """
        ).first.map(dataset(from:))
    }

    /// The next whole-number version of `name` ("1" when it has none), for a
    /// version Steward builds itself.
    func nextVersion(_ c: PostgresConnection, name: String) throws -> String {
        let newest: Int64? = try c.query(
            """
            SELECT max(version::numeric)::bigint AS v FROM steward.datasets WHERE name = \(name) AND
                version ~ '^[0-9]{1,18}$'
            """
        ).first?.get("v")
        return String((newest ?? 0) + 1)
    }

    func list(name: String?, limit: Int, pageToken: String?) throws -> Page<Dataset> {
        let offset = try PageToken.decode(pageToken)
        let items = try pool.query(
            """
            SELECT \(raw: Self.columns) FROM steward.datasets WHERE (\(name)::text IS NULL OR name = \(name)) ORDER BY
                id DESC LIMIT \(limit) OFFSET \(offset)
            """
        ).map(dataset(from:))
        return Page(items: items, nextPageToken: PageToken.next(offset: offset, returned: items.count, limit: limit))
    }
}

/// Validation failed: nothing was stored; the report says why.
public struct DatasetRejected: Error {
    public let report: ValidationReport
}
