import Foundation
import HTTPKit
import Synchronization
import Testing
import TestSupport

/// stewardd with its local executor running the real training entry point, and
/// stewardctl against it.
@Suite(.serialized) struct OrchestratorEndToEndTests {
    struct Submitted: Decodable {
        let run_id: String
        let status: String
    }
    struct Run: Decodable {
        let id: String
        let status: String
        let failure_reason: String?
        let tags: [String: String]
    }
    struct Decision: Decodable {
        struct Clause: Decodable {
            let clause: String
            let passed: Bool
            let reason: String
        }
        let passed: Bool
        let clauses: [Clause]
    }
    struct Version: Decodable {
        let version: Int
        let stage: String
    }

    static func daemon(_ extra: [String: String] = [:]) throws -> DaemonProcess {
        let root = TestEnvironment.repositoryRoot
        var environment = [
            "STEWARD_TRAINING_DIR": root.appendingPathComponent("training").path,
            "STEWARD_TRAINING_COMMAND": root.appendingPathComponent(".steward/venv/bin/python").path
                + " -m steward_training.entrypoint",
            "STEWARD_TRAINING_LOGS": try TestEnvironment.temporaryDirectory("run-logs").path,
            "STEWARD_ASSETS": root.appendingPathComponent(".steward/assets").path,
            "STEWARD_DATASET_ROOTS": try Self.dataset().deletingLastPathComponent().path
        ]
        environment.merge(extra) { _, new in new }
        return try DaemonProcess(environment: environment)
    }

    /// A small dataset folder in the contract's layout, built by the training package.
    static func dataset() throws -> URL {
        let out = TestEnvironment.repositoryRoot.appendingPathComponent(".steward/fixtures/datasets/rt-small")
        if !FileManager.default.fileExists(atPath: out.appendingPathComponent("manifest.json").path) {
            let python = TestEnvironment.repositoryRoot.appendingPathComponent(".steward/venv/bin/python").path
            let result = try Subprocess.run(
                python, ["-m", "steward_training.data", "build", "--out", out.path, "--name", "rt-small"],
                currentDirectory: TestEnvironment.repositoryRoot.appendingPathComponent("training"))
            guard result.status == 0 else { throw TestSupportError("building the dataset failed: \(result.stderr)") }
        }
        return out
    }

