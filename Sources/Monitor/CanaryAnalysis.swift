import Foundation
import Postgres
import TextFeatures

/// One track's requests over an analysis window, from the prediction log.
public struct TrackMetrics: Sendable, Equatable, Codable {
    /// Requests answered, failed ones included (records with `text_index = 0`).
    public var requests: Int
    /// Server errors: 5xx and timeouts, whoever recorded them (steward-serve, the split).
    public var errors: Int
    /// Client errors (4xx): counted, never held against a version.
    public var clientErrors: Int
    /// Over every request, failed ones included; nil without requests.
    public var p99Ms: Double?
    /// Predictions with a label and features: the sample the PSI checks read.
    public var predictions: Int

    public var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }

    public init(requests: Int, errors: Int, clientErrors: Int = 0, p99Ms: Double?, predictions: Int? = nil) {
        self.requests = requests
        self.errors = errors
        self.clientErrors = clientErrors
        self.p99Ms = p99Ms
        self.predictions = predictions ?? requests
    }
}

/// A track's predictions over a window and how many of them got a true label
/// (feedback joined to the prediction by its request id), and how many were right.
public struct LabelledPredictions: Sendable, Equatable, Codable {
    public var predictions: Int
    public var labelled: Int
    public var correct: Int
    public var accuracy: Double? { labelled == 0 ? nil : Double(correct) / Double(labelled) }

    public init(predictions: Int, labelled: Int, correct: Int) {
        self.predictions = predictions
        self.labelled = labelled
        self.correct = correct
    }
}

/// Ground truth over an analysis: both tracks' labelled predictions over the same
/// window, shifted back by the label delay (predictions old enough for their labels).
public struct GroundTruth: Sendable, Equatable, Codable {
    public var stable: LabelledPredictions
    public var canary: LabelledPredictions
    public var from: Date
    public var to: Date

    public init(stable: LabelledPredictions, canary: LabelledPredictions, from: Date, to: Date) {
        self.stable = stable
        self.canary = canary
        self.from = from
        self.to = to
    }
}

/// A shadow step's comparison: the canary's answers to the requests mirrored to it
/// against stable's answers to the same requests (joined by request id and text).
public struct ShadowComparison: Sendable, Equatable, Codable {
    /// Mirrored texts the canary recorded (its failures included).
    public var mirrored: Int
    /// Of those, the ones the canary failed (5xx, timeouts, unreachable).
    public var canaryErrors: Int
    /// Mirrored texts with stable's live answer found.
    public var compared: Int
    /// Compared texts where both gave the same label.
    public var agreed: Int
    public var canaryP99Ms: Double?
    public var stableP99Ms: Double?
    /// PSI of the canary's confidence against stable's on the same texts (ten equal bins over [0.5, 1]).
    public var confidencePSI: Double?
    /// Agreement over every mirrored text the canary got (a failure never agrees).
    public var agreement: Double? { mirrored == 0 ? nil : Double(agreed) / Double(mirrored) }

    public init(
        mirrored: Int, canaryErrors: Int, compared: Int, agreed: Int, canaryP99Ms: Double?, stableP99Ms: Double?,
        confidencePSI: Double? = nil
    ) {
        self.mirrored = mirrored
        self.canaryErrors = canaryErrors
        self.compared = compared
        self.agreed = agreed
        self.canaryP99Ms = canaryP99Ms
        self.stableP99Ms = stableP99Ms
        self.confidencePSI = confidencePSI
    }
}

/// What a canary analysis measured: both tracks over the same window.
public struct AnalysisInputs: Sendable, Equatable, Codable {
    public var stable: TrackMetrics
    public var canary: TrackMetrics
    /// The largest PSI of the canary's input features against stable's over the window.
    public var inputPSI: Double?
    /// PSI of the canary's confidence over the window against `confidenceReference`.
    public var confidencePSI: Double?
    /// What the confidence was compared with, in words: stable's over the same window,
    /// or the canary's own predictions on its held-out rows.
    public var confidenceReference: String
    /// Labelled predictions of both tracks, when the analysis asks for ground truth.
    public var groundTruth: GroundTruth?
    /// The shadow comparison, at the end of a shadow step.
    public var shadow: ShadowComparison?

    public init(
        stable: TrackMetrics, canary: TrackMetrics, inputPSI: Double?, confidencePSI: Double?,
        confidenceReference: String = "stable's", groundTruth: GroundTruth? = nil
    ) {
        self.stable = stable
        self.canary = canary
        self.inputPSI = inputPSI
        self.confidencePSI = confidencePSI
        self.confidenceReference = confidenceReference
        self.groundTruth = groundTruth
    }
}

/// A reference for a canary's confidence: a profile of it, and what it is in words.
public struct ConfidenceReference: Sendable {
    public let profile: FeatureProfile
    public let name: String
    public init(profile: FeatureProfile, name: String) {
        self.profile = profile
        self.name = name
    }
}

