import Foundation

/// What a service's loop waits on between passes: `wait` sleeps up to an
/// interval, returns early on `wake()`, and returns false once `stop()` was
/// called, so a loop reads `while stop.wait(interval) { pass() }`.
public final class StopSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private var woken = false

    public init() {}

    /// Waits up to `interval` or until woken; false once stopped.
    public func wait(_ interval: Duration) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(interval.seconds)
        while !stopped, !woken, condition.wait(until: deadline) {}
        woken = false
        return !stopped
    }

    /// Ends the current wait now (new work arrived).
    public func wake() {
        condition.lock()
        woken = true
        condition.broadcast()
        condition.unlock()
    }

    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    public var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
