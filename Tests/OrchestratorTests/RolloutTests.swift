import Foundation
import Monitor
import Postgres
@testable import Orchestrator
import ServingLog
@testable import Registry
import Synchronization
import Telemetry
import Testing
import TestSupport
import TextFeatures

@Suite struct RolloutPlannerTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    var state: RolloutState {
        RolloutState(steps: RolloutState.defaultSteps, analysis: .init(), stepStartedAt: start, canaryReadyAt: start)
    }
    let healthy = AnalysisInputs(
        stable: .init(requests: 500, errors: 5, p99Ms: 20), canary: .init(requests: 400, errors: 4, p99Ms: 22),
        inputPSI: 0.02, confidencePSI: 0.03)

    @Test func aHealthyCanaryWalksEveryStepToPromotion() {
        var s = state
        var now = start
        var actions: [String] = []
        for _ in 0..<20 {
            switch RolloutPlanner.next(s, now: now, canaryServes: true) {
            case .setWeight(let w, let next):
                actions.append("w\(w)")
                s.weight = w
                s.stepIndex = next
                s.stepStartedAt = now
            case .wait(let until): now = until
            case .analyze:
                actions.append("a")
                s = RolloutPlanner.afterAnalysis(s, RolloutPlanner.judge(healthy, s.analysis), now: now)
            case .promote:
                actions.append("promote")
                s.phase = .promoted
            case .none: break
            case .canaryReady, .abort, .analyzeShadow: Issue.record("unexpected")
            }
        }
        #expect(actions == ["w10", "a", "w25", "a", "w50", "a", "w100", "promote"])
    }

    @Test func judgementsFollowTheLimits() {
        var fiveTimes = healthy
        fiveTimes.canary.errors = 20  // 5% vs stable's 1%
        guard case .fail(let reasons, let passed) = RolloutPlanner.judge(fiveTimes, .init()) else {
            Issue.record("not failed")
            return
        }
        #expect(reasons.first?.hasPrefix("error rate canary 0.0500") == true)
        #expect(passed.contains { $0.hasPrefix("input PSI") })  // what passed beside it is said too
        var drifted = healthy
        drifted.inputPSI = 0.6
        guard case .fail(let driftReasons, _) = RolloutPlanner.judge(drifted, .init()) else {
            Issue.record("not failed")
            return
        }
        #expect(driftReasons == ["input PSI 0.600 (max 0.250)"])
        var few = healthy
        few.canary.requests = 12
        guard case .inconclusive = RolloutPlanner.judge(few, .init()) else {
            Issue.record("not inconclusive")
            return
        }
        #expect(RolloutPlanner.afterAnalysis(state, RolloutPlanner.judge(few, .init()), now: start).phase == .paused)
        let aborted = RolloutPlanner.afterAnalysis(state, .fail(["x"]), now: start)
        #expect(aborted.phase == .aborted && aborted.weight == 0)
    }

    @Test func aShadowStepWaitsThenComparesAndIsJudgedOnAgreement() throws {
        let steps = try JSONDecoder().decode(
            [RolloutState.Step].self, from: Data(#"[{"shadow_seconds": 60}, {"weight": 50}]"#.utf8))
        #expect(steps == [.shadow(seconds: 60), .setWeight(50)])
        var s = RolloutState(steps: steps, analysis: .init(), stepStartedAt: start, canaryReadyAt: start)
        #expect(s.isShadowing)
        #expect(RolloutPlanner.next(s, now: start + 30, canaryServes: true) == .wait(until: start + 60))
        #expect(
            RolloutPlanner.next(s, now: start + 61, canaryServes: true) == .analyzeShadow(from: start, to: start + 60))
        func shadow(_ mirrored: Int, agreed: Int, errors: Int = 0) -> ShadowComparison {
            ShadowComparison(
                mirrored: mirrored, canaryErrors: errors, compared: mirrored, agreed: agreed, canaryP99Ms: 5,
                stableP99Ms: 5)
        }
        guard case .pass = RolloutPlanner.judgeShadow(shadow(200, agreed: 190), s.analysis) else {
            Issue.record("not passed")
            return
        }
        guard case .fail(let failures, _) = RolloutPlanner.judgeShadow(shadow(200, agreed: 60, errors: 140), s.analysis)
        else {
            Issue.record("not failed")
            return
        }
        #expect(
            failures.first?.hasPrefix("shadow agreement 0.300 (60 of 200 mirrored texts; canary failed 140") == true)
        guard case .inconclusive = RolloutPlanner.judgeShadow(shadow(20, agreed: 20), s.analysis) else {
            Issue.record("not inconclusive")
            return
        }
        s.stepIndex = 1
        #expect(!s.isShadowing)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([RolloutState.Step].self, from: Data(#"[{"shadow_seconds": 0}]"#.utf8))
        }
    }

    @Test func theTwoProportionTestMatchesTheTextbook() {
        // 80 of 100 vs 60 of 100: pooled 0.7, se 0.0648, z 3.086, one-sided p 0.00101.
        let test = TwoProportionTest(successesA: 80, totalA: 100, successesB: 60, totalB: 100)
        #expect(abs(test.z - 3.0861) < 0.001 && abs(test.pValue - 0.001014) < 0.00001)
        let better = TwoProportionTest(successesA: 60, totalA: 100, successesB: 80, totalB: 100)
        #expect(abs(better.z + 3.0861) < 0.001 && better.pValue > 0.99)
        let allRight = TwoProportionTest(successesA: 50, totalA: 50, successesB: 20, totalB: 20)
        #expect(allRight.z == 0 && allRight.pValue == 0.5)
    }

    @Test func groundTruthJudgesAccuracyOnlyWithEnoughLabels() throws {
        var rule = RolloutState.Analysis()
        rule.groundTruth = try JSONDecoder().decode(
            RolloutState.Analysis.GroundTruthCheck.self, from: Data(#"{"min_labelled": 50}"#.utf8))
        func judged(stable: (Int, Int), canary: (Int, Int)) -> AnalysisVerdict {
            var inputs = healthy
            inputs.groundTruth = GroundTruth(
                stable: LabelledPredictions(predictions: 400, labelled: stable.1, correct: stable.0),
                canary: LabelledPredictions(predictions: 400, labelled: canary.1, correct: canary.0),
                from: start, to: start + 60)
            return RolloutPlanner.judge(inputs, rule)
        }
        // Confidently wrong: every other check passes, the labels do not.
        guard case .fail(let failures, let passed) = judged(stable: (160, 200), canary: (40, 200)) else {
            Issue.record("not failed")
            return
        }
        #expect(failures.count == 1 && failures[0].hasPrefix("accuracy canary 0.200 (40 of 200 labelled of 400)"))
        #expect(failures[0].contains("z 12.") && failures[0].contains("significance 0.050"), "\(failures)")
        #expect(passed.contains { $0.hasPrefix("error rate") } && passed.contains { $0.hasPrefix("confidence PSI") })
        // As good (or a noise-sized difference): passes, with the numbers.
        guard case .pass(let checks) = judged(stable: (160, 200), canary: (155, 200)) else {
            Issue.record("not passed")
            return
        }
        #expect(checks.contains { $0.hasPrefix("accuracy canary 0.775") })
        // Too few labels: inconclusive, never a pass.
        guard case .inconclusive(let reason) = judged(stable: (160, 200), canary: (10, 12)) else {
            Issue.record("not inconclusive")
            return
        }
        #expect(reason.contains("labelled predictions canary 12 of 400, stable 200 of 400 (minimum 50"))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(
                RolloutState.Analysis.GroundTruthCheck.self, from: Data(#"{"significance": 0}"#.utf8))
        }
    }

    @Test func aPauseEndsAtItsStoredTimeAfterARestart() {
        var s = state
        s.stepIndex = 1
        s.weight = 10
        // A new leader reads the row 100 s into a 300 s analysis pause.
        #expect(
            RolloutPlanner.next(s, now: start.addingTimeInterval(100), canaryServes: true)
                == .wait(until: start.addingTimeInterval(300)))
        #expect(
            RolloutPlanner.next(s, now: start.addingTimeInterval(300), canaryServes: true)
                == .analyze(from: start, to: start.addingTimeInterval(300)))
    }

    /// No weight before the canary's track serves its version; past the progress
    /// deadline without that, the rollout aborts with the reason.
    @Test func aCanaryThatNeverServesAbortsAtTheProgressDeadline() {
        var s = state
        s.canaryReadyAt = nil
        s.analysis.progressDeadlineSeconds = 120
        #expect(
            RolloutPlanner.next(s, now: start.addingTimeInterval(60), canaryServes: false)
                == .wait(until: start.addingTimeInterval(120)))
        #expect(RolloutPlanner.next(s, now: start.addingTimeInterval(60), canaryServes: true) == .canaryReady)
        guard case .abort(let reason) = RolloutPlanner.next(s, now: start.addingTimeInterval(120), canaryServes: false)
        else {
            Issue.record("not aborted")
            return
        }
        #expect(reason.contains("progress deadline (120 s)"))
    }

    /// Each check needs its minimum sample: below it the verdict is inconclusive with the
    /// counts, never a pass; a failure measured on enough requests fails regardless.
    @Test func tooLittleTrafficIsInconclusiveAndExtendsOrPauses() {
        var few = healthy
        few.canary = TrackMetrics(requests: 400, errors: 4, p99Ms: 22, predictions: 30)
        guard case .inconclusive(let reason) = RolloutPlanner.judge(few, .init()) else {
            Issue.record("not inconclusive")
            return
        }
        #expect(reason.contains("predictions canary 30, stable 500 (minimum 100)"))
        var failing = few
        failing.canary.errors = 40
        guard case .fail = RolloutPlanner.judge(failing, .init()) else {
            Issue.record("a conclusive failure must fail")
            return
        }
        var extending = state
        extending.analysis.onInconclusive = .extend
        extending.analysis.maxExtensions = 1
        extending.stepIndex = 1
        let once = RolloutPlanner.afterAnalysis(extending, .inconclusive("x"), now: start.addingTimeInterval(300))
        #expect(once.phase == .progressing && once.extensions == 1)
        #expect(
            RolloutPlanner.next(once, now: start.addingTimeInterval(300), canaryServes: true)
                == .wait(until: start.addingTimeInterval(600)))
        #expect(
            RolloutPlanner.afterAnalysis(once, .inconclusive("x"), now: start.addingTimeInterval(600)).phase == .paused)
        // Without a stable version the canary is held to the absolute error limit alone.
        let alone = AnalysisInputs(
            stable: .init(requests: 0, errors: 0, p99Ms: nil), canary: .init(requests: 200, errors: 1, p99Ms: 30),
            inputPSI: nil, confidencePSI: nil)
        guard case .pass = RolloutPlanner.judge(alone, .init(), hasStable: false) else {
            Issue.record("not passed")
            return
        }
    }

    @Test func commandsApplyOnlyWhereTheyMakeSense() {
        let now = start.addingTimeInterval(50)
        #expect(RolloutPlanner.apply(.abort, to: state, now: now) == .abort)
        #expect(RolloutPlanner.apply(.promoteFull, to: state, now: now) == .promote)
        guard case .update(let paused, "paused") = RolloutPlanner.apply(.pause, to: state, now: now) else {
            Issue.record("no pause")
            return
        }
        #expect(paused.phase == .paused)
        #expect(RolloutPlanner.apply(.pause, to: paused, now: now) == .refused("cannot pause a rollout that is Paused"))
        guard case .update(let resumed, "resumed") = RolloutPlanner.apply(.resume, to: paused, now: now) else {
            Issue.record("no resume")
            return
        }
        #expect(resumed.phase == .progressing && resumed.stepStartedAt == now)
        var aborted = state
        aborted.phase = .aborted
        #expect(
            RolloutPlanner.apply(.abort, to: aborted, now: now) == .refused("cannot abort a rollout that is Aborted"))
        guard case .update(let retried, "retry") = RolloutPlanner.apply(.retry, to: aborted, now: now) else {
            Issue.record("no retry")
            return
        }
        #expect(
            retried.phase == .progressing && retried.stepIndex == 0 && retried.startedAt == now
                && retried.canaryReadyAt == nil)
    }
}

