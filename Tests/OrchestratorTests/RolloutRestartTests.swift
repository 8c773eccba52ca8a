import Foundation
import HTTPKit
import Postgres
import ServingLog
import Testing
import TestSupport

/// A leader SIGKILLed in the middle of an analysis pause: the next leader
/// continues at the same step, ends the pause at its stored time and applies
/// no step twice.
@Suite(.serialized) struct RolloutRestartTests {
    struct Event: Decodable {
        let step: Int
        let weight: Int
        let kind: String
        let detail: String
        let at: String
    }
    struct Rollout: Decodable {
        let phase: String
        let step: Int
        let weight: Int
        let step_started_at: String
        let events: [Event]
    }

    static func date(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return try #require(formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text), "\(text)")
    }

    @Test func aKilledLeaderResumesThePauseAtItsStoredEnd() throws {
        let pause = 8.0
        let first = try DaemonProcess()
        try first.registerTinyModel()
        let client = first.client()
        _ = try client.send(
            ClientRequest(
                .PUT, "/api/v1/models/sentiment/aliases/champion", body: Data(#"{"version": 1, "promote": true}"#.utf8))
        ).success()
        // The fake serving processes' heartbeat: the canary track serves version 2.
        try ServingInstances(pool: first.database.pool).beat(
            instance: "canary", model: "sentiment", track: "canary", version: "2",
            startedAt: Date())
        let started = try client.send(
            ClientRequest(
                .POST, "/api/v1/rollouts",
                body: Data(
                    """
                    {"model": "sentiment", "canary_version": 2,
                     "steps": [{"weight": 10}, {"analysis_seconds": \(Int(pause))}, {"weight": 50},
                     {"analysis_seconds": 3600}], "analysis": {"min_requests": 20, "min_predictions": 20}}
                    """.utf8)))
        #expect(started.status == 201, "\(started.text)")
        func rollout(_ daemon: DaemonProcess) throws -> Rollout {
            try daemon.client().send(ClientRequest(.GET, "/api/v1/rollouts/sentiment")).success().json(Rollout.self)
        }
        try eventually("the leader sets the first weight") { try rollout(first).step == 1 }
        let pauseStart = try Self.date(try rollout(first).step_started_at)
        let pauseEnd = pauseStart.addingTimeInterval(pause)

        // The fake traffic source: both tracks served well during the pause.
        let rows: [[any PostgresEncodable]] = (0..<60).map { i in
            [
                pauseStart.addingTimeInterval(1.2 + Double(i % 30) * 0.2), "sentiment", i < 30 ? "1" : "2",
                i < 30 ? "stable" : "canary",
                12.0, 200, "positive", 0.9, 40, 8, 0.0, 0.05
            ]
        }
        _ = try first.database.pool.withConnection { c in
            try c.copyIn(
                table: "steward.prediction_log",
                columns: [
                    "at", "model_name", "model_version", "track", "latency_ms", "status", "label",
                    "confidence", "char_length", "word_count", "oov_share", "non_letter_share"
                ], rows: rows)
        }
        first.process.signal(SIGKILL)
        #expect(first.process.waitForExit(timeout: 10) != nil)
        #expect(Date() < pauseEnd, "the leader must die inside the pause")

        let second = try DaemonProcess(sharing: first)
        let resumed = try rollout(second)
        #expect(resumed.step == 1 && resumed.weight == 10)
        #expect(try Self.date(resumed.step_started_at) == pauseStart, "the pause keeps its stored start")
        try eventually(timeout: 30, "the new leader analyses and moves on") { try rollout(second).step == 3 }
        let after = try rollout(second)
        #expect(after.weight == 50 && after.phase == "Progressing")
        let kinds = after.events.map { "\($0.kind) \($0.weight)" }
        #expect(kinds == ["canary-ready 0", "weight 10", "analysis 10", "weight 50"], "\(kinds)")
        // The analysis covered the original pause: the only traffic is there, and it passed.
        #expect(after.events[2].detail.hasPrefix("passed"), "\(after.events[2].detail)")
        #expect(try Self.date(after.events[2].at) >= pauseEnd.addingTimeInterval(-0.01), "never before the stored end")
    }
}
