import Foundation
import Lifecycle
import Synchronization
import Telemetry
import Testing

@Suite struct LeaderLoopTests {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Passes run only while leading; a failure repeated on every pass is logged
    /// once, a different failure again, and once a pass succeeds the same failure
    /// is news again.
    @Test func runsOnlyWhileLeadingAndSaysARepeatedFailureOnce() {
        let sink = LogSink.capturing()
        let leading = Atomic<Bool>(false), leaderChecks = Atomic<Int>(0)
        let loop = LeaderLoop(
            every: .milliseconds(1),
            isLeader: {
                leaderChecks.add(1, ordering: .relaxed)
                return leading.load(ordering: .relaxed)
            },
            logger: Logger(label: "test", sink: sink), failure: "pass failed; retrying")
        // What each pass does, in order; the loop stops after the last.
        let script: [String?] = ["db down", "db down", "db down", "lock timeout", nil, "db down"]
        let passes = Mutex<Int>(0)
        let thread = Thread {
            loop.run {
                let index = passes.withLock { count -> Int in
                    count += 1
                    return count - 1
                }
                if index == script.count - 1 { loop.stop() }
                if let problem = script[index] { throw Failure(description: problem) }
            }
        }
        thread.start()
        // Not leading: no pass runs however often the loop wakes.
        while leaderChecks.load(ordering: .relaxed) < 5 { loop.nudge() }
        #expect(passes.withLock { $0 } == 0)
        leading.store(true, ordering: .relaxed)
        while !thread.isFinished { loop.nudge() }
        #expect(passes.withLock { $0 } == script.count)
        let logged = sink.lines.map { line -> String in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["error"] as? String ?? ""
        }
        #expect(logged == ["db down", "lock timeout", "db down"])
    }
}
