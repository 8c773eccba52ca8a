import Foundation
import Telemetry

/// The loop of a service that does one pass of work every interval, on the
/// leader replica only: the one place that sleeps, wakes early on `nudge()`,
/// skips passes while another replica leads, and reports a failing pass once
/// per distinct error (not on every pass) until a pass succeeds again.
public final class LeaderLoop: Sendable {
    let interval: Duration
    let isLeader: @Sendable () -> Bool
    let logger: Logger
    /// What the log says when a pass fails, e.g. "rollout pass failed; retrying".
    let failure: String
    private let signal = StopSignal()

    public init(every interval: Duration, isLeader: @escaping @Sendable () -> Bool, logger: Logger, failure: String) {
        self.interval = interval
        self.isLeader = isLeader
        self.logger = logger
        self.failure = failure
    }

    /// Runs `pass` every interval while this replica leads, until `stop()`.
    public func run(_ pass: () throws -> Void) {
        var problem = RepeatedProblem()
        while signal.wait(interval) {
            guard isLeader() else { continue }
            do {
                try pass()
                problem.clear()
            } catch {
                problem.report(error, failure, to: logger)
            }
        }
    }

    /// Starts the next pass now (new work arrived).
    public func nudge() { signal.wake() }

    public func stop() { signal.stop() }
}

/// A `Service` made of one recurring leader-only pass: declare the loop and the
/// pass, and `run()`/`shutdown()` come with it.
///
///     final class Sweeper: LeaderService {
///         let name = "sweeper"
///         let loop: LeaderLoop
///         func pass() throws { try store.deleteExpired(now: Date()) }
///     }
public protocol LeaderService: Service {
    var loop: LeaderLoop { get }
    func pass() throws
}

extension LeaderService {
    public func run() throws { loop.run(pass) }
    public func shutdown() { loop.stop() }
    /// Starts the next pass now (new work arrived on this replica).
    public func nudge() { loop.nudge() }
}
