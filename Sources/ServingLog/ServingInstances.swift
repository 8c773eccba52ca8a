import Foundation
import Lifecycle
import Postgres
import Telemetry

/// The serving processes' heartbeats (`steward.serving_instances`): each instance
/// says every few seconds which version its track serves (none while loading). The
/// rollout controller reads it to know whether a canary ever became ready, in the
/// embedded mode and in Kubernetes alike.
public struct ServingInstances: Sendable {
    let pool: PostgresPool
    /// An instance not seen for this long is gone.
    public static let liveness: Duration = .seconds(15)

    public init(pool: PostgresPool) { self.pool = pool }

    public func beat(instance: String, model: String, track: String, version: String?, startedAt: Date) throws {
        try pool.query(
            """
            INSERT INTO steward.serving_instances (instance, model_name, track, model_version, started_at, seen_at)
            VALUES (\(instance), \(model), \(track), \(version), \(startedAt), now())
            ON CONFLICT (instance) DO UPDATE SET model_name = excluded.model_name, track = excluded.track,
                model_version = excluded.model_version, seen_at = now()
            """)
    }

    /// Whether a live instance of `track` serves `version` of `model`.
    public func serves(model: String, track: String, version: String) throws -> Bool {
        try pool.query(
            """
            SELECT 1 FROM steward.serving_instances WHERE model_name = \(model) AND track = \(track) AND model_version
                = \(version)
              AND seen_at > now() - make_interval(secs => \(Self.liveness.seconds))
            """
        ).count > 0
    }
}

/// Beats for one serving process until stopped; a failed beat is retried on the next.
public final class ServingHeartbeat: Service, @unchecked Sendable {
    public let name = "heartbeat"
    private let instances: ServingInstances
    private let instance: String
    private let model: String
    private let track: String
    private let version: @Sendable () -> String?
    private let interval: Duration
    private let logger: Logger
    private let started = Date()
    private let stop = StopSignal()

    public init(
        pool: PostgresPool, instance: String, model: String, track: String, interval: Duration = .seconds(3),
        logger: Logger, version: @escaping @Sendable () -> String?
    ) {
        instances = ServingInstances(pool: pool)
        self.instance = instance
        self.model = model
        self.track = track
        self.version = version
        self.interval = interval
        self.logger = logger.labelled("heartbeat")
    }

    public func run() throws {
        var problem = RepeatedProblem()
        repeat {
            do {
                try instances.beat(
                    instance: instance, model: model, track: track, version: version(), startedAt: started)
                problem.clear()
            } catch {
                problem.report(error, "cannot record this instance's heartbeat", to: logger)
            }
        } while stop.wait(interval)
    }

    public func shutdown() { stop.stop() }
}