    static func prepare(_ client: HTTPClient, policy: String) throws {
        #expect(try client.send(.json(.POST, "/api/v1/models", ["name": "sentiment"])).status == 201)
        #expect(
            try client.send(
                .json(.POST, "/api/v1/datasets", ["name": "rt", "version": "1", "path": try dataset().path])
            ).status == 201)
        #expect(try client.send(.json(.PUT, "/api/v1/models/sentiment/policy", ["policy": policy])).status == 200)
    }

    @Test func aSubmittedRunTrainsRegistersAndGetsAVerdict() throws {
        let daemon = try Self.daemon()
        let client = daemon.client()
        try Self.prepare(client, policy: "accuracy >= 0.55 and eval_rows >= 100 and dataset.rows >= 1000")
        let bad = try client.send(.json(.PUT, "/api/v1/models/sentiment/policy", ["policy": "accuracy >= and f1 > 0"]))
        #expect(bad.status == 400 && bad.text.contains("column 13"))
        #expect(try client.send(.json(.POST, "/api/v1/runs", ["model": "nope", "dataset": "rt@1"])).status == 404)
        #expect(try client.send(.json(.POST, "/api/v1/runs", ["model": "sentiment", "dataset": "rt@9"])).status == 404)

        let params = ["epochs": 1, "max_train_rows": 600, "quantize": 0, "latency_rows": 20, "parity_rows": 32]
        let submitted = try client.send(
            .json(.POST, "/api/v1/runs", SubmitBody(model: "sentiment", dataset: "rt@1", params: params)))
        #expect(submitted.status == 201, "\(submitted.text)")
        let id = try submitted.json(Submitted.self).run_id
        try eventually(timeout: 600, "the run finishes") {
            let status = try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).json(Run.self).status
            if status == "FAILED" {
                throw TestSupportError("run failed: \(try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).text)")
            }
            return status == "FINISHED"
        }
        let run = try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).json(Run.self)
        let version = try #require(run.tags["steward.model_version"])
        try eventually(timeout: 30, "a promotion decision") {
            try client.send(ClientRequest(.GET, "/api/v1/models/sentiment/versions/\(version)/decision")).status == 200
        }
        let decision = try client.send(ClientRequest(.GET, "/api/v1/models/sentiment/versions/\(version)/decision"))
            .json(Decision.self)
        #expect(decision.clauses.count == 3)
        #expect(decision.clauses.allSatisfy { !$0.reason.isEmpty })
        let stage = try client.send(ClientRequest(.GET, "/api/v1/models/sentiment/versions/\(version)")).json(
            Version.self
        ).stage
        #expect(stage == (decision.passed ? "Staging" : "None"))
        let events = try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)/events")).text
        for status in ["QUEUED", "SUBMITTED", "FINISHED"] { #expect(events.contains("\"to_status\":\"\(status)\"")) }
        // The trainer logged with a token of its own run, an operator's, revoked once the run ended.
        let token = try #require(
            try daemon.database.pool.query(
                "SELECT role, revoked_at IS NOT NULL AS revoked FROM steward.api_tokens WHERE name = \("run-\(id)")"
            ).first)
        #expect(try token.get("role", as: String.self) == "operator" && token.get("revoked", as: Bool.self))
        let actions: Int = try daemon.database.pool.query(
            "SELECT count(*) AS n FROM steward.audit_log WHERE actor = \("run-\(id)")"
        ).first!.get("n")
        #expect(actions > 0)
    }

    struct SubmitBody: Encodable {
        let model: String
        let dataset: String
        let params: [String: Int]
    }

    /// Trains and promotes version 1 with a quick configuration; returns the run's parameters' version.
    static func trainAndPromote(_ client: HTTPClient) throws -> String {
        let params = ["epochs": 1, "max_train_rows": 600, "quantize": 0, "latency_rows": 20, "parity_rows": 32]
        let id = try client.send(
            .json(.POST, "/api/v1/runs", SubmitBody(model: "sentiment", dataset: "rt@1", params: params))
        ).json(Submitted.self).run_id
        let version = try finished(client, run: id)
        #expect(
            try client.send(
                ClientRequest(
                    .PUT, "/api/v1/models/sentiment/aliases/champion",
                    body: Data(#"{"version": \#(version), "promote": true}"#.utf8))
            ).status == 200)
        return version
    }

    /// Waits for a run to finish; its registered version.
    static func finished(_ client: HTTPClient, run id: String) throws -> String {
        try eventually(timeout: 600, "run \(id) finishes") {
            let status = try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).json(Run.self).status
            if status == "FAILED" {
                throw TestSupportError("run failed: \(try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).text)")
            }
            return status == "FINISHED"
        }
        return try #require(
            try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).json(Run.self).tags["steward.model_version"])
    }

    struct Alert: Decodable {
        let id: Int64
        let rule: String
        let started_at: String
        let ended_at: String?
        let resolved_value: Double?
    }
    struct Alerts: Decodable { let items: [Alert] }

    /// A drift episode from start to end through real processes: critic snippets, then
    /// far longer texts, through steward-serve into the prediction log, true labels
    /// posted back; the monitor's windows open the drift alert; exactly one retrain,
    /// on a dataset version Steward registered from the Production version's dataset
    /// and the episode's feedback; promoted, the retrained version's own reference
    /// fits the shifted traffic, its windows fall under the threshold and the alert
    /// resolves by itself; a second shift opens a new episode with a retrain of its own.
    @Test func aDriftEpisodeRetrainsOnceOnARegisteredDatasetAndEndsWhenTheRetrainServes() throws {
        let daemon = try Self.daemon([
            "STEWARD_DRIFT_WINDOW_SECONDS": "10", "STEWARD_DRIFT_WINDOWS": "2", "STEWARD_DRIFT_MIN_ROWS": "30",
            "STEWARD_RETRAIN_INTERVAL_SECONDS": "1", "STEWARD_RETRAIN_MIN_FEEDBACK": "60",
            "STEWARD_RETRAIN_COOLDOWN_SECONDS": "0"
        ])
        let client = daemon.client()
        try Self.prepare(client, policy: "eval_rows >= 100")
        let v1 = try Self.trainAndPromote(client)
        #expect(
            try client.send(
                ClientRequest(
                    .PUT, "/api/v1/alert-rules/input-drift",
                    body: Data(
                        """
                        {"metric": "input_psi", "model": "sentiment", "threshold": 0.25, "for_seconds": 0,
                         "resolve_after_seconds": 15}
                        """.utf8))
            ).status == 200)
        let serve = try ServeProcess(environment: [
            "STEWARD_REGISTRY_URL": daemon.base, "STEWARD_REGISTRY_TOKEN": daemon.token,
            "STEWARD_MODEL_NAME": "sentiment", "STEWARD_MODEL_POLL_SECONDS": "1",
            "STEWARD_DATABASE_URL": daemon.database.configuration.url,
            "STEWARD_MODEL_CACHE": try TestEnvironment.temporaryDirectory("serve-cache").path
        ])
        // Texts the model was trained on the like of, with their labels, and a shift: six snippets in one text.
        let critics: [(text: String, label: String)] = try String(
            contentsOf: try Self.dataset().appendingPathComponent("test.csv"), encoding: .utf8
        ).split(separator: "\n").dropFirst().prefix(600).map { line in
            let fields = line.split(separator: ",")
            return (fields.dropLast().joined(separator: ","), String(fields.last!))
        }
        let shifted = stride(from: 0, to: critics.count - 6, by: 6).map {
            (
                text: critics[$0..<$0 + 6].map(\.text).joined(separator: " ") + " !!! #mustwatch",
                label: critics[$0].label
            )
        }
        let phase = Atomic<Int>(0)  // 0 critics, 1 shifted, 2 critics again
        let load = LoadGenerator(clients: 1, base: serve.base) { i in
            usleep(20_000)  // about 50 requests a second: several windows' worth, without swamping two cores
            let texts = phase.load(ordering: .relaxed) == 1 ? shifted : critics
            return try .json(.POST, "/predict", ["text": texts[i % texts.count].text])
        }
        defer { _ = load.stop() }
        /// True labels for production texts, as a labelling queue would post them back.
        func label(_ rows: some Sequence<(text: String, label: String)>) throws {
            for row in rows {
                let answer = try client.send(
                    .json(.POST, "/api/v1/feedback", ["model": "sentiment", "text": row.text, "label": row.label]))
                #expect(answer.status == 201, "\(answer.text)")
            }
        }
        func windows(version: String, worse: Bool) throws -> Int {
            try daemon.database.pool.query(
                """
                SELECT count(*) AS n FROM (SELECT window_start FROM steward.drift_windows
                WHERE model_version = \(version) AND track = 'stable' GROUP BY window_start HAVING (max(psi) > 0.25) =
                    \(worse)) w
                """
            ).first!.get("n")
        }
        func driftRuns() throws -> [String] {
            try daemon.database.pool.query(
                "SELECT run_id FROM steward.run_specs WHERE reason LIKE 'drift%' ORDER BY created_at"
            ).map { try $0.get("run_id") }
        }
        func alerts() throws -> [Alert] {
            try client.send(ClientRequest(.GET, "/api/v1/alerts")).json(Alerts.self).items.filter {
                $0.rule == "input-drift"
            }
        }
        try eventually(timeout: 60, "a stored window of in-distribution traffic") {
            try windows(version: v1, worse: false) >= 1
        }
        #expect(try windows(version: v1, worse: true) == 0)
        #expect(try driftRuns().isEmpty)
        try label(critics.prefix(30))  // feedback from before the episode: not the shifted traffic's

        // The shift: the alert opens; no retrain until the episode has labelled texts of its own.
        phase.store(1, ordering: .relaxed)
        try eventually(timeout: 90, "the drift alert") { try alerts().contains { $0.ended_at == nil } }
        let ctl = try TestEnvironment.binary("stewardctl").path
        let env = [
            "STEWARD_URL": daemon.base, "STEWARD_TOKEN": daemon.token,
            "HOME": try TestEnvironment.temporaryDirectory("home").path
        ]
        let shown = try Subprocess.run(ctl, ["alerts"], environment: env)
        #expect(shown.status == 0 && shown.stdout.contains("input-drift") && shown.stdout.contains("firing"))
        try eventually(timeout: 60, "two drifted windows") { try windows(version: v1, worse: true) >= 2 }
        #expect(try driftRuns().isEmpty, "the retrain waits for 60 labelled texts of the episode")
        try label(shifted)
        try eventually(timeout: 60, "a retrain run") { try driftRuns().count == 1 }
        let windowsAtQueue = try windows(version: v1, worse: true)
        try eventually(timeout: 60, "two more drifted windows") {
            try windows(version: v1, worse: true) >= windowsAtQueue + 2
        }
        #expect(try driftRuns().count == 1, "one retrain per episode")

        // Its data: rt@2, rt@1's splits plus the episode's labelled texts, shown with its lineage.
        let runID = try driftRuns()[0]
        let show = try Subprocess.run(ctl, ["datasets", "show", "rt@2"], environment: env)
        #expect(show.status == 0, "\(show.stderr)")
        for expected in ["rt@1 (sha256", "feedback", "\(shifted.count)", "rt@2/production", runID] {
            #expect(show.stdout.contains(expected), "\(expected) in \(show.stdout)")
        }
        let v2 = try Self.finished(client, run: runID)
        let version = try Subprocess.run(ctl, ["versions", "show", "sentiment", v2], environment: env)
        #expect(version.status == 0 && version.stdout.contains("rt@2"), "\(version.stdout)")
        #expect(try Subprocess.run(ctl, ["datasets", "show", "rt@2"], environment: env).stdout.contains("sentiment"))

        // It passes the policy, a rollout starts; the operator promotes it straight to 100%.
        struct Rollout: Decodable { let canary_version: Int? }
        try eventually(timeout: 60, "the retrained version's rollout") {
            let rollout = try client.send(ClientRequest(.GET, "/api/v1/rollouts/sentiment"))
            guard rollout.status == 200 else { return false }
            return try rollout.json(Rollout.self).canary_version.map(String.init) == v2
        }
        let promote = try Subprocess.run(
            ctl, ["rollout", "promote", "sentiment", "--full", "--reason", "retrained on the shift"], environment: env)
        #expect(promote.status == 0, "\(promote.stderr)")
        struct Ready: Decodable { let version: String }
        let serving = HTTPClient(configuration: .init(baseURL: serve.base))
        try eventually(timeout: 60, "steward-serve serves the retrained version") {
            try serving.send(ClientRequest(.GET, "/ready")).json(Ready.self).version == v2
        }
        // Its reference is the shifted texts it was retrained for: its windows fall back, the alert resolves.
        do {
            try eventually(timeout: 90, "a quiet window of the retrained version") {
                try windows(version: v2, worse: false) >= 1
            }
        } catch {
            let stored = try daemon.database.pool.query(
                """
                SELECT window_start, model_version, feature, psi, current_rows FROM steward.drift_windows
                ORDER BY window_start DESC, model_version, feature LIMIT 40
                """
            ).map {
                "\(try $0.get("window_start", as: Date.self)) v\(try $0.get("model_version", as: String.self)) "
                    + "\(try $0.get("feature", as: String.self)) \(try $0.get("psi", as: Double.self)) "
                    + "\(try $0.get("current_rows", as: Int.self))"
            }
            Issue.record("windows:\n\(stored.joined(separator: "\n"))")
            throw error
        }
        try eventually(timeout: 90, "the drift alert resolves") { try alerts().allSatisfy { $0.ended_at != nil } }
        let resolved = try alerts()
        #expect(resolved.count == 1 && (resolved[0].resolved_value ?? 1) <= 0.25)
        #expect(try windows(version: v2, worse: true) == 0)

        // The episode ends after as many quiet windows in a row as start one (2); the window the promotion
        // fell in also holds version 1's loud rows, so wait for three of version 2's.
        try eventually(timeout: 60, "the episode's quiet windows") { try windows(version: v2, worse: false) >= 3 }
        // A second shift (back to single snippets) is a new episode: a new alert, and a retrain of its own
        // once it has labels, on rt@3 built from the Production version's rt@2.
        phase.store(2, ordering: .relaxed)
        try eventually(timeout: 90, "a second drift alert") {
            try alerts().count == 2 && alerts().contains { $0.ended_at == nil }
        }
        try eventually(timeout: 60, "two drifted windows of the retrained version") {
            try windows(version: v2, worse: true) >= 2
        }
        #expect(try driftRuns().count == 1)
        try label(critics.dropFirst(100).prefix(70))
        do {
            try eventually(timeout: 60, "the second episode's retrain") { try driftRuns().count == 2 }
        } catch {
            let log = (daemon.process.standardOutput + daemon.process.standardError).split(separator: "\n")
                .filter { $0.contains("retrain") || $0.contains("error") }.suffix(15)
            Issue.record("retrainer said:\n\(log.joined(separator: "\n"))")
            throw error
        }
        struct Dataset: Decodable { let parent: String? }
        let third = try client.send(ClientRequest(.GET, "/api/v1/datasets/rt/3")).json(Dataset.self)
        #expect(third.parent == "rt@2")
        _ = try client.send(ClientRequest(.POST, "/api/v1/runs/\(try driftRuns()[1])/cancel"))
        let (outcomes, errors) = load.stop()
        #expect(errors.isEmpty && outcomes.allSatisfy { $0.status == 200 })
    }

    @Test func aCancelledRunNeverComesBack() throws {
        let daemon = try Self.daemon()
        let client = daemon.client()
        try Self.prepare(client, policy: "accuracy >= 0.5")
        let id = try client.send(
            .json(.POST, "/api/v1/runs", SubmitBody(model: "sentiment", dataset: "rt@1", params: ["epochs": 3]))
        )
        .json(Submitted.self).run_id
        try eventually(timeout: 60, "the run is submitted") {
            try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).json(Run.self).status != "QUEUED"
        }
        #expect(try client.send(ClientRequest(.POST, "/api/v1/runs/\(id)/cancel")).status == 200)
        #expect(try client.send(ClientRequest(.POST, "/api/v1/runs/\(id)/cancel")).status == 409)
        // The killed process may still try to end its run: the run stays KILLED.
        #expect(
            try client.send(.json(.POST, "/api/2.0/mlflow/runs/update", ["run_id": id, "status": "FINISHED"])).status
                == 200)
        try eventually(timeout: 30, "the cancel reaches the executor") {
            try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)/logs")).status == 200
                && (try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)/events")).text.contains("KILLED"))
        }
        #expect(try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).json(Run.self).status == "KILLED")
    }

    struct Status: Decodable { let leader: Bool }

    @Test func onlyOneReplicaLeadsAndAnotherTakesOverWhenItDies() throws {
        let first = try Self.daemon()
        let second = try DaemonProcess(sharing: first)
        func leaders() throws -> [Bool] {
            try [first, second].map {
                try $0.client().send(ClientRequest(.GET, "/api/v1/status")).json(Status.self).leader
            }
        }
        try eventually(timeout: 15, "one leader") { try leaders().filter { $0 }.count == 1 }
        let leader = try leaders()[0] ? first : second
        let follower = leader === first ? second : first
        leader.process.signal(SIGKILL)
        let killed = Date()
        try eventually(timeout: 10, "the other replica leads") {
            try follower.client().send(ClientRequest(.GET, "/api/v1/status")).json(Status.self).leader
        }
        print("takeover after \(String(format: "%.1f", Date().timeIntervalSince(killed))) s")
    }

    @Test func stewardctlDrivesTheAPI() throws {
        let daemon = try Self.daemon()
        try Self.prepare(daemon.client(), policy: "accuracy >= 0.5")
        let ctl = try TestEnvironment.binary("stewardctl").path
        let env = [
            "STEWARD_URL": daemon.base, "STEWARD_TOKEN": daemon.token,
            "HOME": try TestEnvironment.temporaryDirectory("home").path
        ]
        func run(_ args: String...) throws -> (status: Int32, stdout: String, stderr: String) {
            try Subprocess.run(ctl, args, environment: env)
        }

        let help = try run("--help")
        #expect(help.status == 0 && help.stdout.contains("runs submit"))
        #expect(try run("frobnicate").status == 2)
        let policy = try run("policy", "show", "sentiment")
        #expect(
            policy.status == 0 && policy.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "accuracy >= 0.5")
        let badPolicy = try run("policy", "set", "sentiment", "accuracy >>= 1")
        #expect(
            badPolicy.status == 1 && badPolicy.stderr.hasPrefix("stewardctl: policy error at column 11"),
            "\(badPolicy.stderr)")
        let models = try run("models", "list", "--json")
        #expect(models.status == 0)
        let parsed = try JSONSerialization.jsonObject(with: Data(models.stdout.utf8)) as? [String: Any]
        #expect((parsed?["items"] as? [[String: Any]])?.first?["name"] as? String == "sentiment")
        let table = try run("models", "list")
        #expect(table.stdout.hasPrefix("MODEL") && table.stdout.contains("sentiment"))
        let missing = try run("versions", "show", "sentiment", "42")
        #expect(missing.status == 1 && missing.stderr.contains("HTTP 404"))
        let token = try run("tokens", "create", "reader", "--role", "viewer")
        #expect(token.status == 0 && token.stdout.hasPrefix("stw_"))
        let asViewer = try Subprocess.run(
            ctl, ["runs", "submit", "--model", "sentiment", "--dataset", "rt@1"],
            environment: env.merging(["STEWARD_TOKEN": token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)]) {
                _, new in new
            })
        #expect(asViewer.status == 1 && asViewer.stderr.contains("HTTP 403"))
        let status = try run("status", "--json")
        #expect(status.status == 0 && status.stdout.contains("\"executor\" : \"local\""))
    }
}

