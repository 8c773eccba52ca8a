import Dispatch
import HTTPKit
import Testing

@Suite struct WorkerPoolTests {
    /// Idle threads are free capacity even before they wake: a burst of
    /// `threads + limit` jobs is taken whole; one more while every thread is
    /// busy and the backlog is full is refused.
    @Test func aBurstUpToIdleThreadsPlusTheBacklogLimitIsAccepted() throws {
        let threads = 16, limit = 2
        let pool = WorkerPool(name: "test", threads: threads)
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let job: @Sendable () -> Void = {
            started.signal()
            release.wait()
        }
        let accepted = (0..<(threads + limit)).filter { _ in pool.submit(job, unlessBacklogReaches: limit) }.count
        if accepted != threads + limit {  // refused: release what did start, then fail
            for _ in 0..<accepted { release.signal() }
            pool.shutdown()
        }
        try #require(accepted == threads + limit)
        for _ in 0..<threads { started.wait() }  // every thread is now inside a job
        #expect(!pool.submit(job, unlessBacklogReaches: limit))
        for _ in 0..<(threads + limit) { release.signal() }
        for _ in 0..<limit { started.wait() }  // the backlog ran too
        #expect(pool.shutdown())
    }
}
