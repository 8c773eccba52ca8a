import Foundation
import Synchronization
import Telemetry

/// The model being served. Swapping is one pointer store: requests already
/// running keep the model they took, new ones get the new one.
public final class ModelHolder: Sendable {
    private let current = Mutex<LoadedModel?>(nil)
    private let info: GaugeFamily

    public init(metrics: MetricsRegistry) {
        info = metrics.gauge(
            "steward_serve_model_info", help: "The model version being served (1) and ones served before (0).",
            labels: ["model", "version", "track"])
    }

    public var model: LoadedModel? { current.withLock { $0 } }

    public func swap(to model: LoadedModel, track: String) {
        let previous = current.withLock { value in
            defer { value = model }
            return value
        }
        if let previous { info.labels(previous.name, previous.version, track).set(0) }
        info.labels(model.name, model.version, track).set(1)
    }
}
