import Digest
import Foundation
import HTTPKit
import Postgres
import TextFeatures

/// A dataset version's validation: what is wrong (errors stop registration)
/// and what is worth knowing (warnings).
public struct ValidationReport: Codable, Sendable, Equatable {
    public var passed: Bool
    public var rows: Int
    public var emptyTexts: Int
    public var unknownLabels: [String: Int]
    public var duplicates: Int
    public var labelCounts: [String: Int]
    public var largestLabelShare: Double
    public var errors: [String]
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case passed, rows, duplicates, errors, warnings
        case emptyTexts = "empty_texts", unknownLabels = "unknown_labels", labelCounts = "label_counts"
        case largestLabelShare = "largest_label_share"
    }
}

public struct DatasetRules: Sendable, Equatable {
    public var labels: [String] = ["negative", "positive"]
    /// The largest label's share may not exceed this.
    public var maxLabelShare: Double = 0.8
    /// Duplicated texts beyond this share of rows fail validation.
    public var maxDuplicateShare: Double = 0.05
    public init() {}
}

public struct Dataset: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var version: String
    public var uri: String
    public var sha256: String
    public var rows: Int
    public var labelCounts: [String: Int]
    public var validation: ValidationReport
    public var profile: ReferenceProfile?
    public var createdAt: Date
}

/// Registers dataset versions: digest, counts, validation and the reference
/// profile of the training texts.
final class DatasetStore: Sendable {
    let pool: PostgresPool
    let tokenizer: WordPieceTokenizer?

    init(pool: PostgresPool, tokenizer: WordPieceTokenizer?) {
        self.pool = pool
        self.tokenizer = tokenizer
    }

    static func validate(_ rows: LabelledText.Rows, rules: DatasetRules) -> ValidationReport {
        var labelCounts: [String: Int] = [:], unknown: [String: Int] = [:]
        var seen = Set<String>(), duplicates = 0, empty = 0
        for (text, label) in zip(rows.texts, rows.labels) {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { empty += 1 }
            if !seen.insert(text).inserted { duplicates += 1 }
            if rules.labels.contains(label) { labelCounts[label, default: 0] += 1 } else { unknown[label, default: 0] += 1 }
        }
        let total = rows.texts.count
        let largest = total == 0 ? 0 : Double(labelCounts.values.max() ?? 0) / Double(total)
        var errors: [String] = [], warnings: [String] = []
        if total == 0 { errors.append("the dataset has no rows") }
        if empty > 0 { errors.append("\(empty) rows have an empty text") }
        if !unknown.isEmpty {
            errors.append("labels outside \(rules.labels): " + unknown.keys.sorted().map { "\($0.debugDescription) (\(unknown[$0]!))" }.joined(separator: ", "))
        }
        if total > 0, largest > rules.maxLabelShare {
            errors.append(String(format: "label balance: the largest label has %.1f%% of rows (limit %.1f%%)", largest * 100, rules.maxLabelShare * 100))
        }
        if total > 0, Double(duplicates) / Double(total) > rules.maxDuplicateShare {
            errors.append("\(duplicates) duplicated texts (more than \(Int(rules.maxDuplicateShare * 100))% of rows)")
        } else if duplicates > 0 {
            warnings.append("\(duplicates) duplicated texts")
        }
        for label in rules.labels where labelCounts[label] == nil && total > 0 { warnings.append("no rows labelled \(label)") }
        return ValidationReport(passed: errors.isEmpty, rows: total, emptyTexts: empty, unknownLabels: unknown, duplicates: duplicates,
                                labelCounts: labelCounts, largestLabelShare: largest, errors: errors, warnings: warnings)
    }

