import Foundation
import Telemetry

/// How a route's handler runs.
public enum Handler: Sendable {
    /// On the I/O thread: only for handlers that never block (health, metrics).
    case inline(@Sendable (Request) throws -> Response)
    /// On the worker pool: may block on the database or the disk.
    case blocking(@Sendable (Request) throws -> Response)
    /// Started on the I/O thread, answered later from any thread through the
    /// `Responder` (for work queued elsewhere, like micro-batched inference).
    case deferred(@Sendable (Request, Responder) -> Void)
}

public struct RouteOptions: Sendable {
    /// Overrides the server's body limit for this route.
    public var maxBodyBytes: Int?
    /// Streams the body to a temporary file (`Request.bodyFile`) instead of memory.
    public var streamsBodyToFile: Bool

    public init(maxBodyBytes: Int? = nil, streamsBodyToFile: Bool = false) {
        self.maxBodyBytes = maxBodyBytes
        self.streamsBodyToFile = streamsBodyToFile
    }
}

/// Turns an error into a response; an API family (MLflow's, say) may have its own shape.
public typealias ErrorFormatter = @Sendable (HTTPError) -> Response

/// Maps method + path to a handler. Patterns are segments, where `{name}` matches
/// one segment and a final `{name...}` matches the rest of the path. A static
/// segment wins over a parameter at the same place.
public struct Router: Sendable {
    public struct Route: Sendable {
        public let method: HTTPMethod
        public let pattern: String
        public let handler: Handler
        public let options: RouteOptions
    }

    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        case methodNotAllowed([HTTPMethod])
        case notFound
    }

    final class Node: @unchecked Sendable {
        var literal: [String: Node] = [:]
        var parameter: (name: String, node: Node)?
        var rest: (name: String, routes: [HTTPMethod: Route])?
        var routes: [HTTPMethod: Route] = [:]
    }

    private let root = Node()
    private var formatters: [(prefix: String, format: ErrorFormatter)] = []
    /// Every route, in the order added (what a test compares with the API's document).
    public private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(
        _ method: HTTPMethod, _ pattern: String, options: RouteOptions = RouteOptions(), _ handler: Handler
    ) {
        let route = Route(method: method, pattern: pattern, handler: handler, options: options)
        routes.append(route)
        var node = root
        let segments = Self.segments(pattern)
        for (index, segment) in segments.enumerated() {
            if segment.hasPrefix("{"), segment.hasSuffix("...}") {
                precondition(index == segments.count - 1, "\(pattern): a rest parameter must be last")
                let name = String(segment.dropFirst().dropLast(4))
                var rest = node.rest ?? (name, [:])
                precondition(rest.routes[method] == nil, "route \(method) \(pattern) registered twice")
                rest.routes[method] = route
                node.rest = rest
                return
            }
            if segment.hasPrefix("{"), segment.hasSuffix("}") {
                let name = String(segment.dropFirst().dropLast())
                if node.parameter == nil { node.parameter = (name, Node()) }
                precondition(
                    node.parameter!.name == name,
                    "\(pattern): parameter {\(name)} clashes with {\(node.parameter!.name)}")
                node = node.parameter!.node
            } else {
                if node.literal[segment] == nil { node.literal[segment] = Node() }
                node = node.literal[segment]!
            }
        }
        precondition(node.routes[method] == nil, "route \(method) \(pattern) registered twice")
        node.routes[method] = route
    }

    public mutating func get(_ pattern: String, _ handler: @escaping @Sendable (Request) throws -> Response) {
        add(.GET, pattern, .blocking(handler))
    }
    public mutating func post(_ pattern: String, _ handler: @escaping @Sendable (Request) throws -> Response) {
        add(.POST, pattern, .blocking(handler))
    }
    public mutating func put(_ pattern: String, _ handler: @escaping @Sendable (Request) throws -> Response) {
        add(.PUT, pattern, .blocking(handler))
    }
    public mutating func patch(_ pattern: String, _ handler: @escaping @Sendable (Request) throws -> Response) {
        add(.PATCH, pattern, .blocking(handler))
    }
    public mutating func delete(_ pattern: String, _ handler: @escaping @Sendable (Request) throws -> Response) {
        add(.DELETE, pattern, .blocking(handler))
    }

    /// Errors for paths under `prefix` (matched or not) use `format`; the longest prefix wins.
    public mutating func formatErrors(under prefix: String, with format: @escaping ErrorFormatter) {
        formatters.append((prefix, format))
        formatters.sort { $0.prefix.count > $1.prefix.count }
    }

    func hasErrorFormat(under prefix: String) -> Bool { formatters.contains { $0.prefix == prefix } }

    public func errorResponse(for path: String, _ error: HTTPError) -> Response {
        let format = formatters.first { path.hasPrefix($0.prefix) }?.format ?? Response.error
        return format(error)
    }

    public func match(_ method: HTTPMethod, _ path: String) -> Match {
        var parameters: [String: String] = [:]
        guard let routes = Self.find(root, Self.segments(path)[...], &parameters) else { return .notFound }
        if let route = routes[method] ?? (method == .HEAD ? routes[.GET] : nil) {
            return .found(route, parameters: parameters)
        }
        return .methodNotAllowed(Array(routes.keys))
    }

    /// Depth-first: literal, then parameter, then rest, so static paths win.
    private static func find(
        _ node: Node, _ segments: ArraySlice<String>, _ parameters: inout [String: String]
    ) -> [HTTPMethod: Route]? {
        guard let segment = segments.first else {
            if !node.routes.isEmpty { return node.routes }
            return nil
        }
        let remaining = segments.dropFirst()
        if let next = node.literal[segment], let found = find(next, remaining, &parameters) { return found }
        if let (name, next) = node.parameter, !segment.isEmpty {
            var attempt = parameters
            attempt[name] = segment
            if let found = find(next, remaining, &attempt) {
                parameters = attempt
                return found
            }
        }
        if let (name, routes) = node.rest {
            parameters[name] = segments.joined(separator: "/")
            return routes
        }
        return nil
    }

    static func segments(_ path: String) -> [String] {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "" { parts.removeFirst() }
        if parts.last == "", parts.count > 0 { parts.removeLast() }
        return parts
    }
}

extension Router {
    /// `GET /metrics`: the registry's families in Prometheus' text format.
    public mutating func addMetrics(_ metrics: MetricsRegistry) {
        add(
            .GET, "/metrics",
            .inline { _ in .text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8") })
    }
}