/// The rollout controller on a real database with a fake traffic source
/// (prediction rows per track) and a manual clock.
@Suite struct RolloutControllerTests {
    final class Clock: @unchecked Sendable {
        let now = Mutex(Date())
        func advance(_ seconds: Double) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    final class RecordingRouter: TrafficRouter, @unchecked Sendable {
        let kind = "recording"
        let weights = Mutex<[Int]>([])
        func setCanaryWeight(_ weight: Int) throws { weights.withLock { $0.append(weight) } }
    }

    struct Setup {
        let database: TestDatabase
        let registry: RegistryService
        let clock = Clock()
        let router = RecordingRouter()
        func controller() -> RolloutController {
            let clock = self.clock
            return RolloutController(
                registry: registry, router: router, isLeader: { true }, clock: { clock.now.withLock { $0 } },
                logger: Logger(label: "test", level: .error))
        }
    }

    /// Model `m` with version 1 in Production and version 2 as the candidate,
    /// trained on a dataset with a reference profile.
    static func setUp() throws -> Setup {
        let database = try TestDatabase()
        let vocab = TestEnvironment.repositoryRoot.appendingPathComponent(".steward/assets/minilm/vocab.txt").path
        let registry = try RegistryService(
            pool: database.pool,
            configuration: .init(
                artifactRoot: try TestEnvironment.temporaryDirectory("art"),
                vocabularyPath: vocab), logger: Logger(label: "t", level: .error))
        // A dataset folder: the train split is the reference; validation and test are small.
        let data = try TestEnvironment.temporaryDirectory("ds")
        for (split, rows) in [("train", 0..<400), ("validation", 400..<420), ("test", 420..<440)] {
            try
                ("text,label\n"
                + rows.map { "\"\(Self.text($0, drifted: false))\",\($0 % 2 == 0 ? "positive" : "negative")" }
                .joined(separator: "\n") + "\n").write(
                    to: data.appendingPathComponent("\(split).csv"), atomically: true, encoding: .utf8)
        }
        try database.pool.withTransaction { c in
            let dataset = try registry.datasets.register(
                c, name: "d", version: "1", source: data, rules: DatasetRules())
            _ = try registry.models.createModel(c, name: "m", description: "", tags: [:])
            for _ in 1...2 {
                let run = try registry.createQueuedRun(c, modelName: "m", datasetID: dataset, user: "t", tags: [:])
                _ = try registry.models.createVersion(
                    c, modelName: "m", source: "mlflow-artifacts:/x", runID: run, description: "", tags: [:],
                    artifacts: registry.artifacts)
            }
            try registry.transition(c, modelName: "m", version: 1, to: .production, archiveExisting: true)
        }
        return Setup(database: database, registry: registry)
    }

