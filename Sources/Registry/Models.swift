import Foundation

public enum Stage: String, Sendable, CaseIterable, Codable {
    case none = "None", staging = "Staging", production = "Production", archived = "Archived"

    /// Accepts MLflow's spellings, case-insensitively.
    public init(parsing text: String) throws(RegistryError) {
        guard let stage = Self.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw .invalid(
                "Invalid Model Version stage: \(text). Value must be one of None, Staging, Production, Archived.")
        }
        self = stage
    }
}

/// A version number as a path segment or parameter spells it: 1 up to the column's
/// range (PostgreSQL integer), checked before anything reaches the database.
public enum VersionNumber {
    public static func parse(_ text: String) -> Int? {
        guard let version = Int32(text), version > 0 else { return nil }
        return Int(version)
    }

    public static let invalidMessage = "version must be an integer in 1...\(Int32.max)"
}

public struct ModelVersion: Sendable, Equatable {
    public var id: Int64
    public var modelName: String
    public var version: Int
    public var source: String
    public var runID: String?
    public var status: String
    public var stage: Stage
    public var description: String
    public var tags: [String: String]
    public var artifactSHA256: String?
    /// The source run's metrics when the version was made.
    public var metrics: [String: Double]
    public var aliases: [String]
    public var creationTime: Int64
    public var lastUpdateTime: Int64
}

public struct RegisteredModel: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var description: String
    public var tags: [String: String]
    public var policy: String?
    public var creationTime: Int64
    public var lastUpdateTime: Int64
    public var aliases: [String: Int]
    /// The newest version in each stage.
    public var latestVersions: [ModelVersion]
}

/// An MLflow 3 logged model: the `models:/m-...` handle that `register_model`
/// creates for `runs:/<id>/model` and resolves to the run's artifacts.
public struct LoggedModel: Sendable, Equatable {
    public var id: String
    public var experimentID: Int64
    public var runID: String?
    public var name: String
    public var artifactURI: String
    public var status: String
    public var tags: [String: String]
    public var params: [String: String]
    public var creationTime: Int64
    public var lastUpdateTime: Int64
}
