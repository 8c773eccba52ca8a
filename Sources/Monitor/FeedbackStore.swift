import Foundation
import Postgres

/// True labels posted back for production texts (`steward.feedback`): live accuracy
/// per version, and extra training data for a retrain.
public struct FeedbackStore: Sendable {
    let pool: PostgresPool
    public init(pool: PostgresPool) { self.pool = pool }

    public struct Accuracy: Encodable, Sendable {
        public let version: String, labelled: Int, correct: Int, accuracy: Double
    }

    /// A label for a text; with `requestID`, joined to the prediction it got (version
    /// and predicted label) when the log has it. Returns the feedback's id.
    func add(_ c: PostgresConnection, model: String, requestID: String?, text: String, label: String) throws -> Int64 {
        var version: String?, predicted: String?
        if let requestID,
            let row = try c.query(
                """
                SELECT model_version, label FROM steward.prediction_log WHERE request_id = \(requestID) AND
                    model_name = \(model) AND NOT shadow LIMIT 1
                """
            ).first
        {
            version = try row.get("model_version")
            predicted = try row.get("label")
        }
        return try c.query(
            """
            INSERT INTO steward.feedback (model_name, request_id, text, label, model_version, predicted_label)
            VALUES (\(model), \(requestID), \(text), \(label), \(version), \(predicted)) RETURNING id
            """
        ).first!.get("id")
    }

    /// Per version, how many labelled predictions it made and how many were right.
    public func accuracy(model: String) throws -> [Accuracy] {
        try pool.query(
            """
            SELECT model_version, count(*) AS n, count(*) FILTER (WHERE predicted_label = label) AS correct
            FROM steward.feedback WHERE model_name = \(model) AND model_version IS NOT NULL GROUP BY model_version
                ORDER BY model_version
            """
        ).map { row in
            let n: Int = try row.get("n"), correct: Int = try row.get("correct")
            return Accuracy(
                version: try row.get("model_version"), labelled: n, correct: correct,
                accuracy: Double(correct) / Double(n))
        }
    }

    /// Feedback often arrives before its prediction reaches the log (the log is
    /// written asynchronously): such rows get their version and predicted label here.
    func attachPredictions(since: Date) throws {
        let from = since.addingTimeInterval(-600)
        _ = try pool.query(
            """
            UPDATE steward.feedback f SET model_version = p.model_version, predicted_label = p.label
            FROM steward.prediction_log p
            WHERE f.model_version IS NULL AND f.request_id IS NOT NULL AND f.at >= \(from)
              AND p.request_id = f.request_id AND p.model_name = f.model_name AND p.at >= \(from) AND NOT p.shadow
            """)
    }

    /// How many true labels were posted for the model, matched to a version or not.
    func count(model: String) throws -> Int {
        try pool.query("SELECT count(*) AS n FROM steward.feedback WHERE model_name = \(model)").first!.get("n")
    }

    /// A true label posted back for a production text.
    public struct Labelled: Sendable, Equatable {
        public let id: Int64, text: String, label: String
    }

    /// The model's labelled production texts posted at or after `since`, oldest first.
    public static func labelled(_ c: PostgresConnection, model: String, since: Date) throws -> [Labelled] {
        try c.query(
            "SELECT id, text, label FROM steward.feedback WHERE model_name = \(model) AND at >= \(since) ORDER BY id"
        ).map { Labelled(id: try $0.get("id"), text: try $0.get("text"), label: try $0.get("label")) }
    }

    /// How many labels were posted for the model at or after `since`.
    public static func count(_ c: PostgresConnection, model: String, since: Date) throws -> Int {
        try c.query("SELECT count(*) AS n FROM steward.feedback WHERE model_name = \(model) AND at >= \(since)")
            .first!.get("n")
    }
}
