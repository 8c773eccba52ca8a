import Foundation
import HTTPKit
import Synchronization

/// Concurrent clients sending requests until stopped, recording every outcome.
public final class LoadGenerator: @unchecked Sendable {
    public struct Outcome: Sendable {
        /// The number the request was built from (client index x 1,000,000 + round).
        public let sequence: Int
        public let status: Int
        public let body: Data
        public let seconds: Double
    }

    private let outcomes = Mutex<[Outcome]>([])
    private let failures = Mutex<[String]>([])
    private let stopFlag = Atomic<Bool>(false)
    private let group = DispatchGroup()

    public init(clients: Int, base: String, request: @escaping @Sendable (Int) throws -> ClientRequest) {
        for index in 0..<clients {
            group.enter()
            let client = HTTPClient(configuration: .init(baseURL: base, retry: .none))
            Thread { [self] in
                defer { group.leave() }
                var round = 0
                while !stopFlag.load(ordering: .relaxed) {
                    let started = ContinuousClock.now
                    let sequence = index * 1_000_000 + round
                    do {
                        let response = try client.send(try request(sequence))
                        let elapsed = started.duration(to: .now)
                        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                        outcomes.withLock {
                            $0.append(
                                Outcome(
                                    sequence: sequence, status: response.status, body: response.body, seconds: seconds))
                        }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                    round += 1
                }
            }.start()
        }
    }

    public var count: Int { outcomes.withLock { $0.count } }
    public var snapshot: [Outcome] { outcomes.withLock { $0 } }

    /// Stops the clients and waits for their last requests.
    @discardableResult
    public func stop() -> (outcomes: [Outcome], transportErrors: [String]) {
        stopFlag.store(true, ordering: .relaxed)
        group.wait()
        return (outcomes.withLock { $0 }, failures.withLock { $0 })
    }

    /// The p-th percentile of latencies, in milliseconds.
    public static func percentile(_ outcomes: [Outcome], _ p: Double) -> Double {
        let sorted = outcomes.map(\.seconds).sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000
    }
}

/// Waits for a condition that another process brings about, checking it until a deadline.
public func eventually(timeout: TimeInterval = 30, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    throw TestSupportError("timed out waiting for: \(what)")
}
