import Digest
import Foundation
import Postgres

/// The audit log (`steward.audit_log`): one row per write, recorded inside the
/// write's transaction, so an action and its record commit or roll back together.
enum AuditLog {
    struct Entry: Codable {
        let id: Int64, at: Date, actor: String, action: String, target: String, requestID: String?
        enum CodingKeys: String, CodingKey { case id, at, actor, action, target, requestID = "request_id" }
    }

    /// Newest first, optionally only targets starting with `targetPrefix`.
    static func entries(_ pool: PostgresPool, targetPrefix: String?, limit: Int, offset: Int) throws -> [Entry] {
        try pool.query(
            """
            SELECT id, at, actor, action, target, request_id FROM steward.audit_log
            WHERE (\(targetPrefix)::text IS NULL OR starts_with(target, \(targetPrefix))) ORDER BY id DESC LIMIT
                \(limit) OFFSET \(offset)
            """
        ).map { row in
            Entry(
                id: try row.get("id"), at: try row.get("at"), actor: try row.get("actor"),
                action: try row.get("action"),
                target: try row.get("target"), requestID: try row.get("request_id"))
        }
    }

    static func record(
        _ connection: PostgresConnection, actor: Principal, action: String, target: String,
        payload: Data? = nil, requestID: String? = nil
    ) throws {
        _ = try connection.query(
            """
            INSERT INTO steward.audit_log (actor, action, target, payload_sha256, request_id) VALUES (\(actor.name),
                \(action), \(target), \(payload.map { SHA256.hex($0) }), \(requestID))
            """, prepared: true)
    }
}