    /// Reads a dataset: a directory with train/validation/test.csv (the train
    /// split is profiled; its digest follows docs/contracts.md), or one CSV/JSONL file.
    static func load(path: URL) throws -> (rows: LabelledText.Rows, reference: LabelledText.Rows, sha256: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw RegistryError.invalid("no dataset at \(path.path)")
        }
        guard isDirectory.boolValue else {
            let rows = try LabelledText.read(file: path)
            return (rows, rows, try SHA256.hex(fileAt: path.path))
        }
        var all = LabelledText.Rows(columns: ["text", "label"])
        var reference = all
        var digests: [String] = []
        for split in ["train", "validation", "test"] {
            let file = path.appendingPathComponent("\(split).csv")
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw RegistryError.invalid("dataset directory \(path.path) has no \(split).csv")
            }
            let rows = try LabelledText.read(file: file)
            if split == "train" { reference = rows }
            all.texts += rows.texts
            all.labels += rows.labels
            digests.append(try SHA256.hex(fileAt: file.path))
        }
        return (all, reference, SHA256.hex(digests.joined()))
    }

    func register(_ c: PostgresConnection, name: String, version: String, path: URL, rules: DatasetRules) throws -> Int64 {
        guard Validation.isName(name), Validation.isName(version) else {
            throw RegistryError.invalid("dataset name and version must be 1-128 letters, digits, '.', '_' or '-'")
        }
        if let existing = try c.query("SELECT id FROM steward.datasets WHERE name = $1 AND version = $2", [name, version]).first {
            let id: Int64 = try existing.get("id")
            throw RegistryError.alreadyExists("dataset \(name) version \(version) exists", existingID: String(id))
        }
        let loaded = try Self.load(path: path)
        let report = Self.validate(loaded.rows, rules: rules)
        guard report.passed else { throw DatasetRejected(report: report) }
        let columns = ReferenceProfile.featureColumns(texts: loaded.reference.texts, tokenizer: tokenizer)
        let profile = ReferenceProfile(source: "\(name)@\(version)", columns: columns, labels: loaded.reference.labels)
        let schema = #"{"columns": ["text", "label"], "labels": \#(try JSON.text(rules.labels))}"#
        do {
            let id: Int64 = try c.query("""
                INSERT INTO steward.datasets (name, version, uri, sha256, rows, schema, label_counts, validation, profile)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9::jsonb) RETURNING id
                """, [name, version, path.absoluteString, loaded.sha256, report.rows, schema,
                      try JSON.text(report.labelCounts),
                      try JSON.text(report),
                      try JSON.text(profile)]).first!.get("id")
            // The raw reference values too: Evidently's binning needs both samples.
            let rows = columns.keys.sorted().flatMap { feature in columns[feature]!.map { [id, feature, $0] as [any PostgresEncodable] } }
            _ = try c.copyIn(table: "steward.reference_values", columns: ["dataset_id", "feature", "value"], rows: rows)
            return id
        } catch let error as PostgresError {
            throw error.asAlreadyExists("dataset \(name) version \(version) exists")
        }
    }

    private static let columns = "id, name, version, uri, sha256, rows, label_counts::text AS label_counts, validation::text AS validation, profile::text AS profile, created_at"

    private func dataset(from row: PostgresRow) throws -> Dataset {
        let decoder = JSONDecoder()
        let profileText: String? = try row.get("profile")
        let labelCounts = try decoder.decode([String: Int].self, from: Data(try row.get("label_counts", as: String.self).utf8))
        return Dataset(id: try row.get("id"), name: try row.get("name"), version: try row.get("version"), uri: try row.get("uri"),
                       sha256: try row.get("sha256"), rows: try row.get("rows"), labelCounts: labelCounts,
                       validation: try decoder.decode(ValidationReport.self, from: Data(try row.get("validation", as: String.self).utf8)),
                       profile: try profileText.map { try decoder.decode(ReferenceProfile.self, from: Data($0.utf8)) },
                       createdAt: try row.get("created_at"))
    }

    func dataset(name: String, version: String) throws -> Dataset {
        guard let row = try pool.query("SELECT \(Self.columns) FROM steward.datasets WHERE name = $1 AND version = $2", [name, version]).first else {
            throw RegistryError.notFound("dataset \(name) version \(version) not found")
        }
        return try dataset(from: row)
    }

    func dataset(id: Int64) throws -> Dataset {
        guard let row = try pool.query("SELECT \(Self.columns) FROM steward.datasets WHERE id = $1", [id]).first else {
            throw RegistryError.notFound("dataset \(id) not found")
        }
        return try dataset(from: row)
    }

    func list(name: String?, limit: Int, pageToken: String?) throws -> Page<Dataset> {
        let offset = try PageToken.decode(pageToken)
        let items = try pool.query("""
            SELECT \(Self.columns) FROM steward.datasets WHERE ($1::text IS NULL OR name = $1) ORDER BY id DESC LIMIT $2 OFFSET $3
            """, [name, limit, offset]).map(dataset(from:))
        return Page(items: items, nextPageToken: PageToken.next(offset: offset, returned: items.count, limit: limit))
    }
}

/// Validation failed: nothing was stored; the report says why.
struct DatasetRejected: Error {
    let report: ValidationReport
}