/// Measures a canary against stable over a window of the prediction log, in
/// Postgres (a window of any size never comes into memory). Both tracks get the
/// same traffic, so a difference is the canary's doing; drift against the training
/// data is the drift monitor's job, not the canary's.
///
/// Confidence is compared like with like: with stable's on the same window when no
/// `confidenceReference` is given (the caller's choice when both versions were trained
/// on the same data), else with that reference, the canary's own predictions on its
/// held-out rows: a retrain on shifted data is legitimately surer than the version it
/// replaces, and judging it by stable's confidence would roll it back for learning.
public struct CanaryAnalysis: Sendable {
    let pool: PostgresPool
    public init(pool: PostgresPool) { self.pool = pool }

    public func measure(
        model: String, stable: Int?, canary: Int, from: Date, to: Date,
        confidenceReference: ConfidenceReference? = nil, labelDelaySeconds: Int? = nil
    ) throws -> AnalysisInputs {
        let stableMetrics = try track(model: model, "stable", stable, from: from, to: to)
        let canaryMetrics = try track(model: model, "canary", canary, from: from, to: to)
        var inputPSI: Double?
        let drift = DriftStore(pool: pool)
        let stableWindow = DriftStore.Window(
            model: model, version: stable.map(String.init), track: "stable", from: from, to: to)
        let canaryWindow = DriftStore.Window(model: model, version: String(canary), track: "canary", from: from, to: to)
        for feature in DriftStore.features {
            guard let reference = try drift.windowProfile(stableWindow, feature: feature) else { break }
            let result = try drift.quantilePSI(canaryWindow, feature: feature, profile: reference)
            if result.psi.isFinite { inputPSI = max(inputPSI ?? 0, result.psi) }
        }
        var inputs = AnalysisInputs(
            stable: stableMetrics, canary: canaryMetrics, inputPSI: inputPSI,
            confidencePSI: try confidencePSI(model: model, stable: stable, canary: canary, from: from, to: to))
        if let confidenceReference {
            inputs.confidencePSI = try confidencePSI(
                model: model, canary: canary, from: from, to: to, reference: confidenceReference.profile)
            inputs.confidenceReference = confidenceReference.name
        }
        if let labelDelaySeconds {
            let delay = Double(labelDelaySeconds)
            inputs.groundTruth = try groundTruth(
                model: model, stable: stable, canary: canary, from: from - delay, to: to - delay)
        }
        return inputs
    }

    /// The canary's shadow answers in [from, to) against stable's live answers to the same requests.
    public func shadow(model: String, canary: Int, from: Date, to: Date) throws -> ShadowComparison {
        let pairs: SQL = """
            SELECT c.status, c.label AS canary_label, c.latency_ms AS canary_ms, c.confidence AS canary_confidence,
                   s.label AS stable_label, s.latency_ms AS stable_ms, s.confidence AS stable_confidence
            FROM steward.prediction_log c
            LEFT JOIN LATERAL (SELECT label, latency_ms, confidence FROM steward.prediction_log WHERE
                request_id = c.request_id AND model_name = c.model_name AND text_index = c.text_index AND
                track = 'stable' AND NOT shadow LIMIT 1) s ON true
            WHERE c.model_name = \(model) AND c.track = 'canary' AND c.shadow AND c.model_version = \(String(canary))
              AND c.at >= \(from) AND c.at < \(to)
            """
        let row = try pool.query(
            """
            SELECT count(*) AS mirrored, count(*) FILTER (WHERE status >= 500) AS canary_errors,
                   count(stable_label) AS compared, count(*) FILTER (WHERE canary_label = stable_label) AS agreed,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY canary_ms) AS canary_p99,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY stable_ms) AS stable_p99
            FROM (\(pairs)) p
            """
        ).first!
        // Confidence on the texts both answered.
        let confidencePSI = try Self.trackConfidencePSI(
            pool.query(
                """
                WITH p AS (\(pairs))
                SELECT 'canary' AS track, least(width_bucket(canary_confidence, 0.5, 1.0, 10), 10) AS bin,
                    count(*) AS n
                    FROM p WHERE canary_confidence IS NOT NULL AND stable_confidence IS NOT NULL GROUP BY 2
                UNION ALL
                SELECT 'stable', least(width_bucket(stable_confidence, 0.5, 1.0, 10), 10), count(*)
                    FROM p WHERE canary_confidence IS NOT NULL AND stable_confidence IS NOT NULL GROUP BY 2
                """))
        return ShadowComparison(
            mirrored: try row.get("mirrored"), canaryErrors: try row.get("canary_errors"),
            compared: try row.get("compared"), agreed: try row.get("agreed"), canaryP99Ms: try row.get("canary_p99"),
            stableP99Ms: try row.get("stable_p99"), confidencePSI: confidencePSI)
    }

