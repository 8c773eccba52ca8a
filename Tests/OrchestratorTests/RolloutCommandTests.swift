import Foundation
import HTTPKit
import Testing
import TestSupport

/// Operators' rollout commands are audited under their own name, and a policy
/// is checked wherever it is given (nesting included: it once crashed the daemon).
@Suite(.serialized) struct RolloutCommandTests {
    struct Rollout: Decodable { let phase: String }
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let code: String
            let message: String
        }
        let error: Detail
    }

    @Test func commandsAreAuditedAsTheirCallerAndPoliciesAreCheckedEverywhere() throws {
        let daemon = try DaemonProcess()
        try daemon.registerTinyModel()
        let admin = daemon.client()
        _ = try admin.send(
            ClientRequest(
                .PUT, "/api/v1/models/sentiment/aliases/champion", body: Data(#"{"version": 1, "promote": true}"#.utf8))
        ).success()
        let token = try admin.send(.json(.POST, "/api/v1/tokens", ["name": "ops", "role": "operator"])).success().json(
            CreatedToken.self
        ).token
        let ops = daemon.client(token: token)
        let started = try ops.send(
            ClientRequest(
                .POST, "/api/v1/rollouts",
                body: Data(
                    """
                    {"model": "sentiment", "canary_version": 2,
                     "steps": [{"weight": 10}, {"analysis_seconds": 3600}, {"weight": 100}]}
                    """.utf8)))
        #expect(started.status == 201, "\(started.text)")
        for (command, phase) in [
            ("pause", "Paused"), ("resume", "Progressing"), ("abort", "Aborted"), ("retry", "Progressing"),
            ("promote-full", "Promoted")
        ] {
            let answer = try ops.send(ClientRequest(.POST, "/api/v1/rollouts/sentiment/\(command)"))
            #expect(answer.status == 200, "\(command): \(answer.text)")
            #expect(try answer.json(Rollout.self).phase == phase, "\(command)")
        }
        let audit = try admin.send(ClientRequest(.GET, "/api/v1/audit?limit=200")).success().json(AuditPage.self).items
        let byOps = Set(audit.filter { $0.actor == "ops" && $0.target == "model:sentiment/2" }.map(\.action))
        #expect(
            byOps.isSuperset(of: [
                "rollout.start", "rollout.pause", "rollout.resume", "rollout.abort", "rollout.retry",
                "rollout.promote-full"
            ]),
            "\(byOps)")

        // A policy nested a thousand signs deep is a 400, at creation and when set; the daemon lives on.
        let deep = "accuracy >= " + String(repeating: "-", count: 1000) + "1"
        let created = try admin.send(.json(.POST, "/api/v1/models", ["name": "other", "policy": deep]))
        #expect(created.status == 400, "\(created.text)")
        #expect(try created.json(ErrorBody.self).error.code == "invalid_policy")
        #expect(try admin.send(ClientRequest(.GET, "/api/v1/models/other")).status == 404)
        let set = try admin.send(.json(.PUT, "/api/v1/models/sentiment/policy", ["policy": deep]))
        #expect(set.status == 400, "\(set.text)")
        #expect(try admin.send(ClientRequest(.GET, "/health")).status == 200)
    }
}
