import Foundation
import HTTPKit

/// One page of the console: its title, its body, and its status.
public struct ConsolePage: Sendable {
    public var title: String
    public var body: HTML
    public var status: Int

    public init(title: String, body: HTML, status: Int = 200) {
        self.title = title
        self.body = body
        self.status = status
    }
}

/// The console's shell and files: `layout.html` (every page's frame), `console.css` and
/// `console.js`, resources of this target, read once at start. Every page is answered
/// with headers that keep it to itself: a Content-Security-Policy that runs no script but
/// `console.js` and loads nothing from elsewhere, no framing, no sniffing, no caching.
public struct ConsoleLayout: Sendable {
    private let layout: Template
    private let stylesheet: Data
    private let script: Data

    public struct MissingResource: Error, CustomStringConvertible {
        let name: String
        public var description: String { "the console's \(name) resource is missing from the build" }
    }

    public init() throws {
        func resource(_ name: String, _ type: String) throws -> Data {
            guard let url = Bundle.module.url(forResource: name, withExtension: type),
                let data = try? Data(contentsOf: url)
            else { throw MissingResource(name: "\(name).\(type)") }
            return data
        }
        layout = Template(String(decoding: try resource("layout", "html"), as: UTF8.self))
        stylesheet = try resource("console", "css")
        script = try resource("console", "js")
    }

    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func headers(contentType: String) -> HTTPHeaders {
        [
            "Content-Type": contentType, "Content-Security-Policy": contentSecurityPolicy,
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store"
        ]
    }

    /// The page in its frame, `nav` being what the signed-in viewer may open.
    public func render(_ page: ConsolePage, nav: HTML) -> Response {
        let text = layout.render(["title": HTML(escaping: page.title), "nav": nav, "body": page.body])
        return Response(
            status: page.status, headers: Self.headers(contentType: "text/html; charset=utf-8"),
            body: .bytes(Data(text.utf8)))
    }

    /// A piece of a page without its frame (what `console.js` fetches to refresh a live section).
    public static func fragment(_ html: HTML) -> Response {
        Response(
            status: 200, headers: headers(contentType: "text/html; charset=utf-8"), body: .bytes(Data(html.text.utf8)))
    }

    /// 303 See Other: where a form's post sends the browser next.
    public static func redirect(to location: String, headers extra: HTTPHeaders = HTTPHeaders()) -> Response {
        var headers = headers(contentType: "text/plain; charset=utf-8")
        headers.set("Location", location)
        for (name, value) in extra { headers.add(name, value) }
        return Response(status: 303, headers: headers, body: .bytes(Data("see \(location)\n".utf8)))
    }

    /// `/console/console.css` and `/console/console.js`, answered on the I/O thread.
    public func installAssets(on router: inout Router) {
        for (path, data, type) in [
            ("/console/console.css", stylesheet, "text/css; charset=utf-8"),
            ("/console/console.js", script, "text/javascript; charset=utf-8")
        ] {
            var cacheable = Self.headers(contentType: type)
            cacheable.set("Cache-Control", "public, max-age=300")
            let headers = cacheable
            router.add(.GET, path, .inline { _ in Response(status: 200, headers: headers, body: .bytes(data)) })
        }
    }
}

/// A text with `{{name}}` slots, cut at the slots once, so what fills one slot is never
/// searched for another.
struct Template: Sendable {
    private enum Part: Sendable {
        case text(String)
        case slot(String)
    }
    private let parts: [Part]

    init(_ source: String) {
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            parts.append(.text(String(rest[..<open.lowerBound])))
            parts.append(.slot(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        parts.append(.text(String(rest)))
        self.parts = parts
    }

    func render(_ values: [String: HTML]) -> String {
        var output = ""
        for part in parts {
            switch part {
            case .text(let text): output += text
            case .slot(let name): output += values[name]?.text ?? ""
            }
        }
        return output
    }
}
