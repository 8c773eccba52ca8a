import Foundation
import Postgres
import TextFeatures

/// PSI computed where the predictions are: Postgres scans and bins the
/// window (GROUP BY bin), so a window of a million predictions never comes
/// into memory; Swift combines the handful of bin counts.
public struct DriftStore: Sendable {
    public static let features = ["char_length", "word_count", "oov_share", "non_letter_share"]

    public struct Window: Sendable {
        public var model: String
        public var version: String?
        public var track: String?
        public var from: Date
        public var to: Date
        public init(model: String, version: String?, track: String?, from: Date, to: Date) {
            self.model = model
            self.version = version
            self.track = track
            self.from = from
            self.to = to
        }
    }

    public struct Result: Sendable, Equatable {
        public let feature: String
        public let method: String
        public let psi: Double
        public let currentRows: Int
        public let bins: Int
    }

    let pool: PostgresPool
    public init(pool: PostgresPool) { self.pool = pool }

    static func column(_ feature: String) throws -> String {
        guard features.contains(feature) else {
            throw DriftError("unknown feature \(feature) (known: \(features.joined(separator: ", ")))")
        }
        return feature
    }

    /// The series a window reads: its model, and its version and track when given.
    private static func series(_ window: Window) -> SQL {
        """
        model_name = \(window.model) AND (\(window.version)::text IS NULL OR model_version = \(window.version)) \
        AND (\(window.track)::text IS NULL OR track = \(window.track))
        """
    }

    /// The window's values of one feature as (v, n) rows: counts from
    /// `feature_counts_1m` for the whole minutes inside the window already counted,
    /// raw predictions for the rest (the window's ragged edges, the newest minutes;
    /// an empty counted span at the window's end when none are counted).
    private func sample(_ window: Window, column: String) throws -> SQL {
        let counted: Date? = try pool.query("SELECT rolled_up_to FROM steward.feature_counts_progress").first?.get(
            "rolled_up_to")
        let first = FeatureCounts.minute(window.from, .up)
        let last = min(FeatureCounts.minute(window.to), counted ?? .distantPast)
        let (from, to) = first < last ? (first, last) : (window.to, window.to)
        let series = Self.series(window), value = SQL.raw(column)
        return """
            SELECT value AS v, n FROM steward.feature_counts_1m WHERE \(series) AND feature = \(column) AND minute >=
                \(from) AND minute < \(to)
            UNION ALL SELECT \(value)::float8, 1 FROM steward.prediction_log
                WHERE \(series) AND at >= \(window.from) AND at < \(from) AND \(value) IS NOT NULL
            UNION ALL SELECT \(value)::float8, 1 FROM steward.prediction_log
                WHERE \(series) AND at >= \(to) AND at < \(window.to) AND \(value) IS NOT NULL
            """
    }

    /// Reference-quantile PSI against a stored profile (right-closed bins: a
    /// value's bin is the number of edges strictly below it).
    public func quantilePSI(_ window: Window, feature: String, profile: FeatureProfile) throws -> Result {
        let counts = try binCounts(window, column: try Self.column(feature), edges: profile.edges)
        let total = counts.reduce(0, +)
        return Result(
            feature: feature, method: "quantile",
            psi: total == 0 ? .nan : PSI.quantile(referenceShares: profile.shares, currentCounts: counts),
            currentRows: total, bins: counts.count)
    }

    /// A window's own profile, binned as a dataset's reference is (its 10%..90%
    /// quantiles, linear interpolation, repeated edges dropped), so one track's
    /// window can be the reference for another's. Nil for an empty window.
    public func windowProfile(_ window: Window, feature: String, bins: Int = 10) throws -> FeatureProfile? {
        let column = try Self.column(feature)
        let fractions = (1..<bins).map { Double($0) / Double(bins) }
        let value = SQL.raw(column)
        let row = try pool.query(
            """
            SELECT percentile_cont(\(fractions)::float8[]) WITHIN GROUP (ORDER BY \(value)) AS q, count(\(value)) AS n,
                   avg(\(value))::float8 AS mean, min(\(value))::float8 AS lo, max(\(value))::float8 AS hi
            FROM steward.prediction_log WHERE \(Self.series(window)) AND at >= \(window.from) AND at < \(window.to)
            """
        ).first!
        let n: Int = try row.get("n")
        guard n > 0 else { return nil }
        var edges: [Double] = []
        for q in try row.get("q", as: [Double].self) where edges.last.map({ q > $0 }) ?? true { edges.append(q) }
        let counts = try binCounts(window, column: column, edges: edges)
        return FeatureProfile(
            edges: edges, counts: counts, shares: counts.map { Double($0) / Double(n) }, n: n,
            mean: try row.get("mean"), min: try row.get("lo"), max: try row.get("hi"))
    }

