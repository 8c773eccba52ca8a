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

    /// Reads a dataset into `ingest` and returns its digest: a directory with
    /// train/validation/test.csv (the train split is the reference; the digest follows
    /// docs/contracts.md), or one CSV/JSONL file (the reference; its bytes' digest).
    private func read(_ path: URL, into ingest: inout DatasetIngest, name: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw RegistryError.invalid("no dataset at \(path.path)")
        }
        let files =
            isDirectory.boolValue
            ? ["train", "validation", "test"].map { path.appendingPathComponent("\($0).csv") } : [path]
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
                }, onRow: { text, label in try ingest.add(text: text, label: label, reference: index == 0) })
            digests.append(hasher.finalizeHex())
        }
        return isDirectory.boolValue ? SHA256.hex(digests.joined()) : digests[0]
    }

    /// Registers `source` as `name@version` in the caller's transaction: refused
    /// with 409 when it exists, 422 (`DatasetRejected`) when validation fails. With
    /// `storeAt` (an upload), the file is moved there last, once the row is inserted:
    /// a refused upload never touches a registered dataset's file, and a transaction
    /// that fails afterwards must remove it (the caller does).
    func register(
        _ c: PostgresConnection, name: String, version: String, source: URL, storeAt destination: URL? = nil,
        rules: DatasetRules
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
        let sha256 = try read(source, into: &ingest, name: "\(name)@\(version)")
        let report = try ingest.report()
        guard report.passed else { throw DatasetRejected(report: report) }
        let profile = ingest.profile(source: "\(name)@\(version)")
        let schema = #"{"columns": ["text", "label"], "labels": \#(try JSON.text(rules.labels))}"#
        let id: Int64
        do {
            id = try c.query(
                """
                INSERT INTO steward.datasets (name, version, uri, sha256, rows, schema, label_counts, validation,
                    profile)
                VALUES (\(name), \(version), \((destination ?? source).absoluteString), \(sha256), \(report.rows),
                    \(schema)::jsonb, \(try JSON.text(report.labelCounts))::jsonb, \(try JSON.text(report))::jsonb,
                        \(try JSON.text(profile))::jsonb) RETURNING id
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
        + "profile::text AS profile, created_at"

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
            createdAt: try row.get("created_at"))
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

    func dataset(id: Int64) throws -> Dataset {
        guard let row = try pool.query("SELECT \(raw: Self.columns) FROM steward.datasets WHERE id = \(id)").first
        else {
            throw RegistryError.notFound("dataset \(id) not found")
        }
        return try dataset(from: row)
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
struct DatasetRejected: Error {
    let report: ValidationReport
}
