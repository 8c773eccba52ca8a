import Foundation
import HTTPKit
import Postgres

/// Webhook subscriptions (admins): create (the secret shown once), list, delete, the
/// delivery log, and a test event.
extension NativeAPI {
    func installWebhooks(on router: inout Router) {
        router.add(registry.api, .GET, "/webhooks", .admin, listWebhooks)
        router.add(registry.api, .POST, "/webhooks", .admin, createWebhook)
        router.add(registry.api, .DELETE, "/webhooks/{name}", .admin, deleteWebhook)
        router.add(registry.api, .GET, "/webhooks/{name}/deliveries", .admin, webhookDeliveries)
        router.add(registry.api, .POST, "/webhooks/{name}/test", .admin, testWebhook)
    }

    struct CreateWebhook: Decodable {
        let name: String
        let url: String
        let events: [String]?
    }

    struct CreatedWebhook: Encodable {
        let webhook: WebhookStore.Webhook
        /// Shown once: receivers check `X-Steward-Signature` with it.
        let secret: String
    }

    /// `{"name", "url", "events"?}` -> 201 with the subscription and its secret (shown only here).
    func createWebhook(_ request: Request, _ principal: Principal) throws -> Response {
        let body = try request.json(CreateWebhook.self)
        let created = try registry.write(
            request, principal: principal, action: "webhook.create", target: "webhook:\(body.name)"
        ) { c in
            try registry.webhooks.create(
                c, name: body.name, url: body.url, events: body.events ?? [], by: principal.name)
        }
        return .json(CreatedWebhook(webhook: created.webhook, secret: created.secret), status: 201)
    }

    func listWebhooks(_ request: Request, _ principal: Principal) throws -> Response {
        .json(["items": try registry.webhooks.list()])
    }

    func deleteWebhook(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        try registry.write(request, principal: principal, action: "webhook.delete", target: "webhook:\(name)") {
            try registry.webhooks.delete($0, name: name)
        }
        return .empty()
    }

    func webhookDeliveries(_ request: Request, _ principal: Principal) throws -> Response {
        .json(
            [
                "items": try registry.webhooks.deliveries(
                    name: try request.parameter("name"), limit: try Self.limit(request))
            ])
    }

    /// Records a `webhook.test` event for this subscription only (202 with its event id);
    /// the delivery log shows how it went.
    func testWebhook(_ request: Request, _ principal: Principal) throws -> Response {
        let name = try request.parameter("name")
        let eventID = try registry.write(
            request, principal: principal, action: "webhook.test", target: "webhook:\(name)"
        ) { c in
            let webhook = try registry.webhooks.webhook(c, named: name)
            return try Outbox.record(
                c, kind: "webhook.test", payload: ["webhook": name, "by": principal.name], onlyTo: webhook.id)
        }
        return .json(["event_id": eventID], status: 202)
    }
}
