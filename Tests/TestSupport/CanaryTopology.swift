import Foundation
import HTTPKit

/// The embedded mode's canary path with real processes: a leader stewardd, a
/// stable `steward-serve` following `champion` and a canary one following
/// `challenger` (both logging what they serve), and a second stewardd replica
/// running the local traffic split in front of them.
public final class CanaryTopology: @unchecked Sendable {
    public let daemon: DaemonProcess
    public let stable: ServeProcess
    public let canary: ServeProcess
    public let front: DaemonProcess
    public let split: HTTPClient

    /// `sentiment` with the tiny model as versions 1 and 2 (`champion` and Production on 1),
    /// then each of `extraVersions` (model folders) as the next versions.
    public init(extraVersions: [URL] = [], daemonEnvironment: [String: String] = [:]) throws {
        let daemon = try DaemonProcess(
            environment: ["STEWARD_ROLLOUT_INTERVAL_MS": "200"].merging(daemonEnvironment) { _, new in new })
        self.daemon = daemon
        try daemon.registerTinyModel()
        for directory in extraVersions { _ = try daemon.registerModel(directory) }
        _ = try daemon.client().send(
            ClientRequest(
                .PUT, "/api/v1/models/sentiment/aliases/champion",
                body: Data(#"{"version": 1, "promote": true}"#.utf8))
        ).success()
        func serve(_ track: String, alias: String) throws -> ServeProcess {
            try ServeProcess(environment: [
                "STEWARD_REGISTRY_URL": daemon.base, "STEWARD_REGISTRY_TOKEN": daemon.token,
                "STEWARD_MODEL_NAME": "sentiment",
                "STEWARD_MODEL_ALIAS": alias, "STEWARD_SERVE_TRACK": track, "STEWARD_MODEL_POLL_SECONDS": "0.2",
                "STEWARD_DATABASE_URL": daemon.database.configuration.url,
                "STEWARD_MODEL_CACHE": try TestEnvironment.temporaryDirectory("serve-cache-\(track)").path
            ])
        }
        let stable = try serve("stable", alias: "champion"), canary = try serve("canary", alias: "challenger")
        self.stable = stable
        self.canary = canary
        front = try DaemonProcess(
            sharing: daemon,
            overriding: [
                "STEWARD_SPLIT_PORT": "0", "STEWARD_SPLIT_MODEL": "sentiment",
                "STEWARD_SPLIT_STABLE_URL": stable.base, "STEWARD_SPLIT_CANARY_URL": canary.base
            ])
        split = HTTPClient(
            configuration: .init(
                baseURL: "http://127.0.0.1:\(try front.process.listeningPort(server: "split"))", retry: .none))
    }

    public var api: HTTPClient { daemon.client() }

    /// Starts a rollout of `canary` with `steps` and `analysis` (JSON texts).
    public func startRollout(canary version: Int, steps: String, analysis: String) throws {
        let body =
            #"{"model": "sentiment", "canary_version": \#(version), "steps": \#(steps), "analysis": \#(analysis)}"#
        _ = try api.send(ClientRequest(.POST, "/api/v1/rollouts", body: Data(body.utf8))).success()
    }

    public struct Rollout: Decodable {
        public struct Event: Decodable {
            public let kind: String
            public let detail: String
            public let weight: Int
        }
        public let phase: String
        public let weight: Int
        public let reason: String
        public let events: [Event]
    }

    public func rollout() throws -> Rollout {
        try api.send(ClientRequest(.GET, "/api/v1/rollouts/sentiment")).success().json(Rollout.self)
    }

    /// One prediction through the split: its status and the track that answered (or was chosen).
    public func predict(_ text: String) throws -> (status: Int, track: String) {
        let response = try split.send(.json(.POST, "/predict", ["text": text]))
        return (response.status, response.headers["X-Steward-Track"] ?? "?")
    }
}