    /// A value's right-closed bin of `edges` in SQL: the number of edges strictly below it.
    static func rightClosedBin(_ value: SQL, edges: [Double]) -> SQL {
        // count(edge < v) = k - count(-edge <= -v): width_bucket over the negated, ascending edges.
        let negated = Array(edges.reversed().map { -$0 })
        return "cardinality(\(edges)::float8[]) - width_bucket(-(\(value)), \(negated)::float8[])"
    }

    /// The window's values counted per right-closed bin of `edges`.
    private func binCounts(_ window: Window, column: String, edges: [Double]) throws -> [Int] {
        let rows = try pool.query(
            """
            SELECT \(Self.rightClosedBin("v", edges: edges)) AS bin, sum(n)::bigint AS n
            FROM (\(try sample(window, column: column))) s GROUP BY 1
            """)
        var counts = [Int](repeating: 0, count: edges.count + 1)
        for row in rows { counts[try row.get("bin", as: Int.self)] = try row.get("n") }
        return counts
    }

    /// Evidently's definition against the dataset's stored reference values:
    /// more than 20 distinct reference values -> equal-width Sturges bins over
    /// both samples (numpy's edges and bin rule); otherwise one bin per value.
    public func evidentlyPSI(_ window: Window, feature: String, datasetID: Int64) throws -> Result {
        let column = try Self.column(feature)
        let current = try sample(window, column: column)
        let reference: SQL =
            """
            SELECT value AS v, 1::bigint AS n FROM steward.reference_values WHERE dataset_id = \(datasetID) AND
                feature = \(column)
            """
        let distinct: Int = try pool.query(
            """
            SELECT count(DISTINCT value) AS n FROM steward.reference_values WHERE dataset_id = \(datasetID) AND
                feature = \(feature)
            """
        ).first!.get("n")
        let rows: PostgresRows
        if distinct > 20 {
            rows = try pool.query(
                """
                WITH cur AS (\(current)), ref AS (\(reference)),
                bounds AS (SELECT min(v) AS lo, max(v) AS hi, sum(n) AS n FROM (SELECT v, n FROM cur UNION ALL SELECT
                    v, n FROM ref) b),
                shape AS (
                    SELECT CASE WHEN hi = lo THEN lo - 0.5 ELSE lo END AS first, CASE WHEN hi = lo THEN hi + 0.5 ELSE
                        hi END AS last,
                           CASE WHEN hi = lo THEN 1 ELSE ceil((hi - lo) / ((hi - lo) / (ln(n::float8) / ln(2.0) +
                               1.0)))::int END AS k
                    FROM bounds),
                -- numpy.linspace: i * ((last - first) / k) + first, the last edge exactly `last`.
                edges AS (
                    SELECT k, array_agg(CASE WHEN i = k THEN last ELSE i * ((last - first) / k) + first END ORDER BY i)
                        AS e
                    FROM shape, generate_series(0, k) AS i GROUP BY k),
                binned AS (
                    SELECT 'ref' AS sample, least(width_bucket(v, e), k) AS bin, n FROM ref, edges
                    UNION ALL SELECT 'cur', least(width_bucket(v, e), k), n FROM cur, edges)
                SELECT sample, bin, sum(n)::bigint AS n, (SELECT k FROM edges) AS bins FROM binned GROUP BY sample, bin
                """)
        } else {
            rows = try pool.query(
                """
                WITH cur AS (\(current)), ref AS (\(reference)),
                keys AS (SELECT v, row_number() OVER (ORDER BY v) AS bin FROM (SELECT v FROM ref UNION SELECT v FROM
                    cur) u),
                binned AS (SELECT 'ref' AS sample, k.bin, n FROM ref JOIN keys k USING (v) UNION ALL SELECT 'cur',
                    k.bin, n FROM cur JOIN keys k USING (v))
                SELECT sample, bin, sum(n)::bigint AS n, (SELECT count(*) FROM keys) AS bins FROM binned GROUP BY
                    sample, bin
                """)
        }
        var bins = 0
        var referenceCounts: [Int: Int] = [:], currentCounts: [Int: Int] = [:]
        for row in rows {
            bins = try row.get("bins")
            let bin: Int = try row.get("bin"), n: Int = try row.get("n")
            if try row.get("sample", as: String.self) == "ref" {
                referenceCounts[bin] = n
            } else {
                currentCounts[bin] = n
            }
        }
        let total = currentCounts.values.reduce(0, +)
        guard bins > 0, total > 0, !referenceCounts.isEmpty else {
            return Result(feature: feature, method: "evidently", psi: .nan, currentRows: total, bins: bins)
        }
        let r = (1...bins).map { referenceCounts[$0] ?? 0 }, c = (1...bins).map { currentCounts[$0] ?? 0 }
        return Result(
            feature: feature, method: "evidently", psi: PSI.evidently(referenceCounts: r, currentCounts: c),
            currentRows: total, bins: bins)
    }

