import Foundation
import HTTPKit
import Registry
import TextFeatures

/// `GET /api/v1/drift`: PSI of a feature over a window of logged predictions
/// against a dataset's reference, computed in Postgres.
public struct MonitorAPI: Sendable {
    let registry: RegistryService
    let drift: DriftStore

    public init(registry: RegistryService) {
        self.registry = registry
        self.drift = DriftStore(pool: registry.pool)
    }

    struct Body: Encodable {
        let model: String, version: String?, track: String?, feature: String, method: String, dataset: String
        let from: Date, to: Date, psi: Double?, currentRows: Int, bins: Int
        enum CodingKeys: String, CodingKey {
            case model, version, track, feature, method, dataset, from, to, psi, bins
            case currentRows = "current_rows"
        }
    }

    public func install(on router: inout Router) {
        let api = self
        registry.route(&router, .GET, "/drift", .viewer) { request, _ in try api.compute(request) }
        registry.route(&router, .POST, "/feedback", .operator, feedback)
        registry.route(&router, .GET, "/models/{name}/accuracy", .viewer) { request, _ in
            let name = try api.registry.model(named: try request.parameter("name")).name   // 404 when unknown
            let text = try api.registry.pool.query("""
                SELECT COALESCE(json_agg(json_build_object('version', model_version, 'labelled', n, 'correct', correct,
                       'accuracy', correct::float8 / n) ORDER BY model_version), '[]')::text AS items FROM (
                    SELECT model_version, count(*) AS n, count(*) FILTER (WHERE predicted_label = label) AS correct
                    FROM steward.feedback WHERE model_name = $1 AND model_version IS NOT NULL GROUP BY model_version) v
                """, [name]).first!.get("items", as: String.self)
            return Response(status: 200, headers: ["Content-Type": "application/json"], body: .bytes(Data("{\"items\": \(text)}".utf8)))
        }
        // The monitor's stored windows, newest first: what the drift alert and retrainer read.
        registry.route(&router, .GET, "/models/{name}/drift", .viewer) { request, _ in
            let name = try api.registry.model(named: try request.parameter("name")).name   // 404 when unknown
            let text = try api.registry.pool.query("""
                SELECT COALESCE(json_agg(json_build_object('window_start', window_start, 'window_end', window_end, 'version', model_version,
                       'track', track, 'feature', feature, 'method', method, 'psi', psi, 'rows', current_rows)
                       ORDER BY window_start DESC, model_version, track, feature), '[]')::text AS items
                FROM (SELECT * FROM steward.drift_windows WHERE model_name = $1 ORDER BY window_start DESC LIMIT $2) w
                """, [name, try request.queryInt("limit", default: 40, range: 1...10_000)]).first!.get("items", as: String.self)
            return Response(status: 200, headers: ["Content-Type": "application/json"], body: .bytes(Data("{\"items\": \(text)}".utf8)))
        }
        registry.route(&router, .PUT, "/alert-rules/{name}", .operator, putRule)
        registry.route(&router, .GET, "/alerts", .viewer) { _, _ in
            let text = try api.registry.pool.query("""
                SELECT COALESCE(json_agg(json_build_object('rule', r.name, 'metric', r.metric, 'model', r.model_name, 'threshold', r.threshold,
                       'started_at', a.started_at, 'ended_at', a.ended_at, 'value', a.value) ORDER BY a.id DESC), '[]')::text AS items
                FROM (SELECT * FROM steward.alerts ORDER BY id DESC LIMIT 200) a JOIN steward.alert_rules r ON r.id = a.rule_id
                """).first!.get("items", as: String.self)
            return Response(status: 200, headers: ["Content-Type": "application/json"], body: .bytes(Data("{\"items\": \(text)}".utf8)))
        }
    }

    struct Feedback: Decodable {
        let model: String, text: String, label: String
        let requestID: String?
        enum CodingKeys: String, CodingKey { case model, text, label, requestID = "request_id" }
    }

