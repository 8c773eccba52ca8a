import Foundation
import HTTPKit
import Registry
import Telemetry
import TextFeatures

/// The monitor's `/api/v1` routes: PSI of a feature over a window of logged
/// predictions against a dataset's reference (`/drift`, computed in Postgres), the
/// stored drift windows, true labels and live accuracy, alert rules and alerts
/// (acknowledge, silence).
public struct MonitorAPI: Sendable {
    let registry: RegistryService
    let drift: DriftStore
    let feedback: FeedbackStore
    let alerts: AlertStore

    public init(registry: RegistryService) {
        self.registry = registry
        self.drift = DriftStore(pool: registry.pool)
        self.feedback = FeedbackStore(pool: registry.pool)
        self.alerts = AlertStore(pool: registry.pool)
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
        router.add(registry.api, .GET, "/drift", .viewer) { request, _ in try api.compute(request) }
        router.add(registry.api, .POST, "/feedback", .operator, postFeedback)
        router.add(registry.api, .GET, "/models/{name}/accuracy", .viewer) { request, _ in
            let name = try api.registry.model(named: try request.parameter("name")).name  // 404 when unknown
            struct Answer: Encodable { let items: [FeedbackStore.Accuracy], labelled: Int }
            return .json(
                Answer(items: try api.feedback.accuracy(model: name), labelled: try api.feedback.count(model: name)))
        }
        // The monitor's stored windows, newest first: what the drift alert and retrainer read.
        router.add(registry.api, .GET, "/models/{name}/drift", .viewer) { request, _ in
            let name = try api.registry.model(named: try request.parameter("name")).name  // 404 when unknown
            let limit = try request.queryInt("limit", default: 40, range: 1...10_000)
            return .json(["items": try api.drift.storedWindows(model: name, limit: limit)])
        }
        router.add(registry.api, .PUT, "/alert-rules/{name}", .operator, putRule)
        router.add(registry.api, .GET, "/alerts", .viewer) { _, _ in .json(["items": try api.alerts.recent()]) }
        router.add(registry.api, .POST, "/alerts/{id}/acknowledge", .operator, acknowledge)
        router.add(registry.api, .POST, "/alert-rules/{name}/silence", .operator, silence)
    }

    struct Feedback: Decodable {
        let model: String, text: String, label: String
        let requestID: String?
        enum CodingKeys: String, CodingKey { case model, text, label, requestID = "request_id" }
    }

    /// A true label for a text (and, with `request_id`, for the prediction it got).
    func postFeedback(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(Feedback.self)
        guard ["negative", "positive"].contains(body.label) else {
            throw HTTPError.unprocessable("label must be negative or positive", code: "invalid_label")
        }
        guard !body.text.isEmpty, body.text.unicodeScalars.count <= 20_000 else {
            throw HTTPError.unprocessable("text must be 1-20000 characters", code: "invalid_text")
        }
        _ = try registry.model(named: body.model)  // 404 for a model the registry does not know
        let id = try registry.write(
            request, principal: principal, action: "feedback.add", target: "model:\(body.model)"
        ) { c in
            try feedback.add(c, model: body.model, requestID: body.requestID, text: body.text, label: body.label)
        }
        return .json(["id": Int(id)], status: 201)
    }

    /// Creates or replaces an alert rule.
    func putRule(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        let rule = try request.json(AlertStore.Rule.self)
        guard AlertStore.metrics.contains(rule.metric) else {
            throw HTTPError.badRequest(
                "metric must be input_psi, error_rate or latency_p99_ms", code: "invalid_argument")
        }
        let seconds = 0...Int(Int32.max)
        guard rule.threshold.isFinite, seconds.contains(rule.forSeconds ?? 0),
            seconds.contains(rule.resolveAfterSeconds ?? 0)
        else {
            throw HTTPError.badRequest(
                "threshold must be a number; for_seconds and resolve_after_seconds in 0...2147483647",
                code: "invalid_argument")
        }
        _ = try registry.model(named: rule.model)
        try registry.write(request, principal: principal, action: "alert_rule.put", target: "alert_rule:\(name)") { c in
            try alerts.put(c, name: name, rule)
        }
        return .json(["name": name], status: 200)
    }

