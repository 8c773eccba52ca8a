import Foundation
import Synchronization
import Telemetry

/// Runs services until SIGTERM/SIGINT or until one of them stops, then shuts
/// them all down in reverse start order. A second signal exits at once.
///
/// Call `TerminationSignals.block()` first thing in `main`, before any thread
/// exists, so the signals reach the waiting thread and no other.
public final class ServiceGroup: @unchecked Sendable {
    public enum Outcome: Equatable, Sendable {
        /// Stopped by a signal with every service ending cleanly: exit 0.
        case signalled(Int32)
        /// A service stopped or failed on its own: exit non-zero.
        case serviceEnded(name: String, error: String?)

        public var exitCode: Int32 {
            switch self {
            case .signalled: 0
            case .serviceEnded: 1
            }
        }
    }

    private let services: [any Service]
    private let logger: Logger
    private let gracePeriod: Duration
    private let condition = NSCondition()
    private var trigger: Outcome?
    private var running: Int = 0

    public init(services: [any Service], gracePeriod: Duration = .seconds(10), logger: Logger) {
        self.services = services
        self.gracePeriod = gracePeriod
        self.logger = logger.labelled("lifecycle")
    }

    /// Runs until stopped; returns how it ended.
    public func run() -> Outcome {
        TerminationSignals.block()
        let signals = Thread { [self] in waitForSignals() }
        signals.start()
        for service in services {
            condition.lock()
            running += 1
            condition.unlock()
            let thread = Thread { [self] in
                var failure: String?
                do { try service.run() } catch { failure = String(describing: error) }
                condition.lock()
                running -= 1
                if trigger == nil { trigger = .serviceEnded(name: service.name, error: failure) }
                condition.broadcast()
                condition.unlock()
            }
            thread.name = service.name
            thread.start()
        }
        logger.info("started", ["services": .string(services.map(\.name).joined(separator: ","))])

        condition.lock()
        while trigger == nil { condition.wait() }
        let outcome = trigger!
        condition.unlock()
        switch outcome {
        case .signalled(let signal):
            logger.info("stopping on signal", ["signal": .int(Int(signal))])
        case .serviceEnded(let name, let error):
            logger.error(
                "service stopped on its own; stopping the rest",
                ["service": .string(name), "error": .string(error ?? "none")])
        }

        let deadline = Date().addingTimeInterval(Double(gracePeriod.components.seconds))
        for service in services.reversed() {
            service.shutdown()
        }
        condition.lock()
        while running > 0 {
            if !condition.wait(until: deadline) {
                logger.error("services did not stop within the grace period", ["still_running": .int(running)])
                break
            }
        }
        condition.unlock()
        logger.info("stopped")
        return outcome
    }

    private func waitForSignals() {
        var set = TerminationSignals.set
        var received: Int32 = 0
        while sigwait(&set, &received) == 0 {
            condition.lock()
            let first = trigger == nil
            if first { trigger = .signalled(received) }
            condition.broadcast()
            condition.unlock()
            // A signal while already stopping (for a signal or a failed service) means hurry.
            if !first {
                logger.warning("second signal: exiting now", ["signal": .int(Int(received))])
                _exit(128 + received)
            }
        }
    }
}

public enum TerminationSignals {
    static var set: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }

    /// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
    /// afterwards, so `ServiceGroup` receives them with `sigwait`. Also ignores
    /// SIGPIPE: a peer closing a socket is an error return, not a process kill.
    public static func block() {
        var signals = set
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
    }
}
