import Foundation

/// Milliseconds since the epoch, MLflow's clock.
typealias Millis = Int64

func nowMillis() -> Millis { Millis((Date().timeIntervalSince1970 * 1000).rounded()) }

public struct Experiment: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var artifactLocation: String
    public var lifecycleStage: String
    public var tags: [String: String]
    public var creationTime: Int64
    public var lastUpdateTime: Int64
}

public enum RunStatus: String, Sendable, CaseIterable, Codable {
    case queued = "QUEUED", scheduled = "SCHEDULED", submitted = "SUBMITTED", running = "RUNNING"
    case finished = "FINISHED", failed = "FAILED", killed = "KILLED"

    public var isTerminal: Bool { self == .finished || self == .failed || self == .killed }
    /// The statuses MLflow's protocol knows; Steward's own ones map onto them.
    var mlflowName: String {
        switch self {
        case .queued, .submitted: "SCHEDULED"
        default: rawValue
        }
    }
}

public struct MetricPoint: Sendable, Equatable {
    public var key: String
    public var value: Double
    public var timestamp: Int64
    public var step: Int64
}

public struct DatasetInput: Sendable, Equatable {
    public var name: String
    public var digest: String
    public var sourceType: String
    public var source: String
    public var schema: String
    public var profile: String
    public var tags: [String: String]
}

public struct Run: Sendable, Equatable {
    public var id: String
    public var experimentID: Int64
    public var name: String
    public var status: RunStatus
    public var lifecycleStage: String
    public var userID: String
    public var startTime: Int64
    public var endTime: Int64?
    public var artifactURI: String
    public var datasetID: Int64?
    public var parentRunID: String?
    public var jobName: String?
    public var failureReason: String?
    public var params: [String: String] = [:]
    public var tags: [String: String] = [:]
    public var metrics: [MetricPoint] = []
    public var inputs: [DatasetInput] = []

    /// Where its artifacts live below the artifact root.
    public var artifactPrefix: String { "\(experimentID)/\(id)/artifacts" }
}

/// A page of results and the token for the next one (nil at the end).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextPageToken: String?
}

/// Offset-based page tokens, opaque to callers.
enum PageToken {
    static func decode(_ token: String?) throws(RegistryError) -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
              text.hasPrefix("o:"), let offset = Int(text.dropFirst(2)), offset >= 0 else {
            throw .invalid("invalid page_token")
        }
        return offset
    }

    static func next(offset: Int, returned: Int, limit: Int) -> String? {
        returned < limit ? nil : Data("o:\(offset + returned)".utf8).base64EncodedString()
    }
}

/// MLflow's limits on keys and values.
enum Limits {
    static let keyLength = 250
    static let paramValueLength = 6000
    static let tagValueLength = 8000
    static let batchMetrics = 1000
    static let batchParams = 100
    static let batchTags = 100
    static let batchTotal = 1000
    /// The largest `max_results` MLflow's searches accept.
    static let maxResults = 50_000
    /// The most items one page of a search holds, whatever `max_results` asks: a larger
    /// request gets this many and a next_page_token (the mlflow client's own search
    /// helpers follow it), so no single answer can hold the server's memory hostage.
    static let pageItems = 1000

    /// MLflow's `MAX_EXPERIMENT_TAG_VAL_LENGTH`.
    static let experimentTagValueLength = 20_000
    /// MLflow's `MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH`.
    static let registryTagValueLength = 100_000
    /// The width of MLflow's description columns (registered models and versions).
    static let descriptionLength = 5_000
    /// The widths of MLflow's run name, user and model version source columns.
    static let runNameLength = 250
    static let userIDLength = 256
    static let sourceLength = 500

    /// MLflow's `_validate_length_limit`, with its message. Lengths are Python's:
    /// code points, not grapheme clusters (an emoji with a skin tone is two).
    static func checkLength(_ value: String?, _ what: String, limit: Int) throws(RegistryError) {
        guard let value, value.unicodeScalars.count > limit else { return }
        throw .invalid("'\(what)' exceeds the maximum length of \(limit) characters")
    }

    /// Tags of experiments or of registered models and versions: keys and values within limits.
    static func checkTags(_ tags: [String: String], valueLimit: Int) throws(RegistryError) {
        for (key, value) in tags {
            try checkKey(key, "tag")
            try checkLength(value, "value", limit: valueLimit)
        }
    }

    static func checkKey(_ key: String, _ what: String) throws(RegistryError) {
        if key.isEmpty { throw .invalid("\(what) key must not be empty") }
        if key.unicodeScalars.count > keyLength { throw .invalid("\(what) key '\(key.prefix(40))...' is longer than \(keyLength) characters") }
        if key.hasPrefix("/") || key.split(separator: "/").contains("..") || key.contains("\0") {
            throw .invalid("\(what) key \(key.debugDescription) is not a valid name")
        }
    }
}