/// stewardd driving the fake Kubernetes API.
@Suite(.serialized) struct KubernetesCrashTests {
    struct Submitted: Decodable { let run_id: String }
    struct Run: Decodable {
        let status: String
        let job_name: String?
    }

    static func environment(_ fake: FakeKubernetes) throws -> [String: String] {
        let tokenFile = try TestEnvironment.temporaryDirectory("sa").appendingPathComponent("token")
        try fake.token.write(to: tokenFile, atomically: true, encoding: .utf8)
        return [
            "STEWARD_EXECUTOR": "kubernetes", "STEWARD_KUBERNETES_SERVER": fake.base,
            "STEWARD_KUBERNETES_CA_FILE": fake.certificates.caFile.path,
            "STEWARD_KUBERNETES_TOKEN_FILE": tokenFile.path,
            "STEWARD_KUBERNETES_NAMESPACE": fake.namespace,
            "STEWARD_TRAINING_IMAGE": "registry.invalid/steward/training:1",
            "STEWARD_DATASET_ROOTS": try OrchestratorEndToEndTests.dataset().deletingLastPathComponent().path
        ]
    }

    @Test func twoReplicasCreateEachJobOnceAndTheSurvivorTakesOver() throws {
        let fake = try FakeKubernetes()
        let first = try DaemonProcess(environment: try Self.environment(fake))
        let second = try DaemonProcess(sharing: first)
        try OrchestratorEndToEndTests.prepare(first.client(), policy: "accuracy >= 0.5")
        struct Status: Decodable { let leader: Bool }
        func leads(_ d: DaemonProcess) throws -> Bool {
            try d.client().send(ClientRequest(.GET, "/api/v1/status")).json(Status.self).leader
        }
        try eventually(timeout: 15, "one leader") { try [first, second].filter(leads).count == 1 }
        let one = try first.client().send(.json(.POST, "/api/v1/runs", ["model": "sentiment", "dataset": "rt@1"])).json(
            Submitted.self
        ).run_id
        try eventually("the job of the first run") { fake.jobNames.contains("steward-train-\(one)") }
        try eventually("SUBMITTED") {
            try first.client().send(ClientRequest(.GET, "/api/v1/runs/\(one)")).json(Run.self).status == "SUBMITTED"
        }
        #expect(fake.calls.filter { $0.hasPrefix("POST") }.count == 1)
        let leader = try leads(first) ? first : second
        let survivor = leader === first ? second : first
        // Frees the model's one active slot.
        fake.setJob("steward-train-\(one)", condition: ("Complete", "Completed", ""))
        try eventually("FINISHED") {
            try survivor.client().send(ClientRequest(.GET, "/api/v1/runs/\(one)")).json(Run.self).status == "FINISHED"
        }
        leader.process.signal(SIGKILL)
        let two = try survivor.client().send(.json(.POST, "/api/v1/runs", ["model": "sentiment", "dataset": "rt@1"]))
            .json(Submitted.self).run_id
        try eventually(timeout: 10, "the survivor creates the next job") {
            fake.jobNames.contains("steward-train-\(two)")
        }
        #expect(fake.calls.filter { $0.hasPrefix("POST") }.count == 2)
    }

