import Digest
import Foundation
import Postgres

/// Writes one audit row inside the caller's transaction, so an action and its
/// record commit or roll back together.
enum AuditLog {
    static func record(_ connection: PostgresConnection, actor: Principal, action: String, target: String,
                       payload: Data? = nil, requestID: String? = nil) throws {
        _ = try connection.query("""
            INSERT INTO steward.audit_log (actor, action, target, payload_sha256, request_id) VALUES (\(actor.name), \(action), \(target), \(payload.map { SHA256.hex($0) }), \(requestID))
            """, prepared: true)
    }
}
