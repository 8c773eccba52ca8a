import Foundation
import Postgres
import TextFeatures

/// One served request as `steward.prediction_log` keeps it: the one record type
/// that steward-serve and the local split write and the monitor's rollups, drift
/// windows and the canary analysis read.
///
/// An answered request is one record per text (`textIndex` 0, 1, ...) with its
/// label, confidence and features; a failed one is a single record (`textIndex` 0)
/// with its real status and an error code. Request-level signals (error rates,
/// latency) count `textIndex == 0`; text-level ones (drift, confidence) the records
/// with a label.
public struct ServedRequest: Sendable, Equatable {
    /// Who saw the request.
    public enum Source: String, Sendable {
        /// steward-serve, for everything it answered.
        case serve
        /// The local split, for what only it sees: the canary unreachable or timing out.
        case split
    }

    public var at: Date
    public var modelName: String
    /// The version that answered; "" when none was loaded.
    public var modelVersion: String
    public var track: String
    /// From the request's arrival to its answer.
    public var latencyMilliseconds: Double
    public var status: Int
    /// The error's code for a failed request (e.g. `inference`, `text_too_long`, `canary_unreachable`).
    public var error: String?
    public var textIndex: Int
    public var label: String?
    public var confidence: Double?
    public var features: TextFeatures?
    public var requestID: String
    public var text: String?
    public var source: Source
    /// A copy of a live request whose answer went to no one (a shadow step's mirror).
    public var shadow: Bool

    public init(
        at: Date, modelName: String, modelVersion: String, track: String, latencyMilliseconds: Double, status: Int,
        error: String? = nil, textIndex: Int = 0, label: String? = nil, confidence: Double? = nil,
        features: TextFeatures? = nil,
        requestID: String, text: String? = nil, source: Source = .serve, shadow: Bool = false
    ) {
        self.at = at
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.track = track
        self.latencyMilliseconds = latencyMilliseconds
        self.status = status
        self.error = error
        self.textIndex = textIndex
        self.label = label
        self.confidence = confidence
        self.features = features
        self.requestID = requestID
        self.text = text
        self.source = source
        self.shadow = shadow
    }

    /// Server errors and timeouts count against a version; client errors (4xx) do not.
    public var isServerError: Bool { status >= 500 }

    static let columns = [
        "at", "model_name", "model_version", "track", "latency_ms", "status", "error", "text_index", "label",
        "confidence",
        "char_length", "word_count", "oov_share", "non_letter_share", "request_id", "text", "source", "shadow"
    ]

    var values: [any PostgresEncodable] {
        [
            at, modelName, modelVersion, track, latencyMilliseconds, status, error, textIndex, label, confidence,
            features?.charLength, features?.wordCount, features?.oovShare, features?.nonLetterShare, requestID, text,
            source.rawValue, shadow
        ]
    }

    /// Writes records in one COPY (the writer's batches; tests that need rows in the past).
    public static func copy(_ records: [ServedRequest], into connection: PostgresConnection) throws {
        try connection.copyIn(table: "steward.prediction_log", columns: columns, rows: records.lazy.map(\.values))
    }
}
