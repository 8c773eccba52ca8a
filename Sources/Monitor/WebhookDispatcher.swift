import Digest
import Foundation
import HTTPKit
import Lifecycle
import Registry
import Telemetry

/// Delivers the outbox's webhook deliveries (leader only), at least once: each due
/// delivery is POSTed with its event's exact body, signed
/// (`X-Steward-Signature: sha256=<HMAC-SHA256 of the body under the subscription's
/// secret>`), with `X-Steward-Event` (kind), `X-Steward-Event-Id` (what receivers
/// de-duplicate by) and `X-Steward-Delivery`. A 2xx answer delivers it; a 5xx, 408,
/// 429, a timeout or no connection is retried after 1 s doubling to 10 min; any other
/// answer fails it for good (the log keeps the status). A delivery POSTed just before
/// stewardd dies is POSTed again by the next leader: hence the event id.
public final class WebhookDispatcher: LeaderService, @unchecked Sendable {
    public let name = "webhooks"
    let store: WebhookStore
    let client: HTTPClient
    let logger: Logger
    public let loop: LeaderLoop

    public init(
        store: WebhookStore, interval: Duration = .seconds(1), timeout: Duration = .seconds(5),
        isLeader: @escaping @Sendable () -> Bool, logger: Logger
    ) {
        self.store = store
        self.client = HTTPClient(configuration: .init(timeout: timeout, retry: .none, userAgent: "steward-webhooks"))
        self.logger = logger.labelled("webhooks")
        self.loop = LeaderLoop(
            every: interval, isLeader: isLeader, logger: self.logger, failure: "webhook pass failed; retrying")
    }

    public func pass() throws { try deliver(now: Date()) }

    /// The signature header's value for `body` under `secret`.
    public static func signature(body: Data, secret: String) -> String {
        "sha256=" + HMACSHA256.hex(key: Data(secret.utf8), message: body)
    }

    /// Whether an answer's status is worth another try.
    static func retryable(_ status: Int) -> Bool { status >= 500 || status == 408 || status == 429 }

    /// Attempts what is due; returns how many were delivered.
    @discardableResult
    public func deliver(now: Date) throws -> Int {
        var delivered = 0
        for due in try store.due(now: now) {
            let body = Data(due.body.utf8)
            var request = ClientRequest(
                .POST, due.url,
                headers: [
                    "Content-Type": "application/json", "X-Steward-Event": due.kind, "X-Steward-Event-Id": due.eventID,
                    "X-Steward-Delivery": String(due.id),
                    "X-Steward-Signature": Self.signature(body: body, secret: due.secret)
                ], body: body, idempotent: true)
            let retryAt = now.addingTimeInterval(min(600, pow(2, Double(due.attempts))))
            do {
                let status = try client.send(request).status
                if (200..<300).contains(status) {
                    try store.attempted(due.id, status: status, error: nil, delivered: true, retryAt: nil)
                    delivered += 1
                } else {
                    let again = Self.retryable(status)
                    try store.attempted(
                        due.id, status: status, error: "answered \(status)", delivered: false,
                        retryAt: again ? retryAt : nil)
                    logger.warning(
                        again ? "webhook delivery failed; will retry" : "webhook delivery refused; not retried",
                        ["delivery": .int(Int(due.id)), "status": .int(status), "attempts": .int(due.attempts + 1)])
                }
            } catch {
                // No answer (refused, timed out): the receiver may be down for a while.
                try store.attempted(due.id, status: nil, error: "\(error)", delivered: false, retryAt: retryAt)
                logger.warning(
                    "webhook delivery failed; will retry",
                    ["delivery": .int(Int(due.id)), "attempts": .int(due.attempts + 1)])
            }
        }
        return delivered
    }
}
