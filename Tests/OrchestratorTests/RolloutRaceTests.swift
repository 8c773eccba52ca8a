import Foundation
import HTTPKit
import ServingLog
import Testing
import TestSupport

/// Operators' commands against the leader's writes: an abort sent to a second
/// replica while the leader is stepping the weight every few milliseconds. The
/// abort is an intent the leader applies, and the leader's own writes are
/// compare-and-set, so an abort can never be overwritten back to Progressing.
@Suite(.serialized) struct RolloutRaceTests {
    struct Rollout: Decodable {
        struct Event: Decodable { let kind: String }
        let id: Int
        let phase: String
        let weight: Int
        let events: [Event]
    }

    @Test func everyAbortRacingTheLeaderWins() throws {
        let rounds = 200
        let leader = try DaemonProcess(environment: ["STEWARD_ROLLOUT_INTERVAL_MS": "10"])
        try leader.registerTinyModel(versions: rounds + 1)
        _ = try leader.client().send(
            ClientRequest(
                .PUT, "/api/v1/models/sentiment/aliases/champion",
                body: Data(#"{"version": 1, "promote": true}"#.utf8))
        ).success()
        let replica = try DaemonProcess(sharing: leader)
        let api = replica.client()
        let instances = ServingInstances(pool: leader.database.pool)
        // Sixty weight steps: the leader writes the rollout on every pass.
        let steps =
            "[" + (1...60).map { #"{"weight": \#($0)}"# }.joined(separator: ", ") + #", {"analysis_seconds": 3600}]"#
        var ids: [Int] = []
        for canary in 2...(rounds + 1) {
            try instances.beat(
                instance: "canary", model: "sentiment", track: "canary", version: String(canary), startedAt: Date())
            let body = #"{"model": "sentiment", "canary_version": \#(canary), "steps": \#(steps)}"#
            _ = try api.send(ClientRequest(.POST, "/api/v1/rollouts", body: Data(body.utf8))).success()
            // Abort at a different moment of the leader's stepping each round.
            try eventually("the leader moves the weight") {
                try api.send(ClientRequest(.GET, "/api/v1/rollouts/sentiment")).json(Rollout.self).weight >= 1 + canary
                    % 7
            }
            let abort = try api.send(ClientRequest(.POST, "/api/v1/rollouts/sentiment/abort"))
            #expect([200, 202].contains(abort.status), "\(abort.text)")
            try eventually("the abort is applied") {
                try api.send(ClientRequest(.GET, "/api/v1/rollouts/sentiment")).json(Rollout.self).phase == "Aborted"
            }
            ids.append(try api.send(ClientRequest(.GET, "/api/v1/rollouts/sentiment")).json(Rollout.self).id)
        }
        // Long after: every rollout is still Aborted, and nothing was written after its abort.
        let rows = try leader.database.pool.query(
            """
            SELECT r.id, r.phase, (SELECT kind FROM steward.rollout_events e WHERE e.rollout_id = r.id ORDER BY e.id
                DESC LIMIT 1) AS last
            FROM steward.rollouts r ORDER BY r.id
            """)
        #expect(rows.count == rounds && Set(ids).count == rounds)
        for row in rows {
            let id: Int = try row.get("id"), phase: String = try row.get("phase"), last: String = try row.get("last")
            #expect(phase == "Aborted" && last == "aborted", "rollout \(id): \(phase), last event \(last)")
        }
        let refused: Int = try leader.database.pool.query(
            """
            SELECT count(*) AS n FROM steward.rollout_commands WHERE action = 'abort' AND outcome <> 'applied'
            """
        ).first!.get("n")
        #expect(refused == 0)
    }
}
