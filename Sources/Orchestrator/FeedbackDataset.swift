import Digest
import Foundation
import HTTPKit
import Monitor
import Postgres
import Registry
import Telemetry

/// A retrain's data as a dataset version of its own: the parent version's split
/// files copied byte for byte, plus the labelled production feedback posted for a
/// model since a time as the `production` split (one row per text, its newest
/// label), under the parent's name with the next whole-number version, and a
/// manifest the trainer checks every byte against. Its reference profile is the
/// production split's (docs/drift-and-rollouts.md says why), and it records its
/// sources: the parent version and the feedback window with its row count.
public struct FeedbackDataset: Sendable {
    let registry: RegistryService

    public init(registry: RegistryService) { self.registry = registry }

    /// Builds and registers it in the caller's transaction (a refused or failed
    /// build leaves no row and no files; the caller audits it).
    public func register(
        _ c: PostgresConnection, parent: Dataset, model: String, since: Date, now: Date = Date()
    )
        throws -> Dataset
    {
        let parentDirectory = try Self.splitDirectory(of: parent)
        let rows = Self.latestLabels(try FeedbackStore.labelled(c, model: model, since: since))
        guard !rows.isEmpty else {
            throw RegistryError.invalid(
                "no labelled feedback for model \(model) since \(Timestamp.iso8601(since)) to add to \(parent.label)")
        }
        // One builder per dataset name at a time: the version number and its folder are ours until commit.
        _ = try c.query("SELECT pg_advisory_xact_lock(hashtext(\("steward.dataset:" + parent.name)))")
        let version = try registry.nextDatasetVersion(c, name: parent.name)
        let datasets = registry.artifacts.root.appendingPathComponent("datasets")
        let destination = datasets.appendingPathComponent("\(parent.name)/\(version)")
        // A folder without a row is what a transaction that failed after the move left behind.
        try? FileManager.default.removeItem(at: destination)
        let build = datasets.appendingPathComponent(".build-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: build) }
        do {
            try FileManager.default.createDirectory(at: build, withIntermediateDirectories: true)
            // The parent's folder is not Steward's: its files are copied, then the copies checked against the
            // version's registered digest (files changed since it was registered are refused).
            let parentFiles = Dataset.splitNames(in: parentDirectory).map {
                parentDirectory.appendingPathComponent("\($0).csv")
            }
            let copies = parentFiles.map { build.appendingPathComponent("parent-" + $0.lastPathComponent) }
            for (file, copy) in zip(parentFiles, copies) { try FileManager.default.copyItem(at: file, to: copy) }
            let copied = SHA256.hex(try copies.map { try digest($0) }.joined())
            guard copied == parent.sha256 else {
                throw RegistryError.invalid(
                    "the files of \(parent.label) changed since it was registered (sha256 \(copied.prefix(12)), "
                        + "registered \(parent.sha256.prefix(12))): register them as a new version first")
            }
            for (split, copy) in zip(Dataset.splits, copies) {
                try FileManager.default.moveItem(at: copy, to: build.appendingPathComponent("\(split).csv"))
            }
            // A parent built from feedback itself: its production rows become ordinary training rows.
            if copies.count > Dataset.splits.count {
                try Self.append(rowsOf: copies[Dataset.splits.count], to: build.appendingPathComponent("train.csv"))
                try FileManager.default.removeItem(at: copies[Dataset.splits.count])
            }
            var splits: [String: Manifest.Split] = [:]
            for split in Dataset.splits {
                let file = build.appendingPathComponent("\(split).csv")
                splits[split] = .init(file: file.lastPathComponent, sha256: try digest(file), rows: nil)
            }
            let production = build.appendingPathComponent("\(Dataset.productionSplit).csv")
            try Data(Self.csv(rows).utf8).write(to: production)
            splits[Dataset.productionSplit] = .init(
                file: production.lastPathComponent, sha256: try digest(production), rows: rows.count)
            let ids = rows.map(\.id)
            let sources: [DatasetSource] = [
                .dataset(parent),
                .feedback(model: model, from: since, to: now, rows: rows.count, ids: ids.min()!...ids.max()!)
            ]
            let labels = parent.labelCounts.keys.sorted()
            let order = Dataset.splits + [Dataset.productionSplit]
            let manifest = Manifest(
                name: parent.name, version: version, labels: labels, rows: parent.rows + rows.count, splits: splits,
                sha256: SHA256.hex(order.compactMap { splits[$0]?.sha256 }.joined()), sources: sources)
            try Data(try JSON.text(manifest).utf8).write(to: build.appendingPathComponent("manifest.json"))
            return try registry.registerBuiltDataset(
                c, name: parent.name, version: version, directory: build, storeAt: destination, labels: labels,
                lineage: DatasetLineage(parentID: parent.id, sources: sources))
        } catch {
            try? FileManager.default.removeItem(at: destination)
            throw error
        }
    }

    /// The manifest of docs/contracts.md, with the production split and the sources.
    struct Manifest: Encodable {
        struct Split: Encodable { let file: String, sha256: String, rows: Int? }
        let format = 1
        let name: String, version: String
        let columns = ["text", "label"]
        let labels: [String], rows: Int, splits: [String: Split], sha256: String
        let referenceSplit = Dataset.productionSplit
        let sources: [DatasetSource]
        enum CodingKeys: String, CodingKey {
            case format, name, version, columns, labels, rows, splits, sha256, sources
            case referenceSplit = "reference_split"
        }
    }

    private func digest(_ file: URL) throws -> String { try SHA256.hex(fileAt: file.path) }

    /// Appends a `text,label` CSV's rows (its header left out) to another one's.
    static func append(rowsOf source: URL, to target: URL) throws {
        let rows = try Data(contentsOf: source)
        guard let headerEnd = rows.firstIndex(of: UInt8(ascii: "\n")) else { return }
        let handle = try FileHandle(forUpdating: target)
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        if end > 0 {
            try handle.seek(toOffset: end - 1)
            if try handle.read(upToCount: 1) != Data([UInt8(ascii: "\n")]) {
                try handle.write(contentsOf: Data("\n".utf8))
            }
        }
        try handle.write(contentsOf: rows[rows.index(after: headerEnd)...])
    }

    /// The parent's folder of split files; a version registered from one file has none.
    static func splitDirectory(of parent: Dataset) throws -> URL {
        guard let url = URL(string: parent.uri), url.isFileURL,
            Dataset.splits.allSatisfy({
                FileManager.default.fileExists(atPath: url.appendingPathComponent("\($0).csv").path)
            })
        else {
            throw RegistryError.invalid(
                "\(parent.label) is not a folder of train/validation/test.csv splits (\(parent.uri)): a retrain "
                    + "needs one to add production feedback to")
        }
        return url
    }

    /// One row per text, with its newest label, in the order of those labels;
    /// blank texts are left out.
    static func latestLabels(_ rows: [FeedbackStore.Labelled]) -> [FeedbackStore.Labelled] {
        var newest: [String: FeedbackStore.Labelled] = [:]
        for row in rows where !row.text.allSatisfy(\.isWhitespace) { newest[row.text] = row }
        return newest.values.sorted { $0.id < $1.id }
    }

    /// `text,label` with every field quoted (RFC 4180).
    static func csv(_ rows: [FeedbackStore.Labelled]) -> String {
        func quoted(_ field: String) -> String { "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return rows.reduce(into: "text,label\n") { $0 += "\(quoted($1.text)),\(quoted($1.label))\n" }
    }
}
