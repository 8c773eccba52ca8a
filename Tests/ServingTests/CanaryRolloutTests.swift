import Foundation
import HTTPKit
import Postgres
import ServingLog
import Synchronization
import Testing
import TestSupport

/// Canary rollouts decided on signals the real processes produce: steward-serve
/// records every request it answers (failures included), the split what only it
/// sees, the serving processes' heartbeats say what each track serves. Nothing
/// here inserts the rows a component should have written.
@Suite(.serialized) struct CanaryRolloutTests {
    static let short = "a fine and moving film"
    /// Past the short-positions model's 12 tokens.
    static let long = String(repeating: "a fine and moving film ", count: 4)

    /// Sends predictions through the split until `done` (checked between requests), for at most `timeout` seconds.
    static func traffic(
        _ topology: CanaryTopology, texts: [String], timeout: TimeInterval = 60,
        until done: () throws -> Bool
    ) throws -> [(status: Int, track: String)] {
        var answers: [(status: Int, track: String)] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, try !done() {
            answers.append(try topology.predict(texts[answers.count % texts.count]))
        }
        return answers
    }

    static func ended(_ topology: CanaryTopology) throws -> Bool {
        ["Aborted", "Promoted"].contains(try topology.rollout().phase)
    }

    /// A canary whose model fails on long inputs, with real traffic: the analysis
    /// measures its real error rate and aborts on it; stable answered everything.
    @Test func aCanaryFailingOnPartOfItsInputsIsAbortedOnItsMeasuredErrorRate() throws {
        let topology = try CanaryTopology(extraVersions: [try Fixtures.url("faulty-short-positions")])
        try topology.startRollout(
            canary: 3, steps: #"[{"weight": 50}, {"analysis_seconds": 6}, {"weight": 100}]"#,
            analysis: #"{"min_requests": 20, "min_predictions": 10}"#)
        let answers = try Self.traffic(topology, texts: [Self.short, Self.long]) { try Self.ended(topology) }
        let rollout = try topology.rollout()
        #expect(rollout.phase == "Aborted", "\(rollout.events.map(\.detail))")
        #expect(rollout.reason.contains("error rate canary"), "\(rollout.reason)")
        #expect(rollout.events.last?.kind == "aborted")
        // Stable answered every request it got; the canary failed its long ones (500s users saw).
        #expect(answers.filter { $0.track == "stable" }.allSatisfy { $0.status == 200 })
        let canaryFailures = answers.filter { $0.track == "canary" && $0.status == 500 }.count
        #expect(canaryFailures > 0)
        // The failures the analysis counted are steward-serve's own records of them.
        let recorded: Int = try topology.daemon.database.pool.query(
            """
            SELECT count(*) AS n FROM steward.prediction_log WHERE track = 'canary' AND model_version = '3' AND status
                = 500
              AND error = 'inference' AND source = 'serve'
            """
        ).first!.get("n")
        #expect(recorded > 0 && recorded <= canaryFailures)
        let versions = try topology.api.send(ClientRequest(.GET, "/api/v1/models/sentiment/versions")).text
        #expect(versions.contains(#""stage":"Production""#) && versions.contains(#""stage":"Archived""#))
        #expect(
            try topology.api.send(ClientRequest(.GET, "/api/v1/models/sentiment/aliases/champion")).text.contains(
                #""version":1"#))
    }

    /// A canary whose model never loads: the rollout holds at weight 0 (the split
    /// sends it nothing, so no request fails) and aborts at the progress deadline.
    @Test func aCanaryThatNeverLoadsIsAbortedAtTheProgressDeadline() throws {
        let topology = try CanaryTopology(extraVersions: [try Fixtures.url("faulty-unloadable")])
        try topology.startRollout(
            canary: 3, steps: #"[{"weight": 50}, {"analysis_seconds": 60}, {"weight": 100}]"#,
            analysis: #"{"progress_deadline_seconds": 5}"#)
        let answers = try Self.traffic(topology, texts: [Self.short]) { try Self.ended(topology) }
        let rollout = try topology.rollout()
        #expect(rollout.phase == "Aborted")
        #expect(rollout.reason.contains("progress deadline (5 s)"), "\(rollout.reason)")
        #expect(
            !answers.isEmpty && answers.allSatisfy { $0 == (200, "stable") },
            "\(answers.filter { $0 != (200, "stable") }.prefix(3))")
        #expect(rollout.events.allSatisfy { $0.weight == 0 })
    }

    /// A canary that answers the same but slowly is aborted on the p99 difference.
    @Test func aSlowCanaryIsAbortedOnItsLatency() throws {
        let topology = try CanaryTopology(extraVersions: [try Fixtures.url("faulty-slow")])
        try topology.startRollout(
            canary: 3, steps: #"[{"weight": 50}, {"analysis_seconds": 5}, {"weight": 100}]"#,
            analysis: #"{"min_requests": 20, "min_predictions": 10, "max_p99_delta_ms": 30}"#)
        let answers = try Self.traffic(topology, texts: [Self.short, "a dull and tired film"]) {
            try Self.ended(topology)
        }
        let rollout = try topology.rollout()
        #expect(rollout.phase == "Aborted")
        #expect(rollout.reason.contains("p99 canary"), "\(rollout.reason)")
        #expect(answers.allSatisfy { $0.status == 200 })
    }

    /// Too little traffic: the analysis is inconclusive and pauses with the counts;
    /// resumed once traffic flows, the rollout completes.
    @Test func tooLittleTrafficPausesAndResumingWithTrafficCompletes() throws {
        let topology = try CanaryTopology()
        try topology.startRollout(
            canary: 2, steps: #"[{"weight": 50}, {"analysis_seconds": 4}, {"weight": 100}]"#,
            analysis: #"{"min_requests": 30, "min_predictions": 30}"#)
        try eventually("the canary is weighted") { try topology.rollout().weight == 50 }
        for _ in 0..<6 { #expect(try topology.predict(Self.short).status == 200) }
        try eventually(timeout: 20, "the analysis pauses") { try topology.rollout().phase == "Paused" }
        let paused = try topology.rollout()
        #expect(
            paused.reason.contains("too little traffic") && paused.reason.contains("(minimum 30)"), "\(paused.reason)")
        // Traffic flows from here on, in the background, while the rollout resumes.
        let stop = Atomic<Bool>(false)
        let sender = Thread { while !stop.load(ordering: .relaxed) { _ = try? topology.predict(Self.short) } }
        sender.start()
        defer { stop.store(true, ordering: .relaxed) }
        #expect(try topology.api.send(ClientRequest(.POST, "/api/v1/rollouts/sentiment/resume")).status == 200)
        try eventually(timeout: 40, "the rollout completes") { try Self.ended(topology) }
        let done = try topology.rollout()
        #expect(done.phase == "Promoted", "\(done.events.map(\.detail))")
        #expect(done.events.contains { $0.kind == "analysis" && $0.detail.hasPrefix("passed") })
    }

    struct Answer: Decodable {
        let label: String
        let request_id: String
    }

    /// Ground truth with real processes: a canary that answers every text with the
    /// other label, exactly as sure as stable (the same network, its label map
    /// reversed), passes error rate, latency and both PSIs, and is aborted on the
    /// true labels posted back for its predictions; no user saw an error. Then a
    /// canary as good as stable waits (inconclusive) while nobody labels, and passes
    /// once labels arrive.
    @Test func aConfidentButWrongCanaryIsAbortedOnGroundTruthAndAGoodOneWaitsForLabels() throws {
        let topology = try CanaryTopology(extraVersions: [try Fixtures.url("faulty-flipped-labels")])
        // An odd number of texts: the split alternates at 50%, so both tracks see every text.
        let texts = (0..<25).map {
            "review \($0): " + ["a fine and moving film", "dull, long and far too loud", "great cast", "a mess"][$0 % 4]
        }
        // The truth, for this test: what the original model (stable's) answers, asked directly.
        let direct = HTTPClient(configuration: .init(baseURL: topology.stable.base))
        var truth: [String: String] = [:]
        for text in texts {
            truth[text] = try direct.send(.json(.POST, "/predict", ["text": text])).json(Answer.self).label
        }
        let labelling = Atomic<Bool>(true)
        /// Predictions through the split, each labelled back by its request id while `labelling`.
        func traffic(until done: () throws -> Bool) throws -> [Int] {
            var statuses: [Int] = []
            let deadline = Date().addingTimeInterval(90)
            while Date() < deadline, try !done() {
                let text = texts[statuses.count % texts.count]
                let response = try topology.split.send(.json(.POST, "/predict", ["text": text]))
                statuses.append(response.status)
                guard response.status == 200, labelling.load(ordering: .relaxed) else { continue }
                let answer = try response.json(Answer.self)
                let posted = try topology.api.send(
                    .json(
                        .POST, "/api/v1/feedback",
                        ["model": "sentiment", "text": text, "label": truth[text]!, "request_id": answer.request_id]))
                #expect(posted.status == 201)
            }
            return statuses
        }
        let analysis = #"{"min_requests": 20, "min_predictions": 10, "ground_truth": {"min_labelled": 20}}"#
        try topology.startRollout(
            canary: 3, steps: #"[{"weight": 50}, {"analysis_seconds": 6}, {"weight": 100}]"#, analysis: analysis)
        let statuses = try traffic { try Self.ended(topology) }
        let flipped = try topology.rollout()
        #expect(flipped.phase == "Aborted", "\(flipped.events.map(\.detail))")
        #expect(flipped.reason.hasPrefix("failed: accuracy canary 0.000"), "\(flipped.reason)")
        for passed in ["passed: error rate canary 0.0000", "input PSI", "confidence PSI"] {
            #expect(flipped.reason.contains(passed), "\(passed) in \(flipped.reason)")
        }
        #expect(statuses.allSatisfy { $0 == 200 }, "no user saw an error")

        // As good as stable (version 2 is version 1's model): no labels, no verdict.
        labelling.store(false, ordering: .relaxed)
        try topology.startRollout(
            canary: 2, steps: #"[{"weight": 50}, {"analysis_seconds": 6}, {"weight": 100}]"#, analysis: analysis)
        _ = try traffic { try topology.rollout().phase == "Paused" }
        let waiting = try topology.rollout()
        #expect(waiting.reason.contains("labelled predictions canary 0 of"), "\(waiting.reason)")
        labelling.store(true, ordering: .relaxed)
        #expect(try topology.api.send(ClientRequest(.POST, "/api/v1/rollouts/sentiment/resume")).status == 200)
        _ = try traffic { try Self.ended(topology) }
        let good = try topology.rollout()
        #expect(good.phase == "Promoted", "\(good.events.map(\.detail))")
        let verdict = try #require(good.events.last { $0.kind == "analysis" })
        #expect(verdict.detail.contains("accuracy canary 1.000") && verdict.detail.contains("vs stable 1.000"))
        // What the analysis measured is stored with it.
        let measured: String = try topology.daemon.database.pool.query(
            "SELECT measured::text AS m FROM steward.rollout_events WHERE kind = 'analysis' ORDER BY id DESC LIMIT 1"
        ).first!.get("m")
        #expect(measured.contains("\"ground_truth\"") && measured.contains("\"labelled\""), "\(measured)")
    }

    /// A shadow step with real processes: every live request is also sent to the
    /// canary, whose answers reach no user. A canary that fails on long texts fails the
    /// step on its agreement with stable, and no user saw an error or a canary answer;
    /// a canary as good as stable passes it and goes on to take traffic.
    @Test func aShadowStepJudgesTheCanaryOnLiveTrafficWithoutShowingItsAnswers() throws {
        struct Answered: Decodable {
            struct Model: Decodable { let version: String }
            let model: Model
        }
        let topology = try CanaryTopology(extraVersions: [try Fixtures.url("faulty-short-positions")])
        let steps = #"[{"shadow_seconds": 6}, {"weight": 50}, {"analysis_seconds": 4}, {"weight": 100}]"#
        let analysis = #"{"min_requests": 20, "min_predictions": 20}"#
        func traffic(until done: () throws -> Bool) throws -> [(status: Int, track: String, version: String?)] {
            var answers: [(status: Int, track: String, version: String?)] = []
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, try !done() {
                // Three texts: at 50% the split alternates tracks, and both must see every text.
                let response = try topology.split.send(
                    .json(.POST, "/predict", ["text": [Self.short, Self.long, "dull"][answers.count % 3]]))
                answers.append(
                    (
                        response.status, response.headers["X-Steward-Track"] ?? "?",
                        try? response.json(Answered.self).model.version
                    ))
            }
            return answers
        }
        try topology.startRollout(canary: 3, steps: steps, analysis: analysis)
        let answers = try traffic { try Self.ended(topology) }
        let broken = try topology.rollout()
        #expect(broken.phase == "Aborted", "\(broken.events.map(\.detail))")
        #expect(broken.reason.hasPrefix("failed: shadow agreement 0.6"), "\(broken.reason)")  // long texts fail
        #expect(answers.allSatisfy { $0.status == 200 && $0.track == "stable" && $0.version == "1" })
        let shadows: Int = try topology.daemon.database.pool.query(
            """
            SELECT count(*) AS n FROM steward.prediction_log WHERE track = 'canary' AND model_version = '3' AND shadow
                AND status = 500
            """
        ).first!.get("n")
        #expect(shadows > 0, "the canary's failures on the copies were recorded, as shadow requests")

        try topology.startRollout(canary: 2, steps: steps, analysis: analysis)
        _ = try traffic { try Self.ended(topology) }
        let good = try topology.rollout()
        #expect(good.phase == "Promoted", "\(good.events.map(\.detail))")
        #expect(
            good.events.contains { $0.detail.hasPrefix("passed: shadow agreement") }, "\(good.events.map(\.detail))")
    }

    /// Rollback during a healthy rollout: champion moves back at once (no analysis),
    /// the rollout is aborted, and the history shows each track's exact intervals.
    @Test func rollbackDuringARolloutMovesChampionAtOnceAndTheHistoryShowsIt() throws {
        let topology = try CanaryTopology(daemonEnvironment: ["STEWARD_ROLLOUT_INTERVAL_MS": "100"])
        _ = try topology.daemon.registerModel(try Fixtures.url("tiny-model"))  // version 3
        let api = topology.api
        // Version 2 becomes the champion the ordinary way: a rollout promoted in full.
        try topology.startRollout(canary: 2, steps: #"[{"weight": 50}, {"analysis_seconds": 3600}]"#, analysis: "{}")
        #expect(try api.send(ClientRequest(.POST, "/api/v1/rollouts/sentiment/promote-full")).status == 200)
        try topology.startRollout(canary: 3, steps: #"[{"weight": 20}, {"analysis_seconds": 3600}]"#, analysis: "{}")
        try eventually("the canary serves") { try topology.rollout().weight == 20 }
        let back = try api.send(.json(.POST, "/api/v1/models/sentiment/rollback", ["reason": "v2 answers badly"]))
        #expect(back.status == 200, "\(back.text)")
        #expect(back.text.contains(#""champion":1"#) && back.text.contains("champion 2 -> 1"), "\(back.text)")
        #expect(try topology.rollout().phase == "Aborted")
        #expect(try topology.rollout().reason.contains("rolled back to version 1"))
        try eventually("stable serves version 1 again") {
            let answer = try topology.split.send(.json(.POST, "/predict", ["text": Self.short])).text
            return answer.contains(#""version":"1""#)
        }
        struct History: Decodable {
            struct Interval: Decodable {
                let track: String
                let version: Int
                let from: String
                let to: String?
            }
            let intervals: [Interval]
        }
        let history = try api.send(ClientRequest(.GET, "/api/v1/models/sentiment/history")).success().json(History.self)
            .intervals
        let stable = history.filter { $0.track == "stable" }, canary = history.filter { $0.track == "canary" }
        #expect(stable.map(\.version) == [1, 2, 1])
        #expect(canary.map(\.version) == [2, 3])
        // Contiguous: each stable interval ends where the next begins; only the last is open.
        #expect(zip(stable, stable.dropFirst()).allSatisfy { $0.to == $1.from })
        #expect(stable.last?.to == nil && canary.allSatisfy { $0.to != nil })
        #expect(try api.send(.json(.POST, "/api/v1/models/sentiment/rollback", ["to": 1])).status == 409)
    }
}
