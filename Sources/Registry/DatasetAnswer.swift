import Foundation
import HTTPKit
import TextFeatures

/// A dataset version as the API answers it.
public struct DatasetAnswer: Encodable {
    let id: String, name: String, version: String, uri: String, sha256: String, rows: Int
    let labelCounts: [String: Int], validation: ValidationReport, profile: ReferenceProfile?, createdAt: Date
    let parent: String?, sources: [DatasetSource]
    /// Lineage downwards, on a single version's answer only: versions built from it,
    /// and the runs trained on it with the model versions they registered.
    var derived: [String]?, trainedBy: [DatasetStore.Use]?
    public init(_ d: Dataset) {
        id = String(d.id)
        name = d.name
        version = d.version
        uri = d.uri
        sha256 = d.sha256
        rows = d.rows
        labelCounts = d.labelCounts
        validation = d.validation
        profile = d.profile
        createdAt = d.createdAt
        parent = d.sources.first { $0.kind == "dataset" }?.dataset
        sources = d.sources
    }
    enum CodingKeys: String, CodingKey {
        case id, name, version, uri, sha256, rows, validation, profile, parent, sources, derived
        case labelCounts = "label_counts", createdAt = "created_at", trainedBy = "trained_by"
    }
}

extension DatasetRejected {
    /// The validation report travels with the 422 so the caller sees every problem.
    public var response: Response {
        struct Envelope: Encodable {
            struct Detail: Encodable {
                let code: String
                let message: String
                let report: ValidationReport
            }
            let error: Detail
        }
        return .json(
            Envelope(
                error: .init(
                    code: "validation_failed", message: report.errors.joined(separator: "; "),
                    report: report)), status: 422)
    }
}
