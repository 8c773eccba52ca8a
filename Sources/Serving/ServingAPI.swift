import Foundation
import HTTPKit
import ServingLog
import Synchronization
import Telemetry
import TextFeatures

/// `steward-serve`'s HTTP API: `POST /predict`, `/health`, `/ready`, `/metrics`.
public struct ServingAPI: Sendable {
    public struct Limits: Sendable {
        public var maxTexts: Int = 64
        /// Unicode scalars per text; longer texts are refused (422), not silently cut.
        public var maxTextScalars: Int = 20_000
        public var maxBodyBytes: Int = 1 << 20
        public init() {}
    }

    let holder: ModelHolder
    let batcher: Batcher
    let log: ServedRequestLog?
    /// The model this process serves (also before one is loaded, for failed requests' records).
    let model: String
    let track: String
    let logText: Bool
    let limits: Limits
    let metrics: MetricsRegistry
    private let predictions: CounterFamily
    private let confidence: Histogram
    private let failures: CounterFamily

    public init(
        holder: ModelHolder, batcher: Batcher, log: ServedRequestLog?, model: String, track: String, logText: Bool,
        limits: Limits,
        metrics: MetricsRegistry
    ) {
        self.holder = holder
        self.batcher = batcher
        self.log = log
        self.model = model
        self.track = track
        self.logText = logText
        self.limits = limits
        self.metrics = metrics
        predictions = metrics.counter(
            "steward_serve_predictions_total", help: "Predictions by label, model version and track.",
            labels: ["label", "version", "track"])
        confidence = metrics.histogram(
            "steward_serve_confidence", help: "Confidence of the predicted label.",
            buckets: [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
        ).labels()
        failures = metrics.counter(
            "steward_serve_errors_total", help: "Requests answered with an error, by reason.", labels: ["reason"])
    }

    public func install(on router: inout Router) {
        // Nothing here blocks: probes, metrics and /predict all start on the I/O thread.
        router.add(.GET, "/health", .inline { _ in .text("ok") })
        let holder = holder
        router.add(
            .GET, "/ready",
            .inline { _ in
                guard let model = holder.model else {
                    throw HTTPError.unavailable("no model loaded yet", retryAfterSeconds: 1)
                }
                return .json(["model": model.name, "version": model.version, "precision": model.precision.rawValue])
            })
        let metrics = metrics
        router.addMetrics(metrics)
        let api = self
        router.add(
            .POST, "/predict", options: RouteOptions(maxBodyBytes: limits.maxBodyBytes),
            .deferred { request, responder in
                api.predict(request, responder)
            })
    }

    struct PredictBody: Decodable {
        let text: String?
        let texts: [String]?
    }

    struct Prediction: Encodable {
        let label: String
        let confidence: Double
        let probabilities: [String: Double]
    }

    struct PredictResponse: Encodable {
        struct Model: Encodable { let name: String, version: String }
        let label: String?
        let confidence: Double?
        let probabilities: [String: Double]?
        let predictions: [Prediction]
        let model: Model
        let track: String
        let requestID: String
        enum CodingKeys: String, CodingKey {
            case label, confidence, probabilities, predictions, model, track
            case requestID = "request_id"
        }
    }

    func parse(_ request: Request) throws(HTTPError) -> (texts: [String], single: Bool) {
        let body = try request.json(PredictBody.self)
        switch (body.text, body.texts) {
        case (let text?, nil): return try (check([text]), true)
        case (nil, let texts?): return try (check(texts), false)
        case (nil, nil):
            throw HTTPError.badRequest(
                "send {\"text\": \"...\"} or {\"texts\": [\"...\", ...]}", code: "invalid_argument")
        default: throw HTTPError.badRequest("send either text or texts, not both", code: "invalid_argument")
        }
    }

    private func check(_ texts: [String]) throws(HTTPError) -> [String] {
        if texts.isEmpty {
            throw HTTPError.unprocessable("texts must hold at least one text", code: "invalid_argument")
        }
        if texts.count > limits.maxTexts {
            throw HTTPError.unprocessable(
                "texts holds \(texts.count) texts; at most \(limits.maxTexts) per request", code: "too_many_texts")
        }
        if let index = texts.firstIndex(where: { $0.unicodeScalars.count > limits.maxTextScalars }) {
            throw HTTPError.unprocessable(
                "text \(index) is longer than \(limits.maxTextScalars) characters", code: "text_too_long")
        }
        return texts
    }

    func predict(_ request: Request, _ responder: Responder) {
        let parsed: (texts: [String], single: Bool)
        do {
            parsed = try parse(request)
        } catch {
            fail(request, responder, error, model: holder.model)
            return
        }
        guard let model = holder.model else {
            fail(
                request, responder, .unavailable("no model loaded yet", retryAfterSeconds: 1), code: "not_ready",
                model: nil)
            return
        }
        let texts = parsed.texts
        let encodings = texts.map { model.tokenizer.encode($0, maxLength: model.manifest.maxLength) }
        let results = Mutex<(rows: [[Float]?], remaining: Int, failed: Bool)>(
            ([[Float]?](repeating: nil, count: texts.count), texts.count, false))
        let api = self
        let items = encodings.enumerated().map { index, encoding in
            Batcher.Item(model: model, ids: encoding.ids) { result in
                let (finished, firstFailure): ([[Float]]?, Bool) = results.withLock { state in
                    var firstFailure = false
                    switch result {
                    case .success(let row): state.rows[index] = row
                    case .failure:
                        firstFailure = !state.failed
                        state.failed = true
                    }
                    state.remaining -= 1
                    return (state.remaining == 0 && !state.failed ? state.rows.map { $0! } : nil, firstFailure)
                }
                if let finished {
                    api.answer(
                        request, responder, model: model, texts: texts, encodings: encodings, logits: finished,
                        single: parsed.single)
                } else if firstFailure, case .failure(let error) = result {
                    // A 500 whose body says nothing of the cause; the server logs it.
                    api.failures.labels("inference").inc()
                    responder.fail(error)
                    api.record(request, status: 500, error: "inference", model: model)
                }
            }
        }
        guard batcher.submit(items) else {
            fail(
                request, responder, .unavailable("the prediction queue is full; retry shortly", retryAfterSeconds: 1),
                code: "overloaded",
                model: model)
            return
        }
    }

    /// Answers a request that cannot be served and records it with its status.
    private func fail(
        _ request: Request, _ responder: Responder, _ error: HTTPError, code: String? = nil, model: LoadedModel?
    ) {
        let reason = code ?? error.code
        failures.labels(reason).inc()
        responder.send(.error(error))
        record(request, status: error.status, error: reason, model: model)
    }

    /// A failed request's one record: its status, error code and latency so far.
    private func record(_ request: Request, status: Int, error: String, model: LoadedModel?) {
        log?.record(
            ServedRequest(
                at: Date(), modelName: self.model, modelVersion: model?.version ?? "", track: track,
                latencyMilliseconds: request.received.duration(to: .now).seconds * 1000, status: status,
                error: error, requestID: request.requestID, shadow: Self.isShadow(request)))
    }

    private func answer(
        _ request: Request, _ responder: Responder, model: LoadedModel, texts: [String],
        encodings: [WordPieceTokenizer.Encoding], logits: [[Float]], single: Bool
    ) {
        let labels = model.manifest.labels
        let results = logits.map { row -> Prediction in
            let probabilities = LoadedModel.probabilities(row)
            let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
            return Prediction(
                label: labels[best], confidence: probabilities[best],
                probabilities: Dictionary(uniqueKeysWithValues: zip(labels, probabilities)))
        }
        let first = single ? results.first : nil
        responder.send(
            .json(
                PredictResponse(
                    label: first?.label, confidence: first?.confidence, probabilities: first?.probabilities,
                    predictions: results, model: .init(name: model.name, version: model.version),
                    track: track, requestID: request.requestID)))
        let latency = request.received.duration(to: .now).seconds * 1000
        let now = Date(), shadow = Self.isShadow(request)
        for (index, prediction) in results.enumerated() {
            predictions.labels(prediction.label, model.version, track).inc()
            confidence.observe(prediction.confidence)
            guard let log else { continue }
            // Features come from the full text; the encoding's counts were taken before truncation.
            let features = TextFeatures(
                text: texts[index], unknownTokens: encodings[index].unknownCount,
                totalTokens: encodings[index].tokenCount)
            log.record(
                ServedRequest(
                    at: now, modelName: model.name, modelVersion: model.version, track: track,
                    latencyMilliseconds: latency,
                    status: 200, textIndex: index, label: prediction.label, confidence: prediction.confidence,
                    features: features, requestID: request.requestID, text: logText ? texts[index] : nil,
                    shadow: shadow))
        }
    }

    /// A mirrored copy of a live request: the split marks it `X-Steward-Shadow: 1`; a
    /// Gateway's RequestMirror (Envoy) sends it with "-shadow" appended to the Host.
    static func isShadow(_ request: Request) -> Bool {
        request.headers["X-Steward-Shadow"] == "1"
            || (request.headers["Host"]?.split(separator: ":").first?.hasSuffix("-shadow") ?? false)
    }
}