    /// A rollout of version 2 against 1 whose canary track serves version 2 (`ready`: already recorded as ready).
    static func start(
        _ setup: Setup, ready: Bool = true,
        steps: String =
            #"[{"weight": 10}, {"analysis_seconds": 300}, {"weight": 50}, {"analysis_seconds": 300}, {"weight": 100}]"#,
        analysis: String = #"{"min_requests": 50}"#
    ) throws {
        let now = setup.clock.now.withLock { $0 }
        try setup.database.pool.withTransaction { c in
            let model = try setup.registry.modelID(c, name: "m")
            _ = try c.query(
                """
                INSERT INTO steward.rollouts (model_id, stable_version, canary_version, steps, analysis, phase,
                    step_started_at, started_at,
                                              canary_ready_at)
                VALUES (\(model), 1, 2, \(steps)::jsonb, \(analysis)::jsonb, 'Progressing', \(now), \(now),
                    \(ready ? now : nil))
                """)
        }
    }

    /// Like the reference texts (`drifted`: far longer ones).
    static func text(_ i: Int, drifted: Bool) -> String {
        drifted
            ? String(repeating: "word ", count: 60 + i % 9) + "n\(i)"
            : String(repeating: "word ", count: 3 + i % 9) + "n\(i)"
    }

    /// Prediction rows for one track over the last `seconds` of the clock, with
    /// the features serving would log for their texts.
    static func traffic(
        _ setup: Setup, track: String, version: String, count: Int, errors: Int, drifted: Bool = false,
        seconds: Double = 200, confidence: Double = 0.9
    ) throws {
        let now = setup.clock.now.withLock { $0 }
        let tokenizer = try WordPieceTokenizer(
            vocabularyFile: TestEnvironment.repositoryRoot.appendingPathComponent(".steward/assets/minilm/vocab.txt")
                .path)
        let rows: [[any PostgresEncodable]] = (0..<count).map { i in
            // Spread over the reference's 400 texts, so undrifted traffic has the reference's distribution.
            let f = TextFeatures(text: text(i * 400 / count, drifted: drifted), tokenizer: tokenizer)
            return [
                now.addingTimeInterval(-seconds + Double(i) * seconds / Double(count)), "m", version, track, 10.0,
                i < errors ? 500 : 200,
                "positive", confidence, f.charLength, f.wordCount, f.oovShare, f.nonLetterShare
            ]
        }
        _ = try setup.database.pool.withConnection { c in
            try c.copyIn(
                table: "steward.prediction_log",
                columns: [
                    "at", "model_name", "model_version", "track", "latency_ms", "status", "label",
                    "confidence", "char_length", "word_count", "oov_share", "non_letter_share"
                ], rows: rows)
        }
    }

