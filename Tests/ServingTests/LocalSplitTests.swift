import Foundation
import HTTPKit
import Testing
import TestSupport

/// The embedded mode's canary path with real processes: stewardd's local
/// traffic split in front of a stable and a canary `steward-serve`, a rollout
/// moving the weight, and the canary following the `challenger` alias.
@Suite(.serialized) struct LocalSplitTests {
    struct Answer: Decodable {
        struct Model: Decodable {
            let version: String
            let track: String?
        }
        let model: Model
    }
    struct Split: Decodable {
        let weight: Int
        let effective_weight: Int
        let canary_ready: Bool
    }

    /// `count` sequential predictions through the split: the tracks and versions that answered.
    static func send(_ count: Int, to split: HTTPClient) throws -> [(track: String, version: String)] {
        try (0..<count).map { i in
            let response = try split.send(.json(.POST, "/predict", ["text": "a fine and moving film \(i)"])).success()
            return (response.headers["X-Steward-Track"] ?? "?", try response.json(Answer.self).model.version)
        }
    }

    @Test func aRolloutMovesRealTrafficBetweenTheTwoServingProcesses() throws {
        let daemon = try DaemonProcess()
        try daemon.registerTinyModel()
        let api = daemon.client()
        func body(_ json: String) -> Data { Data(json.utf8) }
        #expect(
            try api.send(
                ClientRequest(
                    .PUT, "/api/v1/models/sentiment/aliases/champion", body: body(#"{"version": 1, "promote": true}"#))
            ).status == 200)
        func serve(_ track: String, alias: String) throws -> ServeProcess {
            try ServeProcess(environment: [
                "STEWARD_REGISTRY_URL": daemon.base, "STEWARD_REGISTRY_TOKEN": daemon.token,
                "STEWARD_MODEL_NAME": "sentiment",
                "STEWARD_MODEL_ALIAS": alias, "STEWARD_SERVE_TRACK": track, "STEWARD_MODEL_POLL_SECONDS": "0.2",
                "STEWARD_DATABASE_URL": daemon.database.configuration.url,
                "STEWARD_MODEL_CACHE": try TestEnvironment.temporaryDirectory("serve-cache-\(track)").path
            ])
        }
        let stable = try serve("stable", alias: "champion")
        // No rollout yet, so no challenger: the canary starts, and is not ready.
        let canary = try serve("canary", alias: "challenger")
        #expect(try canary.client().send(ClientRequest(.GET, "/ready")).status == 503)

        // A second replica runs the split (every replica may; it needs no leadership).
        let front = try DaemonProcess(
            sharing: daemon,
            overriding: [
                "STEWARD_SPLIT_PORT": "0", "STEWARD_SPLIT_MODEL": "sentiment",
                "STEWARD_SPLIT_STABLE_URL": stable.base, "STEWARD_SPLIT_CANARY_URL": canary.base
            ])
        let split = HTTPClient(
            configuration: .init(
                baseURL: "http://127.0.0.1:\(try front.process.listeningPort(server: "split"))", retry: .none))
        let before = try Self.send(50, to: split)
        #expect(before.allSatisfy { $0 == ("stable", "1") }, "\(before.prefix(3))")

        let started = try api.send(
            ClientRequest(
                .POST, "/api/v1/rollouts",
                body: body(
                    """
                    {"model": "sentiment", "canary_version": 2, "steps": [{"weight": 30}, {"analysis_seconds": 3600}]}
                    """)))
        #expect(started.status == 201, "\(started.text)")
        // The leader sets weight 30, the canary loads the challenger, the split sees both.
        try eventually("the split sends the canary its share") {
            (try? split.send(ClientRequest(.GET, "/split")).json(Split.self).effective_weight) == 30
        }
        #expect(try canary.client().send(ClientRequest(.GET, "/ready")).status == 200)
        let during = try Self.send(100, to: split)
        #expect(during.filter { $0.track == "canary" }.count == 30)
        let counted = try split.send(ClientRequest(.GET, "/metrics")).text
        #expect(counted.contains(#"steward_split_requests_total{track="canary",status="200"} 30"#), "\(counted)")
        #expect(
            during.allSatisfy { $0 == ("canary", "2") || $0 == ("stable", "1") },
            "\(during.filter { $0.version != ($0.track == "canary" ? "2" : "1") }.prefix(3))")
        // The serving processes log what they answered, by track, for the analysis.
        try eventually("the canary's predictions reach the log") {
            let rows: Int = try daemon.database.pool.query(
                """
                SELECT count(*) AS n FROM steward.prediction_log WHERE track = 'canary' AND model_version = '2'
                """
            ).first!.get("n")
            return rows >= 30
        }

        // The canary process dies: no request fails; those already routed to it go to stable
        // (a connect failure never reached it), and the split stops choosing it once it is not ready.
        canary.process.signal(SIGKILL)
        _ = canary.process.waitForExit(timeout: 10)
        var afterKill: [(track: String, version: String)] = []
        try eventually("the split notices the canary is gone") {
            afterKill += try Self.send(10, to: split)
            return (try split.send(ClientRequest(.GET, "/split")).json(Split.self).effective_weight) == 0
        }
        #expect(
            afterKill.allSatisfy { $0 == ("stable", "1") }, "\(afterKill.filter { $0.track != "stable" }.prefix(3))")

        #expect(try api.send(ClientRequest(.POST, "/api/v1/rollouts/sentiment/abort")).status == 200)
        try eventually("all traffic back on stable") {
            (try? split.send(ClientRequest(.GET, "/split")).json(Split.self).effective_weight) == 0
        }
        let after = try Self.send(50, to: split)
        #expect(after.allSatisfy { $0 == ("stable", "1") })
        // The abort archived the canary and took the challenger alias away.
        #expect(try api.send(ClientRequest(.GET, "/api/v1/models/sentiment/aliases/challenger")).status == 404)
    }
}
