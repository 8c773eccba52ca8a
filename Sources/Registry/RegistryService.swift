import Foundation
import HTTPKit
import Postgres
import Telemetry
import TextFeatures

/// The registry and tracking server: one store, two HTTP views (Steward's
/// native `/api/v1` and MLflow's `/api/2.0/mlflow`), sharing auth and audit.
public final class RegistryService: Sendable {
    public let pool: PostgresPool
    public let tokens: TokenStore
    let tracking: TrackingStore
    let models: ModelStore
    public let artifacts: ArtifactStore
    let datasets: DatasetStore
    let configuration: Configuration
    let logger: Logger

    public struct Configuration: Sendable {
        public var artifactRoot: URL
        public var bootstrapToken: String?
        /// The WordPiece vocabulary for datasets' OOV-share profile (optional).
        public var vocabularyPath: String?
        /// Datasets registered by path must lie under one of these.
        public var datasetRoots: [URL]
        /// Checks a promotion policy before `setPolicy` stores it (the language is the
        /// Orchestrator's, which stewardd plugs in); its error's description is the 400's message.
        public var policyValidator: (@Sendable (String) throws -> Void)?

        public init(artifactRoot: URL, bootstrapToken: String? = nil, vocabularyPath: String? = nil, datasetRoots: [URL] = [],
                    policyValidator: (@Sendable (String) throws -> Void)? = nil) {
            self.artifactRoot = artifactRoot
            self.bootstrapToken = bootstrapToken
            self.vocabularyPath = vocabularyPath
            self.datasetRoots = datasetRoots
            self.policyValidator = policyValidator
        }
    }

    public init(pool: PostgresPool, configuration: Configuration, logger: Logger) throws {
        self.pool = pool
        self.configuration = configuration
        self.tokens = TokenStore(pool: pool)
        self.tracking = TrackingStore(pool: pool)
        self.models = ModelStore(pool: pool)
        self.artifacts = try ArtifactStore(root: configuration.artifactRoot)
        self.datasets = DatasetStore(pool: pool, tokenizer: try configuration.vocabularyPath.map { try WordPieceTokenizer(vocabularyFile: $0) })
        self.logger = logger.labelled("registry")
        if let token = configuration.bootstrapToken { try tokens.installBootstrap(token) }
    }

    public func install(on router: inout Router, maxUploadBytes: Int) {
        MLflowAPI(registry: self).install(on: &router, maxUploadBytes: maxUploadBytes)
        NativeAPI(registry: self).install(on: &router, maxUploadBytes: maxUploadBytes)
    }

    /// The caller's principal for the native API (401/403 in Steward's error shape).
    public func authorize(_ request: Request, needs role: Role) throws -> Principal {
        try tokens.authorize(request, needs: role, unauthorized: { .unauthorized($0) }, forbidden: { .forbidden($0) })
    }

    public typealias Handler = @Sendable (Request, Principal) throws -> Response

    /// Adds a native-API route (`/api/v1` + `path`) that authorises the caller
    /// for `role` and turns registry and database-data errors into Steward's
    /// error shape; every module's native routes go through here.
    public func route(_ router: inout Router, _ method: HTTPMethod, _ path: String, _ role: Role,
                      options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) {
        router.add(method, "/api/v1" + path, options: options, .blocking { [self] request in
            let principal = try authorize(request, needs: role)
            do {
                return try handler(request, principal)
            } catch let error as RegistryError {
                throw error.native
            } catch let error as PostgresError {
                throw error.asInvalidInput?.native ?? error
            }
        })
    }

    /// Runs `body` in a transaction for an authorised caller and audits it there.
    public func write<T>(_ request: Request, principal: Principal, action: String, target: String,
                  _ body: (PostgresConnection) throws -> T) throws -> T {
        try pool.withTransaction { connection in
            let result = try body(connection)
            try AuditLog.record(connection, actor: principal, action: action, target: target,
                                payload: request.body.isEmpty ? nil : request.body, requestID: request.requestID)
            return result
        }
    }
}