    static func phase(_ setup: Setup) throws -> (String, Int, Int) {
        let row = try setup.database.pool.query(
            "SELECT phase, weight, step_index FROM steward.rollouts ORDER BY id DESC LIMIT 1"
        ).first!
        return (try row.get("phase"), try row.get("weight"), try row.get("step_index"))
    }

    static func events(_ setup: Setup) -> String {
        ((try? setup.database.pool.query("SELECT kind || ': ' || detail AS e FROM steward.rollout_events ORDER BY id")
            .map { try $0.get("e", as: String.self) }) ?? [])
            .joined(separator: "\n")
    }

    static func stage(_ setup: Setup, _ version: Int) throws -> String {
        try setup.registry.version(modelName: "m", version: version).stage.rawValue
    }

    @Test func aGoodCanaryIsPromotedThroughEveryStep() throws {
        let setup = try Self.setUp()
        try Self.start(setup)
        let controller = setup.controller()
        try controller.reconcile()  // weight 10
        #expect(try Self.phase(setup) == ("Progressing", 10, 1))
        setup.clock.advance(300.5)  // past the pause (stored times round to microseconds)
        try Self.traffic(setup, track: "stable", version: "1", count: 300, errors: 3)
        try Self.traffic(setup, track: "canary", version: "2", count: 100, errors: 1)
        try controller.reconcile()  // analysis passes
        try controller.reconcile()  // weight 50
        #expect(try Self.phase(setup) == ("Progressing", 50, 3), "\(Self.events(setup))")
        setup.clock.advance(300.5)  // past the pause (stored times round to microseconds)
        try Self.traffic(setup, track: "stable", version: "1", count: 200, errors: 2)
        try Self.traffic(setup, track: "canary", version: "2", count: 200, errors: 2)
        for _ in 0..<3 { try controller.reconcile() }  // analysis, weight 100, promote
        #expect(try Self.phase(setup).0 == "Promoted")
        #expect(try Self.stage(setup, 2) == "Production" && Self.stage(setup, 1) == "Archived")
        #expect(try setup.registry.models.version(modelName: "m", alias: "champion").version == 2)
        #expect(setup.router.weights.withLock { $0 } == [10, 50, 100, 0])
    }

    @Test func fiveTimesTheErrorRateIsRolledBackAtTheFirstAnalysis() throws {
        let setup = try Self.setUp()
        try Self.start(setup)
        let controller = setup.controller()
        try controller.reconcile()
        setup.clock.advance(300.5)  // past the pause (stored times round to microseconds)
        try Self.traffic(setup, track: "stable", version: "1", count: 400, errors: 8)  // 2%
        try Self.traffic(setup, track: "canary", version: "2", count: 100, errors: 10)  // 10%
        try controller.reconcile()
        #expect(try Self.phase(setup) == ("Aborted", 0, 1))
        #expect(try Self.stage(setup, 2) == "Archived" && Self.stage(setup, 1) == "Production")
        #expect(setup.router.weights.withLock { $0 } == [10, 0])
        let reason: String = try setup.database.pool.query("SELECT reason FROM steward.rollouts").first!.get("reason")
        #expect(reason.contains("error rate canary 0.1000"))
    }