    /// A stored window's largest PSI and the feature it was on.
    public struct WorstDrift: Sendable, Equatable {
        public let windowStart: Date, windowEnd: Date, psi: Double, feature: String
        public init(windowStart: Date, windowEnd: Date? = nil, psi: Double, feature: String) {
            self.windowStart = windowStart
            self.windowEnd = windowEnd ?? windowStart
            self.psi = psi
            self.feature = feature
        }
    }

    /// The newest `windows` stored drift windows of a model's stable track, whichever
    /// version served it, newest first.
    public func recentWorstDrift(model: String, windows: Int) throws -> [WorstDrift] {
        try pool.query(
            """
            SELECT DISTINCT ON (window_start) window_start, window_end, feature, psi FROM steward.drift_windows
            WHERE model_name = \(model) AND track = 'stable' ORDER BY window_start DESC, psi DESC LIMIT \(windows)
            """
        ).map {
            WorstDrift(
                windowStart: try $0.get("window_start"), windowEnd: try $0.get("window_end"), psi: try $0.get("psi"),
                feature: try $0.get("feature"))
        }
    }

    /// A version and track that served in a window, with its training dataset.
    struct Series: Sendable { let model: String, version: String, track: String, datasetID: Int64 }

    /// What served between `from` and `to` (versions trained outside Steward, without a dataset, are left out).
    func servedSeries(from: Date, to: Date) throws -> [Series] {
        try pool.query(
            """
            SELECT p.model_name, p.model_version, p.track, r.dataset_id
            FROM (SELECT DISTINCT model_name, model_version, track FROM steward.prediction_log WHERE at >= \(from) AND
                at < \(to)) p
            JOIN steward.registered_models m ON m.name = p.model_name
            JOIN steward.model_versions v ON v.model_id = m.id AND v.version::text = p.model_version
            JOIN steward.runs r ON r.id = v.run_id WHERE r.dataset_id IS NOT NULL
            """
        ).map { row in
            Series(
                model: try row.get("model_name"), version: try row.get("model_version"), track: try row.get("track"),
                datasetID: try row.get("dataset_id"))
        }
    }

    /// Stores (or replaces) a window's quantile PSI for one feature.
    func store(_ window: Window, _ result: Result, datasetID: Int64) throws {
        _ = try pool.query(
            """
            INSERT INTO steward.drift_windows
                (window_start, window_end, model_name, model_version, track, feature, method, psi, current_rows,
                    dataset_id)
            VALUES (\(window.from), \(window.to), \(window.model), \(window.version), \(window.track),
                \(result.feature), \(result.method),
                    \(result.psi), \(result.currentRows), \(datasetID))
            ON CONFLICT (window_start, model_name, model_version, track, feature, method) DO UPDATE SET psi =
                excluded.psi,
                current_rows = excluded.current_rows, computed_at = now()
            """)
    }

    public struct StoredWindow: Encodable, Sendable {
        public let windowStart: Date, windowEnd: Date, version: String, track: String, feature: String,
            method: String, psi: Double, rows: Int
        enum CodingKeys: String, CodingKey {
            case version, track, feature, method, psi, rows, windowStart = "window_start", windowEnd = "window_end"
        }
    }

    /// The monitor's stored windows of a model, newest first (at most `limit` rows).
    public func storedWindows(model: String, limit: Int) throws -> [StoredWindow] {
        try pool.query(
            """
            SELECT window_start, window_end, model_version, track, feature, method, psi, current_rows FROM
                steward.drift_windows
            WHERE model_name = \(model) ORDER BY window_start DESC, model_version, track, feature LIMIT \(limit)
            """
        ).map { row in
            StoredWindow(
                windowStart: try row.get("window_start"), windowEnd: try row.get("window_end"),
                version: try row.get("model_version"),
                track: try row.get("track"), feature: try row.get("feature"), method: try row.get("method"),
                psi: try row.get("psi"),
                rows: try row.get("current_rows"))
        }
    }
}

public struct DriftError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
