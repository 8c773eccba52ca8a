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
    public let webhooks: WebhookStore
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

        public init(
            artifactRoot: URL, bootstrapToken: String? = nil, vocabularyPath: String? = nil, datasetRoots: [URL] = [],
            policyValidator: (@Sendable (String) throws -> Void)? = nil
        ) {
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
        self.webhooks = WebhookStore(pool: pool)
        self.datasets = DatasetStore(
            pool: pool, tokenizer: try configuration.vocabularyPath.map { try WordPieceTokenizer(vocabularyFile: $0) },
            logger: logger.labelled("registry"))
        self.logger = logger.labelled("registry")
        if let token = configuration.bootstrapToken {
            switch try tokens.installBootstrap(token) {
            case .installed: self.logger.info("installed the bootstrap admin token from the environment")
            case .rotated:
                self.logger.info("rotated the bootstrap admin token: the environment holds a new value (audited)")
            case .keptRevoked:
                self.logger.warning(
                    """
                    the bootstrap token in the environment was revoked and stays revoked; \
                    to rotate it, set STEWARD_BOOTSTRAP_TOKEN (or its file) to a new value and restart \
                    (runbook/rotate-tokens.md)
                    """)
            case .unchanged: break
            }
        }
    }

    public func install(on router: inout Router, maxUploadBytes: Int) {
        MLflowAPI(registry: self).install(on: &router, maxUploadBytes: maxUploadBytes)
        NativeAPI(registry: self).install(on: &router, maxUploadBytes: maxUploadBytes)
    }

    /// The caller's principal for the native API (401/403 in Steward's error shape).
    public func authorize(_ request: Request, needs role: Role) throws -> Principal {
        try tokens.authorize(request, needs: role)
    }

    /// Which API a route belongs to: each answers the store's errors in its own shape.
    public enum ErrorView: Sendable {
        /// Steward's `/api/v1`: 404, 409 with the existing id, 400.
        case native
        /// MLflow's protocol: its error codes and statuses.
        case mlflow

        func map(_ error: RegistryError) -> HTTPError { self == .native ? error.native : error.mlflow }
    }

    /// Steward's own API, `/api/v1`: every module's routes are added to it. Each
    /// route authorises the caller for its role and answers the stores' refusals
    /// as 4xx, a database that is unreachable or saturated as 503 with Retry-After.
    public var api: RouteGroup<Role, Principal> { group(prefix: "/api/v1", view: .native) }

    /// Routes of one of MLflow's families (its error codes and body shape, unknown paths included).
    func mlflowGroup(prefix: String) -> RouteGroup<Role, Principal> { group(prefix: prefix, view: .mlflow) }

    private func group(prefix: String, view: ErrorView) -> RouteGroup<Role, Principal> {
        RouteGroup(
            prefix: prefix, format: view == .mlflow ? MLflowAPI.format : nil,
            admit: { [tokens] request, role in try tokens.authorize(request, needs: role) },
            mapError: { error in Self.httpError(error, view: view) })
    }

    /// A store's refusal as the view answers it (4xx), a database unreachable or saturated as
    /// 503; nil for anything else (an unexpected error).
    public static func httpError(_ error: any Error, view: ErrorView) -> HTTPError? {
        switch error {
        case let error as HTTPError: error
        case let error as RegistryError: view.map(error)
        case let error as PostgresError: error.asUnavailable ?? error.asInvalidInput.map(view.map)
        default: nil
        }
    }

    /// Runs `body` in a transaction for an authorised caller and audits it there. A
    /// deadlock or serialization failure between concurrent writers runs it again, so
    /// `body` must touch nothing but the database.
    @discardableResult
    public func write<T>(
        _ request: Request, principal: Principal, action: String, target: String, retrying: Bool = true,
        _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        try pool.withRetryingTransaction(attempts: retrying ? 5 : 1) { connection in
            let result = try body(connection)
            try AuditLog.record(
                connection, actor: principal, action: action, target: target,
                payload: request.body.isEmpty ? nil : request.body, requestID: request.requestID)
            return result
        }
    }
}