    @Test func driftedCanaryInputsAreRolledBack() throws {
        let setup = try Self.setUp()
        try Self.start(setup)
        let controller = setup.controller()
        try controller.reconcile()
        setup.clock.advance(300.5)  // past the pause (stored times round to microseconds)
        try Self.traffic(setup, track: "stable", version: "1", count: 200, errors: 0)
        try Self.traffic(setup, track: "canary", version: "2", count: 200, errors: 0, drifted: true)
        try controller.reconcile()
        #expect(try Self.phase(setup).0 == "Aborted", "\(Self.events(setup))")
        let reason: String = try setup.database.pool.query("SELECT reason FROM steward.rollouts").first!.get("reason")
        #expect(reason.contains("input PSI"))
    }

    /// Drifted traffic reaches both tracks (a retrain answering drift): the
    /// canary's inputs match stable's, so the input check passes.
    @Test func driftSharedByBothTracksDoesNotFailTheCanary() throws {
        let setup = try Self.setUp()
        try Self.start(setup)
        let controller = setup.controller()
        try controller.reconcile()
        setup.clock.advance(300.5)
        try Self.traffic(setup, track: "stable", version: "1", count: 200, errors: 0, drifted: true)
        try Self.traffic(setup, track: "canary", version: "2", count: 200, errors: 0, drifted: true)
        try controller.reconcile()
        #expect(try Self.phase(setup) == ("Progressing", 10, 2), "\(Self.events(setup))")
        #expect(Self.events(setup).contains("input PSI 0.000"))
    }

    @Test func tooFewRequestsPauseTheRolloutAndARestartDoesNotRepeatAStep() throws {
        let setup = try Self.setUp()
        try Self.start(setup)
        try setup.controller().reconcile()  // weight 10
        setup.clock.advance(100)
        // A new leader in the middle of the pause: nothing happens before its stored end.
        let restarted = setup.controller()
        try restarted.reconcile()
        #expect(try Self.phase(setup) == ("Progressing", 10, 1))
        setup.clock.advance(200.5)
        try Self.traffic(setup, track: "stable", version: "1", count: 200, errors: 0)
        try Self.traffic(setup, track: "canary", version: "2", count: 5, errors: 0)
        try restarted.reconcile()
        #expect(try Self.phase(setup) == ("Paused", 10, 1))
        let weights: Int = try setup.database.pool.query(
            "SELECT count(*) AS n FROM steward.rollout_events WHERE kind = 'weight'"
        ).first!.get("n")
        #expect(weights == 1)
        #expect(setup.router.weights.withLock { $0 } == [10])
    }
}

/// What the controller makes of the serving processes' heartbeats and of the
/// operators' commands (intents it applies as the rollout's one writer).
@Suite struct RolloutReadinessAndCommandTests {
    typealias Controller = RolloutControllerTests

