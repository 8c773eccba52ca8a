import Foundation
import HTTPKit
import Postgres
import Schema
import Testing
import TestSupport

/// `steward-serve` as users run it: the binary on a loopback port.
@Suite(.serialized) struct ServeTests {
    struct Prediction: Decodable {
        let label: String
        let confidence: Double
        let probabilities: [String: Double]
    }
    struct Answer: Decodable {
        struct Model: Decodable {
            let name: String
            let version: String
        }
        let label: String?
        let predictions: [Prediction]
        let model: Model
        let requestID: String
        enum CodingKeys: String, CodingKey { case label, predictions, model, requestID = "request_id" }
    }

    static func local(_ extra: [String: String] = [:]) throws -> ServeProcess {
        var environment = [
            "STEWARD_MODEL_PATH": try Fixtures.url("tiny-model").path, "STEWARD_MODEL_NAME": "tiny",
            "STEWARD_MODEL_VERSION": "7"
        ]
        environment.merge(extra) { _, new in new }
        return try ServeProcess(environment: environment)
    }

    static func predict(_ text: String) throws -> ClientRequest {
        try .json(.POST, "/predict", ["text": text])
    }

    @Test func predictsOneOrManyTextsWithModelAndRequestID() throws {
        let serve = try Self.local()
        let client = serve.client()
        #expect(try client.send(ClientRequest(.GET, "/ready")).status == 200)
        let one = try client.send(Self.predict("a gripping, beautifully acted film")).json(Answer.self)
        #expect(one.model.name == "tiny" && one.model.version == "7")
        #expect(one.predictions.count == 1 && one.label == one.predictions[0].label)
        let probabilities = one.predictions[0].probabilities
        #expect(abs((probabilities["negative"] ?? 0) + (probabilities["positive"] ?? 0) - 1) < 1e-9)
        #expect(one.predictions[0].confidence == probabilities.values.max())
        let many = try client.send(
            .json(.POST, "/predict", ["texts": ["good", "", "bad", String(repeating: "long ", count: 400)]]))
        #expect(many.status == 200)
        #expect(try many.json(Answer.self).predictions.count == 4)
        #expect(try many.json(Answer.self).label == nil)
    }

    /// (Logit parity of the int8 export with Python onnxruntime: InferenceTests.)
    @Test func int8PrecisionAnswersEachTextAsItWouldAloneAndAnUnknownPrecisionIsRefused() throws {
        struct Texts: Decodable {
            struct Text: Decodable { let text: String }
            let texts: [Text]
        }
        let expected = try JSONDecoder().decode(
            Texts.self, from: Data(contentsOf: try Fixtures.url("tiny-model/expected.json")))
        let serve = try Self.local(["STEWARD_PRECISION": "int8"])
        let client = serve.client()
        struct Ready: Decodable { let precision: String }
        #expect(try client.send(ClientRequest(.GET, "/ready")).json(Ready.self).precision == "int8")
        // Texts of different lengths in one request: each answered exactly as when sent alone
        // (dynamic int8 would otherwise quantise it together with its neighbours' padding).
        let texts = expected.texts.prefix(12).map(\.text)
        let together = try client.send(.json(.POST, "/predict", ["texts": texts])).json(Answer.self).predictions
        #expect(together.count == texts.count)
        for (text, answer) in zip(texts, together) {
            let alone = try client.send(Self.predict(text)).json(Answer.self).predictions[0]
            #expect(answer.probabilities == alone.probabilities, "\(text)")
        }

        let refused = Subprocess(
            try TestEnvironment.binary("steward-serve"),
            environment: ["STEWARD_MODEL_PATH": try Fixtures.url("tiny-model").path, "STEWARD_PRECISION": "fp16"])
        try refused.start()
        #expect(refused.waitForExit(timeout: 10).map { $0 != 0 } == true)
        #expect(refused.standardError.contains("STEWARD_PRECISION"))
    }

