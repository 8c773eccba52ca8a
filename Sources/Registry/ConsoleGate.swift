import ConsoleKit
import Foundation
import HTTPKit
import Postgres
import Telemetry

/// What every console page passes through, as `RegistryService.api` is for the API: the
/// session (signed out: to the sign-in page), the role the page needs, and for a form that
/// changes something its CSRF token and origin; errors become an error page with the status
/// the API would answer. Pages of every module are added through it and framed by it.
public struct ConsoleGate: Sendable {
    let registry: RegistryService
    let sessions: ConsoleSessions
    public let layout: ConsoleLayout

    static let cookie = "steward_session"

    public init(registry: RegistryService, sessionLifetime: Duration) throws {
        self.registry = registry
        self.sessions = ConsoleSessions(pool: registry.pool, lifetime: sessionLifetime)
        self.layout = try ConsoleLayout()
    }

    public typealias Handler = @Sendable (Request, Viewer) throws -> Response

    /// A page at `path` for viewers of at least `role`. A POST must carry the session's CSRF
    /// token in its `csrf` field, and an `Origin`, when the browser sends one, must be this host.
    public func add(
        _ router: inout Router, _ method: HTTPMethod, _ path: String, _ role: Role, _ handler: @escaping Handler
    ) {
        router.add(method, path, .blocking { request in self.answer(request, role: role, handler) })
    }

    private func answer(_ request: Request, role: Role, _ handler: Handler) -> Response {
        let changes = request.method != .GET && request.method != .HEAD
        var signedIn: Viewer?
        do {
            signedIn = try request.cookie(Self.cookie).flatMap(sessions.viewer(session:))
            guard let viewer = signedIn else {
                if changes { throw HTTPError.unauthorized("your session has ended: sign in again") }
                let back = request.query.isEmpty ? request.path : request.path + "?" + Self.query(request)
                return ConsoleLayout.redirect(to: Link.query("/login", [("next", back)]))
            }
            guard viewer.principal.role >= role else {
                throw HTTPError.forbidden(
                    "this needs the \(role.rawValue) role; you signed in as \(viewer.principal.name), "
                        + "a \(viewer.principal.role.rawValue)")
            }
            if changes { try Self.checkForm(request, csrf: viewer.csrf) }
            return try handler(request, viewer)
        } catch {
            return errorPage(error, signedIn)
        }
    }

    /// A form a browser posted from another site (its `Origin` is not this host) is refused.
    static func checkOrigin(_ request: Request) throws(HTTPError) {
        if let origin = request.headers["Origin"], let host = request.headers["Host"],
            origin != "http://\(host)" && origin != "https://\(host)"
        {
            throw .forbidden("the form was sent from another site (\(origin))")
        }
    }

