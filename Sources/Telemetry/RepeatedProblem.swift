import Foundation
import Synchronization

/// Says a recurring problem once instead of on every retry of a loop: a
/// warning when the problem's text changes, and again after it cleared.
public struct RepeatedProblem: Sendable {
    private var last: String?

    public init() {}

    public mutating func report(_ error: any Error, _ message: @autoclosure () -> String, to logger: Logger) {
        let problem = "\(error)"
        guard problem != last else { return }
        logger.warning(message(), ["error": .string(problem)])
        last = problem
    }

    public mutating func clear() { last = nil }
}
