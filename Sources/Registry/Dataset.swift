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
}