    @Test func badInputGetsAClearFourHundred() throws {
        let serve = try Self.local()
        let client = serve.client()
        func status(_ body: Data) throws -> (Int, String) {
            let response = try client.send(
                ClientRequest(.POST, "/predict", headers: ["Content-Type": "application/json"], body: body))
            return (response.status, response.text)
        }
        let cases: [(String, Data, Int, String)] = [
            ("invalid JSON", Data("{\"text\": ".utf8), 400, "invalid_json"),
            ("wrong type", Data(#"{"text": 5}"#.utf8), 400, "invalid_json"),
            ("neither field", Data(#"{"input": "x"}"#.utf8), 400, "invalid_argument"),
            ("both fields", Data(#"{"text": "a", "texts": ["b"]}"#.utf8), 400, "invalid_argument"),
            ("no texts", Data(#"{"texts": []}"#.utf8), 422, "invalid_argument"),
            (
                "10k texts", try JSONEncoder().encode(["texts": Array(repeating: "x", count: 10_000)]), 422,
                "too_many_texts"
            ),
            (
                "a text past the length limit",
                try JSONEncoder().encode(["text": String(repeating: "y", count: 30_000)]), 422, "text_too_long"
            ),
            (
                "1 MB text", try JSONEncoder().encode(["text": String(repeating: "z", count: 1 << 20)]), 413,
                "payload_too_large"
            ),
            (
                "invalid UTF-8", Data([0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D]),
                400, "invalid_json"
            )
        ]
        for (name, body, expected, code) in cases {
            let (got, text) = try status(body)
            #expect(got == expected, "\(name): \(got) \(text)")
            #expect(text.contains("\"code\":\"\(code)\""), "\(name): \(text)")
        }
        // The server is still fine.
        #expect(try client.send(Self.predict("")).status == 200)
    }

    @Test func concurrentClientsAreBatchedWithoutErrors() throws {
        let seconds = Double(TestEnvironment.environment("STEWARD_LOAD_SECONDS") ?? "") ?? 5
        let serve = try Self.local()
        // Lengths differ, so batches mix and reorder texts: every answer must still be its own text's.
        let texts = [
            "great movie", "terrible plot and worse acting", "meh", "an unexpected delight from start to finish",
            "🙂 ok",
            String(repeating: "a long and winding review that never ends ", count: 8)
        ]
        struct Answer: Decodable {
            let label: String
            let confidence: Double
        }
        let alone = try texts.map { try serve.client().send(Self.predict($0)).json(Answer.self) }
        let load = LoadGenerator(clients: 64, base: serve.base) { try Self.predict(texts[$0 % texts.count]) }
        let deadline = Date().addingTimeInterval(seconds)
        try eventually(timeout: seconds + 30, "load for \(seconds) s") { Date() >= deadline }
        let (outcomes, errors) = load.stop()
        #expect(errors.isEmpty, "\(errors.prefix(3))")
        #expect(!outcomes.isEmpty && outcomes.allSatisfy { $0.status == 200 })
        let mismatched = outcomes.filter { outcome in
            let expected = alone[outcome.sequence % texts.count]
            guard let got = try? JSONDecoder().decode(Answer.self, from: outcome.body) else { return true }
            return got.label != expected.label || abs(got.confidence - expected.confidence) > 1e-4
        }
        #expect(mismatched.isEmpty, "\(mismatched.count) of \(outcomes.count) answers belong to another text")
        let singles = try #require(try serve.metric("steward_serve_batch_size_bucket{le=\"1\"}"))
        let batches = try #require(try serve.metric("steward_serve_batch_size_count"))
        #expect(batches > singles, "every batch had one text (\(singles) of \(batches))")
        print(
            "64 clients, \(seconds) s: \(outcomes.count) requests, \(Int(Double(outcomes.count) / seconds)) req/s, "
                + "p50 \(LoadGenerator.percentile(outcomes, 0.5)) ms, "
                + "p99 \(LoadGenerator.percentile(outcomes, 0.99)) ms, "
                + "mean batch \(String(format: "%.1f", Double(outcomes.count) / batches))")
    }

    @Test func predictionsAreServedWhilePostgresIsDownAndLoggingResumes() throws {
        let cluster = try ScratchCluster()
        let connection = try PostgresConnection(configuration: cluster.configuration)
        _ = try Schema.migrator().migrate(connection)
        let serve = try Self.local(["STEWARD_DATABASE_URL": cluster.url])
        let load = LoadGenerator(clients: 4, base: serve.base) { try Self.predict("row \($0)") }
        func written() throws -> Double { try serve.metric("steward_prediction_log_written_total") ?? 0 }
        func dropped() throws -> Double { try serve.metric("steward_prediction_log_dropped_total") ?? 0 }
        try eventually("predictions written") { try written() > 0 }
        try cluster.stop()
        let writtenWhileDown = try written()
        try eventually("rows dropped while the database is down") { try dropped() > 0 }
        let servedWhileDown = load.count
        try eventually("requests served while the database is down") { load.count > servedWhileDown + 50 }
        try cluster.start()
        try eventually(timeout: 60, "logging resumed") { try written() > writtenWhileDown }
        let (outcomes, errors) = load.stop()
        #expect(errors.isEmpty)
        #expect(outcomes.allSatisfy { $0.status == 200 })
        let stored: Int = try PostgresConnection(configuration: cluster.configuration)
            .query("SELECT count(*) AS n FROM steward.prediction_log WHERE model_version = '7' AND text IS NULL").first!
            .get("n")
        #expect(stored > 0)
        #expect(serve.process.isRunning)
    }
}
