import Foundation
import HTTPKit
import ServingLog
import Testing
import TestSupport

/// Every stewardctl subcommand and flag against a real stewardd: exit codes, what
/// it prints, and what the API then holds.
@Suite(.serialized) struct StewardctlTests {
    struct Champion: Decodable { let version: Int }
    struct History: Decodable {
        struct Interval: Decodable {
            let track: String
            let version: Int
            let to: String?
        }
        let intervals: [Interval]
    }

    @Test func everySubcommandAndFlagDoesWhatItSays() throws {
        let steps = #"[{"weight": 10}, {"analysis_seconds": 3600}, {"weight": 100}]"#
        let daemon = try OrchestratorEndToEndTests.daemon([
            "STEWARD_TRAINING_COMMAND": "/bin/sleep 60", "STEWARD_ROLLOUT_INTERVAL_MS": "100",
            "STEWARD_ROLLOUT_STEPS": steps
        ])
        try daemon.registerTinyModel(versions: 3)
        let admin = daemon.client()
        _ = try admin.send(
            .json(
                .POST, "/api/v1/datasets",
                ["name": "rt", "version": "1", "path": try OrchestratorEndToEndTests.dataset().path])
        )
        .success()
        let ctl = try TestEnvironment.binary("stewardctl").path
        let home = try TestEnvironment.temporaryDirectory("ctl-home")
        let env = ["STEWARD_URL": daemon.base, "STEWARD_TOKEN": daemon.token, "HOME": home.path]
        func run(
            _ args: String..., environment: [String: String]? = nil
        ) throws -> (status: Int32, stdout: String, stderr: String) {
            try Subprocess.run(ctl, args, environment: environment ?? env)
        }
        func champion() throws -> Int {
            try admin.send(ClientRequest(.GET, "/api/v1/models/sentiment/aliases/champion")).success().json(
                Champion.self
            ).version
        }

        // Usage and settings: flags, environment, token file, config file.
        #expect(try run("--help").stdout.contains("rollback MODEL"))
        #expect(try run().status == 2)
        #expect(try run("frobnicate").status == 2)
        #expect(try run("rollout", "abort", "sentiment", "--full").status == 2, "--full is promote's alone")
        let tokenFile = home.appendingPathComponent("token")
        try daemon.token.write(to: tokenFile, atomically: true, encoding: .utf8)
        #expect(
            try run("--url", daemon.base, "--token-file", tokenFile.path, "status", environment: ["HOME": home.path])
                .status == 0)
        #expect(
            try run("--url", daemon.base, "--token", daemon.token, "status", environment: ["HOME": home.path]).status
                == 0)
        #expect(
            try run(
                "status",
                environment: ["STEWARD_URL": daemon.base, "STEWARD_TOKEN_FILE": tokenFile.path, "HOME": home.path]
            ).status == 0)
        let config = home.appendingPathComponent(".config/steward/config")
        try FileManager.default.createDirectory(
            at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "url = \(daemon.base)\ntoken = \(daemon.token)\n".write(to: config, atomically: true, encoding: .utf8)
        let fromConfig = try run("status", "--json", environment: ["HOME": home.path])
        #expect(fromConfig.status == 0 && fromConfig.stdout.contains("\"leader\""), "\(fromConfig.stderr)")
        #expect(try run("status", "--token", "wrong-token-value").status == 1)

        // Models, versions, aliases, policy.
        #expect(try run("models", "list").stdout.contains("sentiment"))
        #expect(try run("models", "list", "--limit", "1", "--json").stdout.contains("\"items\""))
        #expect(try run("models", "show", "sentiment").stdout.contains("champion"))
        #expect(try run("versions", "promote", "sentiment", "1").stdout.contains("Production with alias champion"))
        #expect(try run("versions", "list", "sentiment").stdout.contains("Production"))
        let production = try run("versions", "list", "sentiment", "--stage", "Production", "--limit", "10")
        #expect(production.stdout.split(separator: "\n").count == 2, "\(production.stdout)")
        #expect(try run("versions", "show", "sentiment", "1").stdout.contains("no promotion decision"))
        #expect(
            try run("alias", "set", "sentiment", "candidate", "3").stdout.contains("sentiment@candidate -> version 3"))
        #expect(try run("alias", "set", "sentiment", "candidate", "x").status == 2)
        #expect(try run("policy", "set", "sentiment", "accuracy >= 0.5").status == 0)
        #expect(try run("policy", "show", "sentiment").stdout.contains("accuracy >= 0.5"))

        // A rollout through every command; the canary track's heartbeat says it serves version 2.
        let instances = ServingInstances(pool: daemon.database.pool)
        try instances.beat(instance: "canary-1", model: "sentiment", track: "canary", version: "2", startedAt: Date())
        #expect(try run("rollout", "start", "sentiment", "2").stdout.contains("Progressing"))
        try eventually("the canary is weighted") {
            try run("rollout", "status", "sentiment", "--json").stdout.contains("\"weight\" : 10")
        }
        #expect(try run("rollout", "pause", "sentiment", "--reason", "looking").stdout.contains("Paused"))
        #expect(try run("rollout", "pause", "sentiment").status == 1, "a paused rollout cannot be paused")
        #expect(try run("rollout", "resume", "sentiment").stdout.contains("Progressing"))
        #expect(try run("rollout", "promote", "sentiment").stdout.contains("manual-promote"))
        let aborted = try run("rollout", "abort", "sentiment", "--reason", "bad answers")
        #expect(aborted.stdout.contains("Aborted") && aborted.stdout.contains("bad answers"), "\(aborted.stdout)")
        #expect(try run("rollout", "watch", "sentiment").stdout.contains("Aborted"))
        try instances.beat(instance: "canary-1", model: "sentiment", track: "canary", version: "2", startedAt: Date())
        #expect(try run("rollout", "retry", "sentiment").stdout.contains("Progressing"))
        #expect(try run("rollout", "promote", "sentiment", "--full").stdout.contains("Promoted"))
        #expect(try champion() == 2)

        // Rollback: to the previous stable version, then to a named one; the history has each interval.
        let back = try run("rollback", "sentiment", "--reason", "v2 misbehaves")
        #expect(back.status == 0 && back.stdout.contains("champion is version 1"), "\(back.stdout) \(back.stderr)")
        #expect(try champion() == 1)
        #expect(try run("rollback", "sentiment", "--to", "3").stdout.contains("champion is version 3"))
        #expect(try run("rollback", "sentiment", "--to", "3").status == 1, "already the champion")
        #expect(try run("rollback", "sentiment", "--to", "zero").status == 2)
        let history = try JSONDecoder().decode(
            History.self, from: Data(try run("history", "sentiment", "--json").stdout.utf8))
        #expect(history.intervals.filter { $0.track == "stable" }.map(\.version) == [1, 2, 1, 3])
        #expect(history.intervals.filter { $0.track == "canary" }.map(\.version) == [2, 2])
        #expect(history.intervals.filter { $0.to == nil }.map(\.version) == [3])
        #expect(try run("history", "sentiment").stdout.contains("now"))
        #expect(try run("versions", "archive", "sentiment", "2").stdout.contains("Archived"))

        // Runs: submit (the training command just sleeps), list, show, logs, cancel.
        let submitted = try run(
            "runs", "submit", "--model", "sentiment", "--dataset", "rt@1", "--base-model", "tiny",
            "--params", #"{"epochs": 1}"#, "--warm-start", "1")
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let runID = String(try #require(submitted.stdout.split(separator: " ").dropFirst(2).first))
        #expect(try run("runs", "submit", "--model", "sentiment", "--dataset", "rt@1", "--params", "[1]").status == 2)
        #expect(try run("runs", "list", "--model", "sentiment", "--limit", "5").stdout.contains(runID))
        #expect(try run("runs", "show", runID).stdout.contains(runID))
        try eventually("the run starts") { try run("runs", "show", runID).stdout.contains("RUNNING") }
        #expect(try run("runs", "logs", runID, "--tail", "5").status == 0)
        #expect(try run("runs", "cancel", runID).stdout.contains("cancelled run \(runID)"))

        // Monitoring views and tokens.
        #expect(try run("drift", "sentiment", "--limit", "5").stdout.hasPrefix("WINDOW"))
        #expect(try run("alerts").stdout.hasPrefix("ID"))
        struct Rule: Encodable { let metric: String, model: String, threshold: Double }
        _ = try admin.send(
            .json(.PUT, "/api/v1/alert-rules/ctl-drift", Rule(metric: "input_psi", model: "sentiment", threshold: 0.25))
        ).success()
        #expect(try run("alerts", "silence", "ctl-drift", "600").stdout.contains("held back until"))
        #expect(try run("alerts", "silence", "ctl-drift", "0").stdout.contains("notifications on"))
        #expect(try run("alerts", "silence", "no-such-rule", "60").status == 1)
        #expect(try run("alerts", "silence", "ctl-drift", "soon").status == 2)
        #expect(try run("alerts", "ack", "999999").status == 1, "no such alert: the API's 404")
        #expect(try run("alerts", "ack", "first").status == 2)
        #expect(try run("alerts", "mute").status == 2)
        let created = try run("tokens", "create", "reader", "--role", "viewer")
        #expect(created.stdout.hasPrefix("stw_"))
        #expect(try run("tokens", "create", "other").status == 2, "--role is required")
        #expect(try run("tokens", "revoke", "reader").stdout.contains("token reader revoked"))
    }
}
