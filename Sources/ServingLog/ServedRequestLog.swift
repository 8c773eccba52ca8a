import Foundation
import Lifecycle
import Postgres
import Telemetry
import TextFeatures

/// Writes served requests to Postgres in batches from a bounded in-memory queue on
/// its own thread. `record` never blocks: when the queue is full (the database
/// is slow or down) the record is dropped and counted.
public final class ServedRequestLog: Service, @unchecked Sendable {
    public let name = "prediction-log"
    private let pool: PostgresPool
    private let capacity: Int
    private let flushEvery: Duration
    private let logger: Logger
    private let condition = NSCondition()
    private var pending: [ServedRequest] = []
    private var stopping = false
    private let dropped: Counter
    private let written: Counter

    public init(
        pool: PostgresPool, capacity: Int = 50_000, flushEvery: Duration = .milliseconds(250),
        metrics: MetricsRegistry, logger: Logger
    ) {
        self.pool = pool
        self.capacity = capacity
        self.flushEvery = flushEvery
        self.logger = logger.labelled("prediction-log")
        dropped = metrics.counter(
            "steward_prediction_log_dropped_total",
            help: "Prediction rows dropped (queue full or database unavailable)."
        ).labels()
        written = metrics.counter("steward_prediction_log_written_total", help: "Prediction rows written to Postgres.")
            .labels()
        let depth = metrics.gauge("steward_prediction_log_queue_depth", help: "Prediction rows waiting to be written.")
            .labels()
        metrics.addCollector { [weak self] in
            guard let self else { return }
            condition.lock()
            depth.set(Double(pending.count))
            condition.unlock()
        }
    }

    public func record(_ record: ServedRequest) {
        condition.lock()
        defer { condition.unlock() }
        guard pending.count < capacity, !stopping else {
            dropped.inc()
            return
        }
        pending.append(record)
        if pending.count >= 1000 { condition.signal() }
    }

    public func run() throws {
        var failures = 0
        while true {
            condition.lock()
            if !stopping { _ = condition.wait(until: Date().addingTimeInterval(flushEvery.seconds)) }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            let done = stopping
            condition.unlock()
            if !batch.isEmpty {
                do {
                    try write(batch)
                    written.inc(Double(batch.count))
                    if failures > 0 { logger.info("writing predictions again", ["after_failures": .int(failures)]) }
                    failures = 0
                } catch {
                    dropped.inc(Double(batch.count))
                    failures += 1
                    // One line per outage, then every 20th failure.
                    if failures == 1 || failures % 20 == 0 {
                        logger.warning(
                            "cannot write predictions; dropping them",
                            ["rows": .int(batch.count), "error": .string("\(error)")])
                    }
                    if !done { Thread.sleep(forTimeInterval: min(2, 0.1 * Double(failures))) }
                }
            }
            if done { return }
        }
    }

    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func write(_ batch: [ServedRequest]) throws {
        try pool.withConnection { try ServedRequest.copy(batch, into: $0) }
    }
}