    @Test func aCanaryIsWeightedOnlyOnceItsTrackServesItAndAbortedAtTheDeadlineOtherwise() throws {
        let setup = try Controller.setUp()
        try Controller.start(setup, ready: false, analysis: #"{"min_requests": 50, "progress_deadline_seconds": 120}"#)
        let controller = setup.controller()
        try controller.reconcile()
        #expect(try Controller.phase(setup) == ("Progressing", 0, 0))
        // The canary track beats with the stable version only (still loading the canary's): not ready.
        try ServingInstances(pool: setup.database.pool).beat(
            instance: "canary-1", model: "m", track: "canary", version: "1", startedAt: Date())
        setup.clock.advance(121)
        try controller.reconcile()
        #expect(try Controller.phase(setup) == ("Aborted", 0, 0))
        let reason: String = try setup.database.pool.query("SELECT reason FROM steward.rollouts").first!.get("reason")
        #expect(reason.contains("progress deadline"))
        #expect(try Controller.stage(setup, 2) == "Archived")

        // Retried, the canary now loads its version: recorded ready, then weighted.
        let modelID = try setup.database.pool.withConnection { try setup.registry.modelID($0, name: "m") }
        try setup.database.pool.withTransaction { c in
            _ = try controller.store.record(
                c, modelID: modelID, rolloutID: nil, action: "retry", actor: "ops", reason: "")
        }
        try ServingInstances(pool: setup.database.pool).beat(
            instance: "canary-1", model: "m", track: "canary", version: "2", startedAt: Date())
        try controller.reconcile()  // the retry, then the canary is ready
        try controller.reconcile()  // weight 10
        #expect(try Controller.phase(setup) == ("Progressing", 10, 1), "\(Controller.events(setup))")
        #expect(Controller.events(setup).contains("canary-ready: the canary track serves version 2"))
        let outcomes = try setup.database.pool.query("SELECT outcome FROM steward.rollout_commands").map {
            try $0.get("outcome", as: String.self)
        }
        #expect(outcomes == ["applied"])
    }

    /// A command recorded while the controller holds an older read of the row: the
    /// controller's own write is compare-and-set, so the command is applied, never lost.
    @Test func aStaleWriteIsRefusedAndTheCommandWins() throws {
        let setup = try Controller.setUp()
        try Controller.start(setup)
        let controller = setup.controller()
        let stale = try #require(try controller.store.latest(model: "m"))
        try setup.database.pool.withTransaction { c in
            _ = try controller.store.record(
                c, modelID: stale.modelID, rolloutID: stale.id, action: "abort", actor: "ops", reason: "bad")
        }
        try controller.reconcile()
        #expect(try Controller.phase(setup) == ("Aborted", 0, 0))
        // The pass that read the row before the abort tries to write its weight: refused.
        var state = stale.state
        state.weight = 10
        #expect(throws: RolloutStore.Stale.self) {
            try setup.database.pool.withTransaction {
                try controller.store.save($0, stale, state, kind: "weight", detail: "late")
            }
        }
        #expect(try Controller.phase(setup) == ("Aborted", 0, 0))
        let reason: String = try setup.database.pool.query("SELECT reason FROM steward.rollouts").first!.get("reason")
        #expect(reason == "aborted by ops: bad")
    }
}

@Suite struct ConfidenceReferenceTests {
    /// A retrain on other data is surer than stable on the traffic it was retrained for:
    /// its confidence is judged against its own held-out predictions, not stable's.
    @Test func aCanaryTrainedOnOtherDataIsJudgedByItsOwnHeldOutConfidence() throws {
        let setup = try RolloutControllerTests.setUp()
        let registry = setup.registry
        try setup.database.pool.withTransaction { c in
            let folder = try #require(URL(string: try registry.dataset(reference: "d@1").uri))
            let other = try registry.datasets.register(
                c, name: "d", version: "2", source: folder, rules: DatasetRules())
            let run = try registry.createQueuedRun(c, modelName: "m", datasetID: other, user: "t", tags: [:])
            let reference = Data(
                #"""
                {"predictions": {"confidence": {"edges": [0.8], "counts": [2, 98], "shares": [0.02, 0.98], "n": 100,
                 "mean": 0.88, "min": 0.6, "max": 0.95}}}
                """#.utf8)
            let stored = try registry.artifacts.ingest(data: reference)
            try registry.artifacts.record(
                c, path: "0/\(run)/artifacts/model/reference_profile.json", sha256: stored.sha256, size: stored.size)
            _ = try registry.models.createVersion(
                c, modelName: "m", source: "mlflow-artifacts:/0/\(run)/artifacts/model", runID: run, description: "",
                tags: [:], artifacts: registry.artifacts)
        }
        let controller = setup.controller()
        #expect(try controller.confidenceReference(model: "m", 1, 2) == nil)  // both trained on d@1: stable's
        let own = try #require(try controller.confidenceReference(model: "m", 1, 3))
        #expect(own.profile.n == 100 && own.name == "its own 100 held-out predictions")
        // Stable is unsure of the new traffic, the canary sure, as its held-out predictions were.
        try RolloutControllerTests.traffic(setup, track: "stable", version: "1", count: 300, errors: 0, confidence: 0.6)
        try RolloutControllerTests.traffic(setup, track: "canary", version: "3", count: 300, errors: 0, confidence: 0.9)
        let now = setup.clock.now.withLock { $0 }
        let analysis = CanaryAnalysis(pool: setup.database.pool)
        let likeWithLike = try analysis.measure(
            model: "m", stable: 1, canary: 3, from: now - 300, to: now + 1, confidenceReference: own)
        let againstStable = try analysis.measure(model: "m", stable: 1, canary: 3, from: now - 300, to: now + 1)
        #expect(try #require(likeWithLike.confidencePSI) < 0.25 && likeWithLike.confidenceReference == own.name)
        #expect(try #require(againstStable.confidencePSI) > 1)
        let verdict = RolloutPlanner.judge(likeWithLike, RolloutState.Analysis(), hasStable: true)
        guard case .pass(let checks) = verdict else {
            Issue.record("\(verdict)")
            return
        }
        #expect(checks.contains { $0.hasPrefix("confidence PSI 0.10") && $0.contains("against its own 100 held-out") })
    }
}

@Suite struct DriftRetrainerTests {
    static func window(
        _ setup: RolloutControllerTests.Setup, minutesAgo: Double, psi: Double, feature: String = "char_length"
    ) throws {
        let end = Date().addingTimeInterval(-minutesAgo * 60)
        _ = try setup.database.pool.query(
            """
            INSERT INTO steward.drift_windows (window_start, window_end, model_name, model_version, track, feature,
                method, psi, current_rows)
            VALUES (\(end.addingTimeInterval(-300)), \(end), 'm', '1', 'stable', \(feature), 'quantile', \(psi), 500)
            """)
    }

    static func retrainRuns(_ setup: RolloutControllerTests.Setup) throws -> [String] {
        try setup.database.pool.query(
            "SELECT reason FROM steward.run_specs WHERE reason LIKE 'drift%' ORDER BY created_at"
        ).map { try $0.get("reason") }
    }

    static func feedback(_ setup: RolloutControllerTests.Setup, _ texts: [String], at: Date = Date()) throws {
        for (i, text) in texts.enumerated() {
            _ = try setup.database.pool.query(
                """
                INSERT INTO steward.feedback (model_name, text, label, at)
                VALUES ('m', \(text), \(i % 2 == 0 ? "negative" : "positive"), \(at))
                """)
        }
    }

    @Test func sustainedDriftQueuesExactlyOneWarmStartedRetrainOnANewDatasetVersion() throws {
        let setup = try RolloutControllerTests.setUp()
        var options = DriftRetrainer.Options()
        options.minFeedback = 4
        let retrainer = DriftRetrainer(
            registry: setup.registry, options: options, executorKind: "local", isLeader: { true },
            logger: Logger(label: "t", level: .error))
        try Self.window(setup, minutesAgo: 10, psi: 0.5)
        try Self.window(setup, minutesAgo: 5, psi: 0.6)
        #expect(try retrainer.pass(now: Date()).isEmpty)  // two windows are not yet sustained
        try Self.window(setup, minutesAgo: 0, psi: 0.02)
        #expect(try retrainer.pass(now: Date()).isEmpty)  // the newest window is back under the threshold
        // Feedback from before the episode is not the shifted traffic's.
        try Self.feedback(setup, ["an old critic line", "another one"], at: Date().addingTimeInterval(-3600))
        try Self.window(setup, minutesAgo: -5, psi: 0.7, feature: "word_count")
        try Self.window(setup, minutesAgo: -10, psi: 0.4)
        try Self.window(setup, minutesAgo: -15, psi: 0.45)
        try Self.feedback(
            setup, ["a \"quoted\" tweet", "@air delayed\nagain", "meh"], at: Date().addingTimeInterval(120))
        #expect(try retrainer.pass(now: Date()).isEmpty)  // three labels since the episode began; it waits for four
        try Self.feedback(setup, ["meh", "fine, thanks"], at: Date().addingTimeInterval(180))
        let queued = try retrainer.pass(now: Date())
        #expect(queued.count == 1)
        #expect(try retrainer.pass(now: Date()).isEmpty)  // the run is open
        let spec = try setup.database.pool.query(
            """
            SELECT s.warm_start_version, s.reason, d.name, d.version, d.parent_id, d.uri, d.rows FROM
                steward.run_specs s JOIN steward.datasets d ON d.id = s.dataset_id WHERE s.run_id = \(queued[0])
            """
        ).first!
        #expect(try spec.get("warm_start_version", as: Int.self) == 1)
        #expect(try spec.get("reason", as: String.self).hasPrefix("drift: word_count PSI 0.700"))
        // The retrain trains on d@2: d@1's splits plus the episode's feedback, one row per text (its newest label).
        #expect(try spec.get("name", as: String.self) == "d" && spec.get("version", as: String.self) == "2")
        let dataset = try setup.registry.dataset(reference: "d@2")
        #expect(dataset.parentID == (try setup.registry.dataset(reference: "d@1").id))
        #expect(dataset.rows == 440 + 4)
        #expect(dataset.sources.map(\.kind) == ["dataset", "feedback"] && dataset.sources[1].rows == 4)
        #expect(dataset.profile?.source == "d@2/production")
        let folder = try #require(URL(string: try spec.get("uri", as: String.self)))
        #expect(
            try String(contentsOf: folder.appendingPathComponent("production.csv"), encoding: .utf8)
                == "text,label\n\"a \"\"quoted\"\" tweet\",\"negative\"\n\"@air delayed\nagain\",\"positive\"\n"
                + "\"meh\",\"negative\"\n\"fine, thanks\",\"positive\"\n")
        for split in Dataset.splits {
            #expect(
                FileManager.default.contentsEqual(
                    atPath: folder.appendingPathComponent("\(split).csv").path,
                    andPath: try #require(URL(string: try setup.registry.dataset(reference: "d@1").uri))
                        .appendingPathComponent("\(split).csv").path))
        }
        _ = try setup.database.pool.query("UPDATE steward.runs SET status = 'FINISHED' WHERE id = \(queued[0])")
        #expect(try retrainer.pass(now: Date()).isEmpty)  // one episode, one run
        #expect(try retrainer.pass(now: Date().addingTimeInterval(7 * 3600)).isEmpty)  // still the same episode
        // Three quiet windows end the episode; a new shift is a new episode with its own retrain
        // (once the cooldown floor has passed).
        for minutes in [-20.0, -25, -30] { try Self.window(setup, minutesAgo: minutes, psi: 0.05) }
        for minutes in [-35.0, -40, -45] { try Self.window(setup, minutesAgo: minutes, psi: 0.5) }
        #expect(try retrainer.pass(now: Date()).isEmpty)
        try Self.feedback(setup, ["one", "two", "three", "four"], at: Date().addingTimeInterval(2400))
        #expect(try retrainer.pass(now: Date().addingTimeInterval(7 * 3600)).count == 1)
        #expect(try Self.retrainRuns(setup).count == 2)
        // The second episode's dataset is the Production version's (d@1) plus that episode's feedback only.
        let second = try setup.registry.dataset(reference: "d@3")
        #expect(second.sources.first?.dataset == "d@1" && second.sources.last?.rows == 4)
    }

    @Test func anEpisodeEndsOnlyAfterEnoughQuietWindows() {
        let options = DriftRetrainer.Options()  // threshold 0.25, 3 quiet windows end an episode
        let start = Date(timeIntervalSince1970: 1_000_000)
        // Oldest first as written, newest first as the retrainer reads them.
        func windows(_ psis: [Double]) -> [DriftStore.WorstDrift] {
            psis.enumerated().map {
                DriftStore.WorstDrift(windowStart: start + Double($0) * 300, psi: $1, feature: "f")
            }
            .reversed()
        }
        func episode(_ psis: [Double]) -> Date? { DriftRetrainer.episodeStart(windows(psis), options: options) }
        #expect(episode([0.1, 0.5, 0.6]) == start + 300)
        #expect(episode([0.5, 0.1, 0.1, 0.6]) == start)  // two quiet windows do not end it
        #expect(episode([0.5, 0.1, 0.1, 0.1, 0.6]) == start + 1200)  // three do: a new episode
        #expect(episode([0.5, 0.6, 0.1]) == nil)  // the newest window is quiet: no episode now
        let open = DriftRetrainer.decide(
            recent: windows([0.5, 0.1, 0.1, 0.5, 0.6, 0.7]), options: options, openRun: false,
            lastRetrain: start + 60, now: start + 10 * 3600, feedbackSince: { _ in 500 })
        #expect(!open.queue && open.reason.contains("had its retrain already"))
        var asked: Date?
        let fresh = DriftRetrainer.decide(
            recent: windows([0.5, 0.1, 0.1, 0.1, 0.5, 0.6, 0.7]), options: options, openRun: false,
            lastRetrain: start + 60, now: start + 10 * 3600,
            feedbackSince: {
                asked = $0
                return 100
            })
        #expect(fresh.queue && fresh.episode == start + 1200 && asked == start + 1200, "\(fresh.reason)")
        let unlabelled = DriftRetrainer.decide(
            recent: windows([0.5, 0.6, 0.7]), options: options, openRun: false, lastRetrain: nil, now: start + 3600,
            feedbackSince: { _ in 99 })
        #expect(!unlabelled.queue && unlabelled.reason.contains("99 of 100"), "\(unlabelled.reason)")
    }
}

@Suite struct PolicyToRolloutTests {
    @Test func aPassingVersionMovesToStagingAndStartsACanary() throws {
        let setup = try RolloutControllerTests.setUp()
        try setup.database.pool.withTransaction {
            _ = try setup.registry.setPolicy(
                $0, modelName: "m", policy: "dataset.rows >= 100 and dataset.duplicates == 0")
        }
        let verdict = try PolicyEvaluator(registry: setup.registry, logger: Logger(label: "t", level: .error)).evaluate(
            modelName: "m", version: 2)
        #expect(verdict?.passed == true)
        #expect(try RolloutControllerTests.stage(setup, 2) == "Staging")
        let rollout = try #require(
            try setup.database.pool.query("SELECT stable_version, canary_version, phase FROM steward.rollouts").first)
        #expect(
            try rollout.get("stable_version", as: Int.self) == 1 && rollout.get("canary_version", as: Int.self) == 2)
        #expect(try rollout.get("phase", as: String.self) == "Progressing")
        // The canary track follows the challenger alias.
        #expect(try setup.registry.models.version(modelName: "m", alias: "challenger").version == 2)
        // Evaluating again (a retried pass) neither moves the stage back nor starts a second rollout.
        _ = try PolicyEvaluator(registry: setup.registry, logger: Logger(label: "t", level: .error)).evaluate(
            modelName: "m", version: 2)
        #expect(
            try setup.database.pool.query("SELECT count(*) AS n FROM steward.rollouts").first!.get("n", as: Int.self)
                == 1)
    }
}

@Suite struct TrafficRouterTests {
    @Test func replicaSplitsFollowTheWeight() {
        let client = KubernetesClient(configuration: .init(server: "https://127.0.0.1:1", namespace: "steward"))
        let router = ReplicaRatioRouter(client: client, totalReplicas: 4)
        #expect(router.replicas(weight: 0) == (4, 0))
        #expect(router.replicas(weight: 10) == (3, 1))  // at least one canary replica
        #expect(router.replicas(weight: 50) == (2, 2))
        #expect(router.replicas(weight: 90) == (1, 3))  // stable keeps one until 100
        #expect(router.replicas(weight: 100) == (0, 4))
        let route = HTTPRouteRouter(client: client, route: "steward-serve")
        let rules = (route.patch(weight: 25)["spec"] as? [String: Any])?["rules"] as? [[String: Any]]
        let weights = (rules?.first?["backendRefs"] as? [[String: Any]])?.compactMap { $0["weight"] as? Int }
        #expect(weights == [75, 25])
        #expect((rules?.first?["filters"] as? [[String: Any]])?.isEmpty == true)  // no mirror outside a shadow step
        // A shadow step: the Gateway API's RequestMirror filter to the canary Service, the weights kept.
        let mirrored = (route.patch(weight: 0, mirror: true)["spec"] as? [String: Any])?["rules"] as? [[String: Any]]
        let filter = (mirrored?.first?["filters"] as? [[String: Any]])?.first
        #expect(filter?["type"] as? String == "RequestMirror")
        let target = (filter?["requestMirror"] as? [String: Any])?["backendRef"] as? [String: Any]
        #expect(target?["name"] as? String == route.canaryService)
        #expect(
            ((mirrored?.first?["backendRefs"] as? [[String: Any]])?.compactMap { $0["weight"] as? Int }) == [100, 0])
    }
}
