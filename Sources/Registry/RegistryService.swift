import Foundation
import HTTPKit
import Postgres
import Telemetry

/// The registry and tracking server: one store, two HTTP views (Steward's
/// native `/api/v1` and MLflow's `/api/2.0/mlflow`), sharing auth and audit.
public final class RegistryService: Sendable {
    public let pool: PostgresPool
    public let tokens: TokenStore
    let tracking: TrackingStore
    let models: ModelStore
    public let artifacts: ArtifactStore
    let logger: Logger

    public init(pool: PostgresPool, artifactRoot: URL, bootstrapToken: String?, logger: Logger) throws {
        self.pool = pool
        self.tokens = TokenStore(pool: pool)
        self.tracking = TrackingStore(pool: pool)
        self.models = ModelStore(pool: pool)
        self.artifacts = try ArtifactStore(root: artifactRoot)
        self.logger = logger.labelled("registry")
        if let bootstrapToken { try tokens.installBootstrap(bootstrapToken) }
    }

    public func install(on router: inout Router, maxUploadBytes: Int) {
        MLflowAPI(registry: self).install(on: &router, maxUploadBytes: maxUploadBytes)
        NativeAPI(registry: self).install(on: &router, maxUploadBytes: maxUploadBytes)
    }

    /// Runs `body` in a transaction for an authorised caller and audits it there.
    func write<T>(_ request: Request, principal: Principal, action: String, target: String,
                  _ body: (PostgresConnection) throws -> T) throws -> T {
        try pool.withTransaction { connection in
            let result = try body(connection)
            try AuditLog.record(connection, actor: principal, action: action, target: target,
                                payload: request.body.isEmpty ? nil : request.body, requestID: request.requestID)
            return result
        }
    }
}
