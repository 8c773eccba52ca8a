import Digest
import Foundation
import HTTPKit
import Postgres
import Synchronization

/// Bearer tokens, stored as SHA-256 hashes. Lookups are cached briefly so a
/// hot path (metric logging) costs no extra query; revocation takes effect
/// within `cacheSeconds`.
public final class TokenStore: Sendable {
    private let pool: PostgresPool
    private let cacheSeconds: Double
    private let cache = Mutex<[String: (principal: Principal?, until: Date)]>([:])

    struct Info: Codable {
        let name: String, role: String, createdAt: Date, createdBy: String, revoked: Bool
        enum CodingKeys: String, CodingKey {
            case name, role, revoked, createdAt = "created_at", createdBy = "created_by"
        }
    }

    /// Every token by name, revoked ones included; never a secret or its hash.
    func list() throws -> [Info] {
        try pool.query(
            """
            SELECT name, role, created_at, created_by, revoked_at IS NOT NULL AS revoked FROM steward.api_tokens
                ORDER BY name
            """
        ).map { row in
            Info(
                name: try row.get("name"), role: try row.get("role"), createdAt: try row.get("created_at"),
                createdBy: try row.get("created_by"),
                revoked: try row.get("revoked"))
        }
    }

    public init(pool: PostgresPool, cacheSeconds: Double = 5) {
        self.pool = pool
        self.cacheSeconds = cacheSeconds
    }

    /// What starting with a bootstrap token did.
    public enum BootstrapInstall: Sendable, Equatable {
        /// There was none: it is installed.
        case installed
        /// The same token is installed and active.
        case unchanged
        /// The environment holds a new value: it replaces the old one (a rotation).
        case rotated
        /// The environment holds the value an operator revoked: it stays revoked.
        case keptRevoked
    }

    /// Installs the bootstrap admin token from the environment: the first time, or
    /// when its value changed (a rotation). Both are audited under "environment". A
    /// revoked bootstrap token stays revoked for as long as the environment holds it.
    public func installBootstrap(_ token: String) throws -> BootstrapInstall {
        let hash = SHA256.hex(token)
        let environment = Principal(name: "environment", role: .admin)
        return try pool.withRetryingTransaction { c in
            let inserted = try c.query(
                """
                INSERT INTO steward.api_tokens (name, token_sha256, role, created_by) VALUES ('bootstrap', \(hash),
                    'admin', 'environment')
                ON CONFLICT (name) DO NOTHING
                """)
            if inserted.affectedRows == 1 {
                try AuditLog.record(c, actor: environment, action: "token.create", target: "token:bootstrap")
                return .installed
            }
            guard
                let row = try c.query(
                    """
                    SELECT token_sha256, revoked_at IS NOT NULL AS revoked FROM steward.api_tokens WHERE name =
                        'bootstrap' FOR UPDATE
                    """
                ).first
            else { return .unchanged }
            if try row.get("token_sha256", as: String.self) == hash {
                return try row.get("revoked", as: Bool.self) ? .keptRevoked : .unchanged
            }
            _ = try c.query(
                """
                UPDATE steward.api_tokens SET token_sha256 = \(hash), role = 'admin', revoked_at = NULL WHERE name
                    = 'bootstrap'
                """
            )
            try AuditLog.record(c, actor: environment, action: "token.rotate", target: "token:bootstrap")
            cache.withLock { $0.removeAll() }
            return .rotated
        }
    }

    public func principal(for token: String) throws -> Principal? {
        let hash = SHA256.hex(token)
        let now = Date()
        if let hit = cache.withLock({ $0[hash] }), hit.until > now { return hit.principal }
        let rows = try pool.query(
            "SELECT name, role FROM steward.api_tokens WHERE token_sha256 = \(hash) AND revoked_at IS NULL")
        let principal = try rows.first.map(Principal.init(row:))
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[hash] = (principal, now.addingTimeInterval(cacheSeconds))
        }
        return principal
    }

    /// Creates a token and returns its secret, shown once.
    public func create(
        name: String, role: Role, by actor: Principal, in connection: PostgresConnection
    ) throws -> String {
        guard Validation.isName(name) else {
            throw RegistryError.invalid("token name must be 1-128 letters, digits, '.', '_' or '-'")
        }
        let secret = "stw_" + SecureRandom.hex(bytes: 24)
        do {
            _ = try connection.query(
                """
                INSERT INTO steward.api_tokens (name, token_sha256, role, created_by) VALUES (\(name),
                    \(SHA256.hex(secret)), \(role.rawValue), \(actor.name))
                """
            )
        } catch let error as PostgresError {
            throw error.asAlreadyExists("a token named \(name) exists")
        }
        return secret
    }

    /// A token for a machine (one training run): a fresh secret under `name`,
    /// replacing any earlier one of that name. Returns the secret.
    public func issue(name: String, role: Role, by creator: String, in connection: PostgresConnection) throws -> String
    {
        let secret = "stw_" + SecureRandom.hex(bytes: 24)
        _ = try connection.query(
            """
            INSERT INTO steward.api_tokens (name, token_sha256, role, created_by) VALUES (\(name),
                \(SHA256.hex(secret)), \(role.rawValue), \(creator))
            ON CONFLICT (name) DO UPDATE SET token_sha256 = excluded.token_sha256, role = excluded.role, revoked_at =
                NULL
            """)
        return secret
    }

    /// Revokes a token if it is active (no error otherwise); whether it was.
    @discardableResult
    public func retire(name: String, in connection: PostgresConnection) throws -> Bool {
        let rows = try connection.query(
            "UPDATE steward.api_tokens SET revoked_at = now() WHERE name = \(name) AND revoked_at IS NULL")
        cache.withLock { $0.removeAll() }
        return rows.affectedRows == 1
    }

    public func revoke(name: String, in connection: PostgresConnection) throws {
        guard try retire(name: name, in: connection) else {
            throw RegistryError.notFound("no active token named \(name)")
        }
    }

    /// Resolves the request's bearer token and checks its role: 401 without a
    /// valid token, 403 when the role is too low.
    func authorize(_ request: Request, needs role: Role) throws -> Principal {
        guard let token = request.bearerToken else { throw HTTPError.unauthorized("a bearer token is required") }
        guard let principal = try principal(for: token) else {
            throw HTTPError.unauthorized("the bearer token is not valid")
        }
        guard principal.role >= role else {
            throw HTTPError.forbidden(
                "this needs the \(role.rawValue) role; token \(principal.name) has \(principal.role.rawValue)")
        }
        return principal
    }
}
