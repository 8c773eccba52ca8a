import Foundation
import HTTPKit
import Testing
import TestSupport

@Suite struct FeedbackTests {
    struct Accuracy: Decodable {
        struct Item: Decodable {
            let version: String
            let labelled: Int
            let correct: Int
            let accuracy: Double
        }
        let items: [Item]
    }

    @Test func feedbackGivesLiveAccuracyPerVersion() throws {
        let daemon = try DaemonProcess()
        let client = daemon.client()
        #expect(try client.send(.json(.POST, "/api/v1/models", ["name": "m"])).status == 201)
        for (id, label) in [("r1", "positive"), ("r2", "negative"), ("r3", "positive")] {
            _ = try daemon.database.pool.query(
                """
                INSERT INTO steward.prediction_log (at, model_name, model_version, track, latency_ms, label,
                    confidence, request_id)
                VALUES (now(), 'm', '3', 'stable', 1, \(label), 0.9, \(id))
                """)
        }
        for (id, truth) in [("r1", "positive"), ("r2", "positive"), ("r3", "positive")] {
            #expect(
                try client.send(
                    .json(
                        .POST, "/api/v1/feedback",
                        ["model": "m", "text": "text \(id)", "label": truth, "request_id": id])
                ).status == 201)
        }
        #expect(
            try client.send(.json(.POST, "/api/v1/feedback", ["model": "m", "text": "x", "label": "neutral"])).status
                == 422)
        #expect(
            try client.send(.json(.POST, "/api/v1/feedback", ["model": "m", "text": "", "label": "positive"])).status
                == 422)
        #expect(
            try client.send(.json(.POST, "/api/v1/feedback", ["model": "nope", "text": "x", "label": "positive"]))
                .status == 404)
        #expect(try client.send(ClientRequest(.GET, "/api/v1/models/nope/accuracy")).status == 404)
        #expect(try client.send(ClientRequest(.GET, "/api/v1/models/nope/drift")).status == 404)
        #expect(
            try client.send(
                ClientRequest(
                    .PUT, "/api/v1/alert-rules/r",
                    body: Data(#"{"metric": "input_psi", "model": "nope", "threshold": 0.2}"#.utf8))
            ).status == 404)
        let accuracy = try client.send(ClientRequest(.GET, "/api/v1/models/m/accuracy")).json(Accuracy.self)
        #expect(accuracy.items.count == 1)
        #expect(accuracy.items[0].version == "3" && accuracy.items[0].labelled == 3 && accuracy.items[0].correct == 2)
        #expect(abs(accuracy.items[0].accuracy - 2.0 / 3.0) < 1e-12)
    }
}