    /// A true label for a text (and, with `request_id`, for the prediction it got).
    func feedback(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(Feedback.self)
        guard ["negative", "positive"].contains(body.label) else { throw HTTPError.unprocessable("label must be negative or positive", code: "invalid_label") }
        guard !body.text.isEmpty, body.text.unicodeScalars.count <= 20_000 else {
            throw HTTPError.unprocessable("text must be 1-20000 characters", code: "invalid_text")
        }
        _ = try registry.model(named: body.model)   // 404 for a model the registry does not know
        let id = try registry.write(request, principal: principal, action: "feedback.add", target: "model:\(body.model)") { c -> Int64 in
            var version: String?, predicted: String?
            if let requestID = body.requestID,
               let row = try c.query("SELECT model_version, label FROM steward.prediction_log WHERE request_id = $1 AND model_name = $2 LIMIT 1",
                                     [requestID, body.model]).first {
                version = try row.get("model_version")
                predicted = try row.get("label")
            }
            return try c.query("""
                INSERT INTO steward.feedback (model_name, request_id, text, label, model_version, predicted_label)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """, [body.model, body.requestID, body.text, body.label, version, predicted]).first!.get("id")
        }
        return .json(["id": Int(id)], status: 201)
    }

    struct Rule: Decodable {
        let metric: String, model: String, threshold: Double
        let forSeconds: Int?, enabled: Bool?
        enum CodingKeys: String, CodingKey { case metric, model, threshold, enabled, forSeconds = "for_seconds" }
    }

    /// Creates or replaces an alert rule.
    func putRule(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        let rule = try request.json(Rule.self)
        guard ["input_psi", "error_rate", "latency_p99_ms"].contains(rule.metric) else {
            throw HTTPError.badRequest("metric must be input_psi, error_rate or latency_p99_ms", code: "invalid_argument")
        }
        guard rule.threshold.isFinite, (rule.forSeconds ?? 0) >= 0 else { throw HTTPError.badRequest("threshold must be a number, for_seconds >= 0", code: "invalid_argument") }
        _ = try registry.model(named: rule.model)
        try registry.write(request, principal: principal, action: "alert_rule.put", target: "alert_rule:\(name)") { c in
            _ = try c.query("""
                INSERT INTO steward.alert_rules (name, metric, model_name, threshold, for_seconds, enabled) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (name) DO UPDATE SET metric = excluded.metric, model_name = excluded.model_name, threshold = excluded.threshold,
                    for_seconds = excluded.for_seconds, enabled = excluded.enabled, pending_since = NULL
                """, [name, rule.metric, rule.model, rule.threshold, rule.forSeconds ?? 0, rule.enabled ?? true])
        }
        return .json(["name": name], status: 200)
    }

    /// `model`, `dataset=name@version`, `feature`, `method=quantile|evidently`,
    /// `from`/`to` (ISO 8601, default the last hour), optional `version`, `track`.
    func compute(_ request: Request) throws -> Response {
        guard let model = request.query["model"], let feature = request.query["feature"], let datasetRef = request.query["dataset"] else {
            throw HTTPError.badRequest("model, feature and dataset (name@version) are required", code: "invalid_argument")
        }
        let method = request.query["method"] ?? "quantile"
        guard method == "quantile" || method == "evidently" else { throw HTTPError.badRequest("method must be quantile or evidently", code: "invalid_argument") }
        let dataset = try registry.dataset(reference: datasetRef)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func date(_ name: String, _ fallback: Date) throws -> Date {
            guard let text = request.query[name] else { return fallback }
            if let value = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) { return value }
            throw HTTPError.badRequest("\(name) must be an ISO 8601 time", code: "invalid_argument")
        }
        let to = try date("to", Date()), from = try date("from", to.addingTimeInterval(-3600))
        let window = DriftStore.Window(model: model, version: request.query["version"], track: request.query["track"], from: from, to: to)
        let result: DriftStore.Result
        do {
            // An unknown name is a bad argument with either method (400 below); a known one the
            // dataset has no profile for is content it cannot use (422).
            _ = try DriftStore.column(feature)
            if method == "quantile" {
                guard let profile = dataset.profile?.features[feature] else {
                    throw HTTPError.unprocessable("dataset \(datasetRef) has no reference profile for \(feature)", code: "no_reference")
                }
                result = try drift.quantilePSI(window, feature: feature, profile: profile)
            } else {
                result = try drift.evidentlyPSI(window, feature: feature, datasetID: dataset.id)
            }
        } catch let error as DriftError {
            throw HTTPError.badRequest(error.description, code: "invalid_argument")
        }
        return .json(Body(model: model, version: window.version, track: window.track, feature: feature, method: method, dataset: datasetRef,
                          from: from, to: to, psi: result.psi.isFinite ? result.psi : nil, currentRows: result.currentRows, bins: result.bins))
    }
}
