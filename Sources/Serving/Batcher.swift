import Foundation
import Lifecycle
import Telemetry

/// Gathers concurrent requests into one session run: a batch closes at
/// `maxBatch` texts or `maxWait` after its first text, whichever comes first.
/// With `maxWait` 0 (the default) batching is "natural": an idle worker runs
/// what is queued at once, and requests that arrive while it runs form the
/// next batch, so a lone request never waits and a busy server batches.
/// The queue is bounded; `submit` refuses work beyond it (the caller answers 503).
public final class Batcher: @unchecked Sendable {
    public struct Item: Sendable {
        public let model: LoadedModel
        public let ids: [Int32]
        public let complete: @Sendable (Result<[Float], any Error>) -> Void

        public init(
            model: LoadedModel, ids: [Int32], complete: @escaping @Sendable (Result<[Float], any Error>) -> Void
        ) {
            self.model = model
            self.ids = ids
            self.complete = complete
        }
    }

    public struct Options: Sendable {
        public var maxBatch: Int
        public var maxWait: Duration
        public var capacity: Int
        public var workers: Int
        public init(maxBatch: Int = 8, maxWait: Duration = .zero, capacity: Int = 2048, workers: Int = 1) {
            self.maxBatch = maxBatch
            self.maxWait = maxWait
            self.capacity = capacity
            self.workers = workers
        }
    }

    let options: Options
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var head = 0
    private var stopping = false
    private var running = 0
    private let batchSizes: Histogram
    private let queueDepth: Gauge
    private let inference: Histogram

    public init(options: Options, metrics: MetricsRegistry) {
        self.options = options
        batchSizes = metrics.histogram(
            "steward_serve_batch_size", help: "Texts per ONNX Runtime run.",
            buckets: [1, 2, 4, 8, 16, 32, 64, 128]
        ).labels()
        queueDepth = metrics.gauge("steward_serve_queue_depth", help: "Texts waiting for a batch.").labels()
        inference = metrics.histogram("steward_serve_inference_seconds", help: "Time of one ONNX Runtime run.").labels()
        running = options.workers
        for index in 0..<options.workers {
            let thread = Thread { [self] in work() }
            thread.name = "batcher-\(index)"
            thread.start()
        }
    }

    /// Queues all items or none; false when the queue is full or stopping.
    public func submit(_ items: [Item]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, queue.count - head + items.count <= options.capacity else { return false }
        queue.append(contentsOf: items)
        queueDepth.set(Double(queue.count - head))
        condition.signal()
        return true
    }

    public var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head
    }

    /// Finishes what is queued, then stops the workers.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    /// With one worker, how many batches' worth of queued texts one `take` may
    /// gather: they run as consecutive batches grouped by length, so each pads
    /// less (a text costs as much as its batch's longest).
    private var lookahead: Int { options.workers == 1 ? 2 : 1 }

    private func take() -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count {
            if stopping {
                running -= 1
                condition.broadcast()
                return nil
            }
            condition.wait()
        }
        var batch: [Item] = []
        let deadline = Date().addingTimeInterval(options.maxWait.seconds)
        while batch.count < options.maxBatch || (batch.count < options.maxBatch * lookahead && head < queue.count) {
            if head < queue.count {
                batch.append(queue[head])
                head += 1
                continue
            }
            if stopping || options.maxWait == .zero || !condition.wait(until: deadline) { break }
        }
        if head > 4096, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        queueDepth.set(Double(queue.count - head))
        return batch
    }

    private func work() {
        while let taken = take() {
            // A swap can put two models in one take: each group runs on its own model,
            // in runs of at most maxBatch texts of similar length.
            var groups: [ObjectIdentifier: [Item]] = [:]
            for item in taken { groups[ObjectIdentifier(item.model), default: []].append(item) }
            let runs = groups.values.flatMap { group -> [[Item]] in
                let sorted = group.count > options.maxBatch ? group.sorted { $0.ids.count < $1.ids.count } : group
                return stride(from: 0, to: sorted.count, by: options.maxBatch).map {
                    Array(sorted[$0..<min($0 + options.maxBatch, sorted.count)])
                }
            }
            for group in runs {
                batchSizes.observe(Double(group.count))
                let started = ContinuousClock.now
                do {
                    let logits = try group[0].model.logits(group.map(\.ids))
                    inference.observe(started.duration(to: .now).seconds)
                    for (item, row) in zip(group, logits) { item.complete(.success(row)) }
                } catch {
                    for item in group { item.complete(.failure(error)) }
                }
            }
        }
    }
}
