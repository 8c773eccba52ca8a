import Synchronization

/// A metric family's kind, as the Prometheus text format names it.
public enum MetricKind: String, Sendable {
    case counter, gauge, histogram
}

/// The metrics a process exposes on `/metrics`, rendered in the Prometheus text
/// exposition format (version 0.0.4). Families are registered once, usually at
/// start-up; children (one per label-value tuple) are created on first use and
/// can be kept by hot paths to skip the lookup.
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any MetricFamily]>([])
    private let collectors = Mutex<[@Sendable () -> Void]>([])

    public init() {}

    public func counter(_ name: String, help: String, labels: [String] = []) -> CounterFamily {
        register(name) { CounterFamily(name: name, help: help, labelNames: labels) }
    }

    public func gauge(_ name: String, help: String, labels: [String] = []) -> GaugeFamily {
        register(name) { GaugeFamily(name: name, help: help, labelNames: labels) }
    }

    public func histogram(
        _ name: String, help: String, labels: [String] = [],
        buckets: [Double] = Histogram.defaultBuckets
    ) -> HistogramFamily {
        register(name) { HistogramFamily(name: name, help: help, labelNames: labels, buckets: buckets) }
    }

    /// A callback run before each rendering, for values read rather than pushed
    /// (queue depths, pool sizes).
    public func addCollector(_ collect: @escaping @Sendable () -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    /// The whole registry in the Prometheus text format.
    public func exposition() -> String {
        for collect in collectors.withLock({ $0 }) { collect() }
        var out = ""
        out.reserveCapacity(4096)
        for family in families.withLock({ $0 }) { family.render(into: &out) }
        return out
    }

    private func register<F: MetricFamily>(_ name: String, make: () -> F) -> F {
        precondition(PrometheusText.isValidName(name), "invalid metric name \(name)")
        return families.withLock { families in
            if let existing = families.first(where: { $0.name == name }) {
                guard let same = existing as? F else {
                    preconditionFailure("metric \(name) registered twice with different kinds")
                }
                return same
            }
            let family = make()
            families.append(family)
            return family
        }
    }
}

/// What the registry needs from a family to render it.
protocol MetricFamily: AnyObject, Sendable {
    var name: String { get }
    func render(into out: inout String)
}

/// The children of a family keyed by label values, created on first use.
final class Children<Child: Sendable>: Sendable {
    let labelNames: [String]
    private let make: @Sendable () -> Child
    private let table = Mutex<(order: [[String]], byValues: [[String]: Child])>(([], [:]))

    init(labelNames: [String], make: @escaping @Sendable () -> Child) {
        self.labelNames = labelNames
        self.make = make
        if labelNames.isEmpty { _ = child([]) }
    }

    func child(_ values: [String]) -> Child {
        precondition(
            values.count == labelNames.count,
            "expected \(labelNames.count) label values, got \(values.count)")
        return table.withLock { table in
            if let child = table.byValues[values] { return child }
            let child = make()
            table.byValues[values] = child
            table.order.append(values)
            return child
        }
    }

    func snapshot() -> [(labels: [String], child: Child)] {
        table.withLock { table in table.order.map { ($0, table.byValues[$0]!) } }
    }
}

public final class CounterFamily: MetricFamily {
    public let name: String
    let help: String
    let children: Children<Counter>

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.children = Children(labelNames: labelNames) { Counter() }
    }

    public func labels(_ values: String...) -> Counter { children.child(values) }
    public func inc(_ amount: Double = 1) { children.child([]).inc(amount) }

    func render(into out: inout String) {
        PrometheusText.header(name: name, help: help, kind: .counter, into: &out)
        for (values, child) in children.snapshot() {
            PrometheusText.sample(name, labels: zip(children.labelNames, values), value: child.value, into: &out)
        }
    }
}

public final class GaugeFamily: MetricFamily {
    public let name: String
    let help: String
    let children: Children<Gauge>

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.children = Children(labelNames: labelNames) { Gauge() }
    }

    public func labels(_ values: String...) -> Gauge { children.child(values) }
    public func set(_ value: Double) { children.child([]).set(value) }

    func render(into out: inout String) {
        PrometheusText.header(name: name, help: help, kind: .gauge, into: &out)
        for (values, child) in children.snapshot() {
            PrometheusText.sample(name, labels: zip(children.labelNames, values), value: child.value, into: &out)
        }
    }
}

public final class HistogramFamily: MetricFamily {
    public let name: String
    let help: String
    let children: Children<Histogram>

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        precondition(!labelNames.contains("le"), "histogram \(name) may not use the label le")
        self.name = name
        self.help = help
        let bounds = buckets.sorted()
        self.children = Children(labelNames: labelNames) { Histogram(bounds: bounds) }
    }

    public func labels(_ values: String...) -> Histogram { children.child(values) }
    public func observe(_ value: Double) { children.child([]).observe(value) }

    func render(into out: inout String) {
        PrometheusText.header(name: name, help: help, kind: .histogram, into: &out)
        for (values, child) in children.snapshot() {
            let labels = Array(zip(children.labelNames, values))
            let state = child.snapshot()
            var cumulative: UInt64 = 0
            for (index, bound) in child.bounds.enumerated() {
                cumulative += state.counts[index]
                PrometheusText.sample(
                    name + "_bucket", labels: labels + [("le", PrometheusText.format(bound))],
                    value: Double(cumulative), into: &out)
            }
            PrometheusText.sample(
                name + "_bucket", labels: labels + [("le", "+Inf")], value: Double(state.count), into: &out)
            PrometheusText.sample(name + "_sum", labels: labels, value: state.sum, into: &out)
            PrometheusText.sample(name + "_count", labels: labels, value: Double(state.count), into: &out)
        }
    }
}

public final class Counter: Sendable {
    private let total = Mutex<Double>(0)
    public init() {}
    /// Counters only go up; a negative amount is ignored.
    public func inc(_ amount: Double = 1) {
        guard amount > 0 else { return }
        total.withLock { $0 += amount }
    }
    public var value: Double { total.withLock { $0 } }
}

public final class Gauge: Sendable {
    private let current = Mutex<Double>(0)
    public init() {}
    public func set(_ value: Double) { current.withLock { $0 = value } }
    public func add(_ amount: Double) { current.withLock { $0 += amount } }
    public var value: Double { current.withLock { $0 } }
}

public final class Histogram: Sendable {
    public static let defaultBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
    ]

    struct State {
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    let bounds: [Double]
    private let state: Mutex<State>

    init(bounds: [Double]) {
        self.bounds = bounds
        self.state = Mutex(State(counts: Array(repeating: 0, count: bounds.count)))
    }

    public func observe(_ value: Double) {
        // Counts are kept per bucket (not cumulative) so an observation touches one slot.
        let index = bounds.firstIndex(where: { value <= $0 })
        state.withLock { state in
            if let index { state.counts[index] += 1 }
            state.sum += value
            state.count += 1
        }
    }

    func snapshot() -> State { state.withLock { $0 } }
    public var count: UInt64 { state.withLock { $0.count } }
    public var sum: Double { state.withLock { $0.sum } }
}