    /// Each track's predictions in [from, to) and the true labels posted for them
    /// (requests' first texts; shadow answers never reach this log's live tracks).
    func groundTruth(model: String, stable: Int?, canary: Int, from: Date, to: Date) throws -> GroundTruth {
        let rows = try pool.query(
            """
            SELECT p.track, count(*) AS predictions, count(f.id) AS labelled,
                   count(f.id) FILTER (WHERE f.label = p.label) AS correct
            FROM steward.prediction_log p
            LEFT JOIN LATERAL (SELECT id, label FROM steward.feedback WHERE request_id = p.request_id AND
                model_name = p.model_name ORDER BY id DESC LIMIT 1) f ON true
            WHERE p.model_name = \(model) AND p.text_index = 0 AND p.status = 200 AND p.request_id IS NOT NULL
              AND NOT p.shadow
              AND p.at >= \(from) AND p.at < \(to)
              AND ((p.track = 'stable' AND (\(stable.map(String.init))::text IS NULL OR p.model_version =
                  \(stable.map(String.init)))) OR (p.track = 'canary' AND p.model_version = \(String(canary))))
            GROUP BY p.track
            """)
        var counts: [String: LabelledPredictions] = [:]
        for row in rows {
            counts[try row.get("track")] = LabelledPredictions(
                predictions: try row.get("predictions"), labelled: try row.get("labelled"),
                correct: try row.get("correct"))
        }
        let none = LabelledPredictions(predictions: 0, labelled: 0, correct: 0)
        return GroundTruth(stable: counts["stable"] ?? none, canary: counts["canary"] ?? none, from: from, to: to)
    }

    private func track(model: String, _ track: String, _ version: Int?, from: Date, to: Date) throws -> TrackMetrics {
        // A failed request the split recorded for an unreachable canary carries the canary's version too.
        guard
            let row = try pool.query(
                """
                SELECT count(*) FILTER (WHERE text_index = 0) AS requests,
                       count(*) FILTER (WHERE text_index = 0 AND status >= 500) AS errors,
                       count(*) FILTER (WHERE text_index = 0 AND status BETWEEN 400 AND 499) AS client_errors,
                       percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE text_index = 0) AS p99,
                       count(*) FILTER (WHERE label IS NOT NULL) AS predictions
                FROM steward.prediction_log WHERE model_name = \(model) AND track = \(track) AND NOT shadow AND
                    (\(version.map(String.init))::text IS NULL OR model_version = \(version.map(String.init)))
                  AND at >= \(from) AND at < \(to)
                """
            ).first
        else {
            return TrackMetrics(requests: 0, errors: 0, p99Ms: nil, predictions: 0)
        }
        return TrackMetrics(
            requests: try row.get("requests"), errors: try row.get("errors"),
            clientErrors: try row.get("client_errors"),
            p99Ms: try row.get("p99"), predictions: try row.get("predictions"))
    }

    /// The canary's confidence against a reference profile of it (right-closed
    /// bins: a value's bin is the number of edges strictly below it).
    private func confidencePSI(
        model: String, canary: Int, from: Date, to: Date, reference: FeatureProfile
    ) throws
        -> Double?
    {
        let bins = try pool.query(
            """
            SELECT \(DriftStore.rightClosedBin("confidence", edges: reference.edges)) AS bin, count(*) AS n
            FROM steward.prediction_log WHERE model_name = \(model) AND track = 'canary' AND
                model_version = \(String(canary)) AND confidence IS NOT NULL AND NOT shadow AND at >= \(from) AND
                at < \(to)
            GROUP BY 1
            """)
        var counts = [Int](repeating: 0, count: reference.edges.count + 1)
        for row in bins { counts[try row.get("bin", as: Int.self)] += try row.get("n") }
        guard counts.reduce(0, +) > 0 else { return nil }
        return PSI.quantile(referenceShares: reference.shares, currentCounts: counts)
    }

    /// Canary against stable, ten equal bins of confidence over [0.5, 1].
    private func confidencePSI(model: String, stable: Int?, canary: Int, from: Date, to: Date) throws -> Double? {
        try Self.trackConfidencePSI(
            pool.query(
                """
                SELECT track, least(width_bucket(confidence, 0.5, 1.0, 10), 10) AS bin, count(*) AS n FROM
                    steward.prediction_log
                WHERE model_name = \(model) AND confidence IS NOT NULL AND NOT shadow AND at >= \(from) AND at < \(to)
                  AND ((track = 'stable' AND (\(stable.map(String.init))::text IS NULL OR model_version =
                      \(stable.map(String.init)))) OR (track = 'canary' AND model_version = \(String(canary))))
                GROUP BY 1, 2
                """))
    }

    /// PSI of the canary's confidence against stable's from rows of (track, bin, n), bins
    /// 0-10 of ten equal bins over [0.5, 1] (0: below 0.5); nil when a track has none.
    private static func trackConfidencePSI(_ rows: PostgresRows) throws -> Double? {
        var stableCounts = [Int](repeating: 0, count: 11), canaryCounts = stableCounts
        for row in rows {
            let bin = max(0, try row.get("bin", as: Int.self)), n: Int = try row.get("n")
            if try row.get("track", as: String.self) == "stable" {
                stableCounts[bin] += n
            } else {
                canaryCounts[bin] += n
            }
        }
        let stableTotal = stableCounts.reduce(0, +)
        guard stableTotal > 0, canaryCounts.reduce(0, +) > 0 else { return nil }
        return PSI.quantile(
            referenceShares: stableCounts.map { Double($0) / Double(stableTotal) }, currentCounts: canaryCounts)
    }
}
