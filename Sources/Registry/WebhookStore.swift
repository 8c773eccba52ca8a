import Digest
import Foundation
import Postgres

/// Webhook subscriptions (`steward.webhooks`) and their delivery log
/// (`steward.webhook_deliveries`, rows the `Outbox` fans events into).
public struct WebhookStore: Sendable {
    let pool: PostgresPool
    public init(pool: PostgresPool) { self.pool = pool }

    /// A subscription as the API shows it: never its secret.
    public struct Webhook: Encodable, Sendable {
        public let id: Int64, name: String, url: String, events: [String], createdBy: String, createdAt: Date
        enum CodingKeys: String, CodingKey {
            case id, name, url, events, createdBy = "created_by", createdAt = "created_at"
        }
    }

    static let maxURLLength = 2000

    /// Refuses what cannot be a subscription: a name outside the rule, a URL that is not
    /// absolute http(s) with a host, an unknown event kind.
    static func validate(name: String, url: String, events: [String]) throws {
        guard Validation.isName(name) else {
            throw RegistryError.invalid("webhook name must be 1-128 letters, digits, '.', '_' or '-'")
        }
        guard url.utf8.count <= maxURLLength, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme),
            let host = parsed.host, !host.isEmpty
        else {
            throw RegistryError.invalid("url must be an absolute http(s) URL of at most \(maxURLLength) bytes")
        }
        let unknown = events.filter { !Outbox.kinds.contains($0) }
        guard unknown.isEmpty else {
            throw RegistryError.invalid(
                "unknown event kinds \(unknown.prefix(5)) (known: \(Outbox.kinds.joined(separator: ", ")))")
        }
    }

    /// Creates a subscription; returns it and its secret, shown once.
    public func create(
        _ c: PostgresConnection, name: String, url: String, events: [String], by actor: String
    ) throws
        -> (webhook: Webhook, secret: String)
    {
        try Self.validate(name: name, url: url, events: events)
        let secret = "whsec_" + SecureRandom.hex(bytes: 32)
        do {
            let row = try c.query(
                """
                INSERT INTO steward.webhooks (name, url, events, secret, created_by)
                VALUES (\(name), \(url), \(Array(Set(events)).sorted())::text[], \(secret), \(actor))
                RETURNING id, name, url, events, created_by, created_at
                """
            ).first!
            return (try Self.webhook(row), secret)
        } catch let error as PostgresError {
            throw error.asAlreadyExists("a webhook named \(name) exists")
        }
    }

    private static func webhook(_ row: PostgresRow) throws -> Webhook {
        Webhook(
            id: try row.get("id"), name: try row.get("name"), url: try row.get("url"),
            events: try row.get("events"), createdBy: try row.get("created_by"), createdAt: try row.get("created_at"))
    }

    public func list() throws -> [Webhook] {
        try pool.query("SELECT id, name, url, events, created_by, created_at FROM steward.webhooks ORDER BY name")
            .map(Self.webhook)
    }

    public func webhook(_ c: PostgresConnection, named name: String) throws -> Webhook {
        guard
            let row = try c.query(
                "SELECT id, name, url, events, created_by, created_at FROM steward.webhooks WHERE name = \(name)"
            ).first
        else { throw RegistryError.notFound("no webhook named \(name)") }
        return try Self.webhook(row)
    }

    /// Removes a subscription and its delivery log.
    public func delete(_ c: PostgresConnection, name: String) throws {
        guard try c.query("DELETE FROM steward.webhooks WHERE name = \(name)").affectedRows == 1 else {
            throw RegistryError.notFound("no webhook named \(name)")
        }
    }

    /// One event's delivery to one subscription, as the log shows it.
    public struct Delivery: Encodable, Sendable {
        let id: Int64, eventID: String, kind: String, attempts: Int, lastStatus: Int?, lastError: String?
        let createdAt: Date, nextAttemptAt: Date?, deliveredAt: Date?, failedAt: Date?
        enum CodingKeys: String, CodingKey {
            case id, kind, attempts
            case eventID = "event_id", lastStatus = "last_status", lastError = "last_error", createdAt = "created_at"
            case nextAttemptAt = "next_attempt_at", deliveredAt = "delivered_at", failedAt = "failed_at"
        }
    }

    /// A subscription's newest deliveries.
    public func deliveries(name: String, limit: Int) throws -> [Delivery] {
        try pool.withConnection { c in
            let webhook = try webhook(c, named: name)
            return try c.query(
                """
                SELECT d.id, n.event_id::text AS event_id, n.kind, d.attempts, d.last_status, d.last_error,
                       d.created_at, d.next_attempt_at, d.delivered_at, d.failed_at
                FROM steward.webhook_deliveries d JOIN steward.notifications n ON n.id = d.notification_id
                WHERE d.webhook_id = \(webhook.id) ORDER BY d.id DESC LIMIT \(limit)
                """
            ).map { row in
                let done =
                    try row.get("delivered_at", as: Date?.self) != nil || row.get("failed_at", as: Date?.self) != nil
                return Delivery(
                    id: try row.get("id"), eventID: try row.get("event_id"), kind: try row.get("kind"),
                    attempts: try row.get("attempts"), lastStatus: try row.get("last_status"),
                    lastError: try row.get("last_error"), createdAt: try row.get("created_at"),
                    nextAttemptAt: done ? nil : try row.get("next_attempt_at"),
                    deliveredAt: try row.get("delivered_at"),
                    failedAt: try row.get("failed_at"))
            }
        }
    }

    // MARK: Delivery (the leader's dispatcher)

    /// A delivery that is due: where, signed with what, and the exact body.
    public struct Due: Sendable {
        public let id: Int64, url: String, secret: String, body: String, eventID: String, kind: String, attempts: Int
    }

    public func due(now: Date, limit: Int = 100) throws -> [Due] {
        try pool.query(
            """
            SELECT d.id, w.url, w.secret, n.payload::text AS body, n.event_id::text AS event_id, n.kind, d.attempts
            FROM steward.webhook_deliveries d JOIN steward.webhooks w ON w.id = d.webhook_id
            JOIN steward.notifications n ON n.id = d.notification_id
            WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= \(now)
            ORDER BY d.id LIMIT \(limit)
            """
        ).map {
            Due(
                id: try $0.get("id"), url: try $0.get("url"), secret: try $0.get("secret"), body: try $0.get("body"),
                eventID: try $0.get("event_id"), kind: try $0.get("kind"), attempts: try $0.get("attempts"))
        }
    }

    /// Records an attempt: delivered, to be retried at `retryAt`, or (neither) failed for good.
    public func attempted(_ id: Int64, status: Int?, error: String?, delivered: Bool, retryAt: Date?) throws {
        _ = try pool.query(
            """
            UPDATE steward.webhook_deliveries SET attempts = attempts + 1, last_status = \(status),
                last_error = \(error.map { String($0.prefix(500)) }),
                delivered_at = CASE WHEN \(delivered) THEN now() END,
                failed_at = CASE WHEN NOT \(delivered) AND \(retryAt)::timestamptz IS NULL THEN now() END,
                next_attempt_at = COALESCE(\(retryAt), next_attempt_at)
            WHERE id = \(id)
            """)
    }

    /// The webhook of STEWARD_ALERT_WEBHOOK_URL as a subscription named `name`: created
    /// or pointed at `url` (its secret kept, or `secret` when given), and handed
    /// whatever the outbox had not delivered before subscriptions existed.
    public func configure(name: String, url: String, events: [String], secret: String?) throws {
        try Self.validate(name: name, url: url, events: events)
        try pool.withTransaction { c in
            let id: Int64 = try c.query(
                """
                INSERT INTO steward.webhooks (name, url, events, secret, created_by)
                VALUES (\(name), \(url), \(events)::text[], \(secret ?? "whsec_" + SecureRandom.hex(bytes: 32)),
                    'configuration')
                ON CONFLICT (name) DO UPDATE SET url = excluded.url, events = excluded.events,
                    secret = COALESCE(\(secret), steward.webhooks.secret)
                RETURNING id
                """
            ).first!.get("id")
            _ = try c.query(
                """
                WITH handed AS (UPDATE steward.notifications SET delivered_at = now() WHERE delivered_at IS NULL
                    RETURNING id)
                INSERT INTO steward.webhook_deliveries (webhook_id, notification_id) SELECT \(id), id FROM handed
                ON CONFLICT DO NOTHING
                """)
        }
    }
}
