import Foundation

/// Moves serving traffic between the stable and canary tracks of the model its
/// configuration names (an HTTPRoute, a pair of Deployments; in the embedded mode
/// the split reads the weight from the rollout's row, so there is nothing to move).
/// `setCanaryWeight` is idempotent: the controller may repeat it after a crash.
public protocol TrafficRouter: Sendable {
    var kind: String { get }
    func setCanaryWeight(_ weight: Int) throws
    /// Copies live requests to the canary (a shadow step) or stops copying them.
    func setShadow(_ on: Bool, weight: Int) throws
}

extension TrafficRouter {
    /// Routers that cannot mirror (replica ratios) leave shadow steps to fail as inconclusive.
    public func setShadow(_ on: Bool, weight: Int) throws {}
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

    public init(
        client: KubernetesClient, route: String, stableService: String = "steward-serve-stable",
        canaryService: String = "steward-serve-canary", port: Int = 8080
    ) {
        self.client = client
        self.route = route
        self.stableService = stableService
        self.canaryService = canaryService
        self.port = port
    }

    /// The route's one rule: the two weighted backends and, during a shadow step, a
    /// RequestMirror filter copying every request to the canary Service (Gateway API).
    public func patch(weight: Int, mirror: Bool = false) -> [String: Any] {
        var rule: [String: Any] = [
            "backendRefs": [
                ["name": stableService, "port": port, "weight": 100 - weight],
                ["name": canaryService, "port": port, "weight": weight]
            ]
        ]
        rule["filters"] =
            mirror
            ? [["type": "RequestMirror", "requestMirror": ["backendRef": ["name": canaryService, "port": port]]]]
            : [[String: Any]]()
        return ["spec": ["rules": [rule]]]
    }

    public func setShadow(_ on: Bool, weight: Int) throws {
        _ = try client.mergePatch(
            "/apis/gateway.networking.k8s.io/v1/namespaces/\(client.namespace)/httproutes/\(route)",
            patch(weight: weight, mirror: on))
    }

    public func setCanaryWeight(_ weight: Int) throws {
        _ = try client.mergePatch(
            "/apis/gateway.networking.k8s.io/v1/namespaces/\(client.namespace)/httproutes/\(route)",
            patch(weight: weight))
    }
}

/// Embedded mode: the weight lives in the rollout row (`rollouts.weight`),
/// which the local split reads; nothing else to move.
public struct DatabaseRouter: TrafficRouter {
    public let kind = "local"
    public init() {}
    public func setCanaryWeight(_ weight: Int) throws {}
}

/// Fallback without a Gateway: split a fixed number of replicas between the
/// stable and canary Deployments in proportion to the weight (at least one
/// canary replica while the weight is above 0).
public struct ReplicaRatioRouter: TrafficRouter {
    public let kind = "replicas"
    let client: KubernetesClient
    let stableDeployment: String
    let canaryDeployment: String
    let totalReplicas: Int

    public init(
        client: KubernetesClient, stableDeployment: String = "steward-serve-stable",
        canaryDeployment: String = "steward-serve-canary",
        totalReplicas: Int
    ) {
        self.client = client
        self.stableDeployment = stableDeployment
        self.canaryDeployment = canaryDeployment
        self.totalReplicas = totalReplicas
    }

    public func replicas(weight: Int) -> (stable: Int, canary: Int) {
        guard weight > 0 else { return (totalReplicas, 0) }
        guard weight < 100 else { return (0, totalReplicas) }
        let canary = min(totalReplicas - 1, max(1, Int((Double(totalReplicas * weight) / 100).rounded())))
        return (totalReplicas - canary, canary)
    }

    public func setCanaryWeight(_ weight: Int) throws {
        let split = replicas(weight: weight)
        let deployments = "/apis/apps/v1/namespaces/\(client.namespace)/deployments"
        // Scale up the side that grows first, so capacity never dips.
        let canaryFirst = split.canary > 0
        let patches = [(canaryDeployment, split.canary), (stableDeployment, split.stable)]
        for (name, replicas) in canaryFirst ? patches : patches.reversed() {
            _ = try client.mergePatch("\(deployments)/\(name)", ["spec": ["replicas": replicas]])
        }
    }
}
