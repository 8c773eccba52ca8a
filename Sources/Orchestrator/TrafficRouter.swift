import Foundation

/// Moves serving traffic between a model's stable and canary tracks.
/// `setCanaryWeight` is idempotent: the controller may repeat it after a crash.
public protocol TrafficRouter: Sendable {
    var kind: String { get }
    func setCanaryWeight(model: String, weight: Int) throws
}

/// Gateway API: the HTTPRoute's two backendRefs (stable and canary Services)
/// get weights 100 - w and w, with one merge-patch.
public struct HTTPRouteRouter: TrafficRouter {
    public let kind = "httproute"
    let client: KubernetesClient
    let route: String
    let stableService: String
    let canaryService: String
    let port: Int

    public init(client: KubernetesClient, route: String, stableService: String = "steward-serve-stable",
                canaryService: String = "steward-serve-canary", port: Int = 8080) {
        self.client = client
        self.route = route
        self.stableService = stableService
        self.canaryService = canaryService
        self.port = port
    }

    public func patch(weight: Int) -> [String: Any] {
        ["spec": ["rules": [["backendRefs": [
            ["name": stableService, "port": port, "weight": 100 - weight],
            ["name": canaryService, "port": port, "weight": weight],
        ]]]]]
    }

    public func setCanaryWeight(model: String, weight: Int) throws {
        _ = try client.mergePatch("/apis/gateway.networking.k8s.io/v1/namespaces/\(client.namespace)/httproutes/\(route)", patch(weight: weight))
    }
}

/// Embedded mode: the weight lives in the rollout row (`rollouts.weight`),
/// which the local split reads; nothing else to move.
public struct DatabaseRouter: TrafficRouter {
    public let kind = "local"
    public init() {}
    public func setCanaryWeight(model: String, weight: Int) throws {}
}