    /// Marks a firing alert as seen (audited under the caller): 404 unknown, 409 ended or already acknowledged.
    func acknowledge(_ request: Request, _ principal: Principal) throws -> Response {
        let text = try request.parameter("id")
        guard let id = Int64(text), id > 0 else {
            throw HTTPError.badRequest("alert id must be a positive integer", code: "invalid_argument")
        }
        // A refusal is thrown inside the write, so its audit row rolls back with it.
        try registry.write(request, principal: principal, action: "alert.acknowledge", target: "alert:\(id)") { c in
            switch try alerts.acknowledge(c, id: id, by: principal.name) {
            case .acknowledged: return
            case .unknown: throw RegistryError.notFound("no alert \(id)")
            case .alreadyEnded: throw RegistryError.conflict("alert \(id) has resolved already")
            case .alreadyAcknowledged(let by):
                throw RegistryError.conflict("alert \(id) was acknowledged already by \(by)")
            }
        }
        return .json(["id": Int(id)])
    }

    struct Silence: Decodable { let seconds: Int }

    /// `{"seconds": N}`: the rule's notifications are held back for N seconds (at most
    /// 30 days; 0 lifts a silence). Its alerts still open and resolve. Audited.
    func silence(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        let body = try request.json(Silence.self)
        guard (0...30 * 86_400).contains(body.seconds) else {
            throw HTTPError.badRequest("seconds must be in 0...2592000 (30 days)", code: "invalid_argument")
        }
        let until = body.seconds == 0 ? nil : Date().addingTimeInterval(Double(body.seconds))
        try registry.write(request, principal: principal, action: "alert_rule.silence", target: "alert_rule:\(name)") {
            guard try alerts.silence($0, rule: name, until: until, by: principal.name) else {
                throw RegistryError.notFound("no alert rule \(name)")
            }
        }
        struct Answer: Encodable {
            let name: String
            @Nullable var silencedUntil: Date?
            enum CodingKeys: String, CodingKey { case name, silencedUntil = "silenced_until" }
        }
        return .json(Answer(name: name, silencedUntil: until))
    }

    /// `model`, `dataset=name@version`, `feature`, `method=quantile|evidently`,
    /// `from`/`to` (ISO 8601, default the last hour), optional `version`, `track`.
    func compute(_ request: Request) throws -> Response {
        guard let model = request.query["model"], let feature = request.query["feature"],
            let datasetRef = request.query["dataset"]
        else {
            throw HTTPError.badRequest(
                "model, feature and dataset (name@version) are required", code: "invalid_argument")
        }
        let method = request.query["method"] ?? "quantile"
        guard method == "quantile" || method == "evidently" else {
            throw HTTPError.badRequest("method must be quantile or evidently", code: "invalid_argument")
        }
        let dataset = try registry.dataset(reference: datasetRef)
        func date(_ name: String, _ fallback: Date) throws -> Date {
            guard let text = request.query[name] else { return fallback }
            if let value = Timestamp.parseISO8601(text) { return value }
            throw HTTPError.badRequest("\(name) must be an ISO 8601 time", code: "invalid_argument")
        }
        let to = try date("to", Date()), from = try date("from", to.addingTimeInterval(-3600))
        let window = DriftStore.Window(
            model: model, version: request.query["version"], track: request.query["track"], from: from, to: to)
        let result: DriftStore.Result
        do {
            // An unknown name is a bad argument with either method (400 below); a known one the
            // dataset has no profile for is content it cannot use (422).
            _ = try DriftStore.column(feature)
            if method == "quantile" {
                guard let profile = dataset.profile?.features[feature] else {
                    throw HTTPError.unprocessable(
                        "dataset \(datasetRef) has no reference profile for \(feature)", code: "no_reference")
                }
                result = try drift.quantilePSI(window, feature: feature, profile: profile)
            } else {
                result = try drift.evidentlyPSI(window, feature: feature, datasetID: dataset.id)
            }
        } catch let error as DriftError {
            throw HTTPError.badRequest(error.description, code: "invalid_argument")
        }
        return .json(
            Body(
                model: model, version: window.version, track: window.track, feature: feature, method: method,
                dataset: datasetRef,
                from: from, to: to, psi: result.psi.isFinite ? result.psi : nil, currentRows: result.currentRows,
                bins: result.bins))
    }
}