    static func checkForm(_ request: Request, csrf: String) throws {
        try checkOrigin(request)
        let sent = try FormBody(request)["csrf"] ?? ""
        guard sent.utf8.count == csrf.utf8.count, zip(sent.utf8, csrf.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0
        else { throw HTTPError.forbidden("the form's CSRF token is missing or stale: reload the page and try again") }
    }

    private static func query(_ request: Request) -> String {
        request.queryValues.sorted { $0.key < $1.key }.flatMap { name, values in
            values.map { "\(Link.encode(name))=\(Link.encode($0))" }
        }.joined(separator: "&")
    }

    /// The page in the console's frame, with what `viewer` may open in the navigation.
    public func render(_ page: ConsolePage, for viewer: Viewer?) -> Response {
        layout.render(page, nav: Self.nav(viewer))
    }

    static func nav(_ viewer: Viewer?) -> HTML {
        guard let viewer else { return "" }
        var links: [HTML] = [
            "<a href=\"/\">Models</a>", "<a href=\"/experiments\">Experiments</a>", "<a href=\"/datasets\">Datasets</a>"
        ]
        if viewer.isAdmin { links.append("<a href=\"/audit\">Audit log</a>") }
        links.append(
            """
            <span class="who">\(viewer.principal.name) · \(viewer.principal.role.rawValue)</span>
            <form method="post" action="/logout"><input type="hidden" name="csrf" value="\(viewer.csrf)">\
            <button type="submit">Sign out</button></form>
            """)
        return HTML.joined(links, separator: "\n")
    }

    /// An error as a page: the status and message the API would answer; an unexpected error
    /// is logged and shown without its details.
    func errorPage(_ error: any Error, _ viewer: Viewer?) -> Response {
        let http: HTTPError
        if let mapped = RegistryService.httpError(error, view: .native) {
            http = mapped
        } else {
            registry.logger.error("console page failed", ["error": .string(String(describing: error))])
            http = .internalError
        }
        var response = render(
            ConsolePage(
                title: http.status == 404 ? "Not found" : "Error \(http.status)",
                body: "<p class=\"flash error\">\(http.message)</p><p><a href=\"/\">Back to the models</a></p>",
                status: http.status), for: viewer)
        for (name, value) in http.headers where name != "WWW-Authenticate" { response.headers.set(name, value) }
        return response
    }

    // MARK: Signing in and out

    public func installSignIn(on router: inout Router) {
        router.add(.GET, "/login", .blocking { request in self.signInPage(next: request.query["next"]) })
        router.add(.POST, "/login", .blocking { request in self.signIn(request) })
        add(&router, .POST, "/logout", .viewer) { request, viewer in
            if let id = request.cookie(Self.cookie) { try sessions.close(session: id, viewer: viewer) }
            return ConsoleLayout.redirect(to: "/login", headers: ["Set-Cookie": sessionCookie(nil, request: request)])
        }
    }

    private func signInPage(next: String?, message: String? = nil, status: Int = 200) -> Response {
        let flash: HTML = message.map { "<p class=\"flash error\">\($0)</p>" } ?? ""
        return render(
            ConsolePage(
                title: "Sign in",
                body: """
                    <section class="signin">\(flash)
                    <form method="post" action="/login">
                    <input type="hidden" name="next" value="\(Link.localPath(next))">
                    <label>API token <input type="password" name="token" autocomplete="current-password" required \
                    autofocus></label>
                    <p class="muted">The bearer token you give the API and stewardctl. The browser keeps a session \
                    cookie, never the token.</p>
                    <button type="submit">Sign in</button>
                    </form></section>
                    """, status: status), for: nil)
    }

    private func signIn(_ request: Request) -> Response {
        do {
            try Self.checkOrigin(request)
            let form = try FormBody(request)
            let next = Link.localPath(form["next"])
            guard let token = form["token"]?.trimmingCharacters(in: .whitespaces), !token.isEmpty,
                token.utf8.count <= 512, let opened = try sessions.open(token: token)
            else {
                return signInPage(next: next, message: "That token is not valid (or it was revoked).", status: 401)
            }
            return ConsoleLayout.redirect(
                to: next, headers: ["Set-Cookie": sessionCookie(opened.id, request: request)])
        } catch {
            return errorPage(error, nil)
        }
    }

    /// The session cookie: HttpOnly, SameSite=Strict, Secure over TLS; nil clears it.
    func sessionCookie(_ id: String?, request: Request) -> String {
        var parts = ["\(Self.cookie)=\(id ?? "")", "Path=/", "HttpOnly", "SameSite=Strict"]
        parts.append(id == nil ? "Max-Age=0" : "Max-Age=\(sessions.lifetime.components.seconds)")
        if request.isSecure { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }
}

extension RegistryService {
    /// The console's frame, files and sign-in, and the registry's pages, through `gate`.
    public func installConsole(on router: inout Router, gate: ConsoleGate) {
        gate.layout.installAssets(on: &router)
        gate.installSignIn(on: &router)
        RegistryPages(registry: self, gate: gate).install(on: &router)
    }
}