    @Test func aLeaderKilledRightAfterCreatingAJobLeavesExactlyOneJob() throws {
        let fake = try FakeKubernetes()
        let environment = try Self.environment(fake)
        let first = try DaemonProcess(
            environment: environment.merging(["STEWARD_TEST_CRASH_AFTER_SUBMIT": "1"]) { _, new in new })
        try OrchestratorEndToEndTests.prepare(first.client(), policy: "accuracy >= 0.5")
        let id = try first.client().send(.json(.POST, "/api/v1/runs", ["model": "sentiment", "dataset": "rt@1"])).json(
            Submitted.self
        ).run_id
        #expect(first.process.waitForExit(timeout: 30) == 137)
        #expect(fake.jobNames == ["steward-train-\(id)"])

        let restarted = try DaemonProcess(sharing: first, overriding: ["STEWARD_TEST_CRASH_AFTER_SUBMIT": "0"])
        let client = restarted.client()
        #expect(try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).json(Run.self).status == "QUEUED")
        try eventually("the restarted leader records the job") {
            try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).json(Run.self).status == "SUBMITTED"
        }
        #expect(fake.jobNames == ["steward-train-\(id)"])
        #expect(fake.calls.filter { $0.hasPrefix("POST") }.count == 2)  // the second create answered AlreadyExists
        fake.setJob("steward-train-\(id)", active: 1)
        try eventually("RUNNING") {
            try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).json(Run.self).status == "RUNNING"
        }
        fake.setJob(
            "steward-train-\(id)", condition: ("Failed", "BackoffLimitExceeded", ""),
            podState: ["terminated": ["reason": "OOMKilled", "exitCode": 137]])
        try eventually("FAILED with the pod's reason") {
            let text = try client.send(ClientRequest(.GET, "/api/v1/runs/\(id)")).text
            return text.contains("\"status\":\"FAILED\"") && text.contains("OOMKilled")
        }
    }
}
