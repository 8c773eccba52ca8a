import Foundation

/// A fixed set of threads running submitted work in order of arrival. Handlers
/// that block (database, disk) run here so the HTTP I/O threads never wait.
public final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var head = 0
    private var stopping = false
    private var threads: [Thread] = []
    private var alive = 0
    /// Jobs a thread is running now; the other threads are free for queued jobs.
    private var running = 0

    public init(name: String, threads count: Int) {
        precondition(count > 0, "a worker pool needs a thread")
        for index in 0..<count {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 1 << 20
            threads.append(thread)
        }
        alive = count
        threads.forEach { $0.start() }
    }

    public func submit(_ job: @escaping @Sendable () -> Void) {
        _ = submit(job, unlessBacklogReaches: .max)
    }

    /// Queues `job` unless `limit` jobs are already waiting beyond the threads free
    /// to take them; false when refused. (A free thread counts before it wakes: on a
    /// busy box a burst can queue faster than sleeping threads get a core.)
    public func submit(_ job: @escaping @Sendable () -> Void, unlessBacklogReaches limit: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard queue.count - head - (alive - running) < limit else { return false }
        queue.append(job)
        condition.signal()
        return true
    }

    /// Jobs waiting for a thread.
    public var backlog: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head
    }

    /// Runs what is queued, then stops the threads and waits for them, until
    /// `deadline` if one is given. Returns false when a job outlived the
    /// deadline; its thread ends on its own once the job returns.
    @discardableResult
    public func shutdown(waitingUntil deadline: Date = .distantFuture) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while alive > 0 {
            // Foundation on Linux traps on a wait until distantFuture: wait without a deadline then.
            if deadline == .distantFuture {
                condition.wait()
            } else if !condition.wait(until: deadline) {
                return alive == 0
            }
        }
        return true
    }

    private func work() {
        condition.lock()
        while true {
            while head == queue.count, !stopping { condition.wait() }
            if head == queue.count {
                alive -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = queue[head]
            head += 1
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            running += 1
            condition.unlock()
            job()
            condition.lock()
            running -= 1
        }
    }
}
