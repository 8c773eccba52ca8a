import Digest
import Foundation
import HTTPKit
import Postgres
import Telemetry
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
    /// The version it was built from, if any, and where its rows came from.
    public var parentID: Int64?
    public var sources: [DatasetSource]

    public var label: String { "\(name)@\(version)" }

    /// A dataset directory's split files in digest order; `production` (labelled
    /// production feedback, in a version built from feedback) is the optional last.
    public static let splits = ["train", "validation", "test"]
    public static let productionSplit = "production"

    /// The splits a dataset folder holds, in digest order: the three, then production
    /// when the folder has one.
    public static func splitNames(in directory: URL) -> [String] {
        let production = directory.appendingPathComponent("\(productionSplit).csv")
        return splits + (FileManager.default.fileExists(atPath: production.path) ? [productionSplit] : [])
    }
}

/// Where a dataset version's rows came from: another version (`kind` "dataset"),
/// or a window of labelled production feedback for a model (`kind` "feedback";
/// the window's times and the ids of its first and last feedback rows).
public struct DatasetSource: Codable, Sendable, Equatable {
    public var kind: String
    public var rows: Int
    public var dataset: String?
    public var sha256: String?
    public var model: String?
    public var from: String?
    public var to: String?
    public var firstFeedbackID: Int64?
    public var lastFeedbackID: Int64?

    public static func dataset(_ parent: Dataset) -> DatasetSource {
        DatasetSource(kind: "dataset", rows: parent.rows, dataset: parent.label, sha256: parent.sha256)
    }

    public static func feedback(
        model: String, from: Date, to: Date, rows: Int, ids: ClosedRange<Int64>?
    )
        -> DatasetSource
    {
        DatasetSource(
            kind: "feedback", rows: rows, model: model, from: Timestamp.iso8601(from), to: Timestamp.iso8601(to),
            firstFeedbackID: ids?.lowerBound, lastFeedbackID: ids?.upperBound)
    }

    enum CodingKeys: String, CodingKey {
        case kind, rows, dataset, sha256, model, from, to
        case firstFeedbackID = "first_feedback_id", lastFeedbackID = "last_feedback_id"
    }
}

/// What a version built from others records: its parent and its sources.
public struct DatasetLineage: Sendable {
    public var parentID: Int64?
    public var sources: [DatasetSource]
    public init(parentID: Int64?, sources: [DatasetSource]) {
        self.parentID = parentID
        self.sources = sources
    }
}
