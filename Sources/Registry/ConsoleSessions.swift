import Digest
import Foundation
import Postgres

/// Who is looking at a console page: the principal of the token the session was opened
/// with, and the session's CSRF token, which every form that changes something must carry.
public struct Viewer: Sendable {
    public let principal: Principal
    public let csrf: String
    public var mayOperate: Bool { principal.role >= .operator }
    public var isAdmin: Bool { principal.role == .admin }
}

/// The console's sessions (`steward.console_sessions`): signing in with a bearer token opens
/// one; the browser keeps only its random id, in an HttpOnly cookie. A session ends when it
/// expires, when its viewer signs out, or when its token is revoked or rotated (each lookup
/// joins the token as it is now). Only ids' hashes are stored, as for tokens.
struct ConsoleSessions: Sendable {
    let pool: PostgresPool
    let lifetime: Duration

    struct Opened {
        let id: String
        let viewer: Viewer
    }

    /// A new session for a valid, unrevoked token (audited under its name); nil for any other.
    func open(token: String) throws -> Opened? {
        let tokenHash = SHA256.hex(token)
        let id = SecureRandom.hex(bytes: 32), csrf = SecureRandom.hex(bytes: 24)
        return try pool.withRetryingTransaction { c in
            guard
                let row = try c.query(
                    "SELECT name, role FROM steward.api_tokens WHERE token_sha256 = \(tokenHash) AND revoked_at IS NULL"
                ).first
            else { return nil }
            let principal = try Principal(row: row)
            _ = try c.query("DELETE FROM steward.console_sessions WHERE expires_at < now()")
            _ = try c.query(
                """
                INSERT INTO steward.console_sessions (id_sha256, token_sha256, csrf, expires_at)
                VALUES (\(SHA256.hex(id)), \(tokenHash), \(csrf),
                        now() + make_interval(secs => \(Double(lifetime.components.seconds))))
                """)
            try AuditLog.record(c, actor: principal, action: "console.sign_in", target: "token:\(principal.name)")
            return Opened(id: id, viewer: Viewer(principal: principal, csrf: csrf))
        }
    }

    /// The session's viewer while it and its token are live.
    func viewer(session id: String) throws -> Viewer? {
        guard id.utf8.count == 64, id.utf8.allSatisfy({ $0 < 0x80 && $0.isHexDigit }) else { return nil }
        let found = try pool.withConnection { c in
            try c.query(
                """
                SELECT t.name, t.role, s.csrf FROM steward.console_sessions s
                JOIN steward.api_tokens t ON t.token_sha256 = s.token_sha256 AND t.revoked_at IS NULL
                WHERE s.id_sha256 = \(SHA256.hex(id)) AND s.expires_at > now()
                """, prepared: true
            ).first
        }
        guard let row = found else { return nil }
        return Viewer(principal: try Principal(row: row), csrf: try row.get("csrf"))
    }

    /// Ends the session (audited); nothing when it is already gone.
    func close(session id: String, viewer: Viewer) throws {
        try pool.withRetryingTransaction { c in
            let deleted = try c.query("DELETE FROM steward.console_sessions WHERE id_sha256 = \(SHA256.hex(id))")
            if deleted.affectedRows == 1 {
                try AuditLog.record(
                    c, actor: viewer.principal, action: "console.sign_out", target: "token:\(viewer.principal.name)")
            }
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool { (0x30...0x39).contains(self) || (0x61...0x66).contains(self) }
}
