/// Routes under one path prefix that share their middleware: how a request is
/// admitted (authentication and authorisation, giving the handler what it needs,
/// a principal say) and how errors thrown below are answered (a domain's errors
/// mapped to HTTP ones, in the family's error body shape).
///
///     let api = RouteGroup<Role, Principal>(
///         prefix: "/api/v1", admit: tokens.authorize, mapError: { ($0 as? StoreError)?.http })
///     router.add(api, .GET, "/models/{name}", .viewer) { request, principal in ... }
///
/// Handlers run on the worker pool (`.blocking`): they may wait on the database.
public struct RouteGroup<Requirement: Sendable, Context>: Sendable {
    public typealias Handler = @Sendable (Request, Context) throws -> Response

    public let prefix: String
    let admit: @Sendable (Request, Requirement) throws -> Context
    let mapError: @Sendable (any Error) -> (any Error)?
    /// The body shape of errors under the prefix, unknown paths included (nil: Steward's own).
    let format: ErrorFormatter?

    /// `mapError` turns an error the handler threw into the one answered (an
    /// `HTTPError`); nil leaves it as it is (an unexpected error answers 500).
    public init(
        prefix: String, format: ErrorFormatter? = nil,
        admit: @escaping @Sendable (Request, Requirement) throws -> Context,
        mapError: @escaping @Sendable (any Error) -> (any Error)?
    ) {
        self.prefix = prefix
        self.format = format
        self.admit = admit
        self.mapError = mapError
    }
}

extension Router {
    /// A route in `group` at `group.prefix + path`, admitted with `requirement`.
    public mutating func add<Requirement, Context>(
        _ group: RouteGroup<Requirement, Context>, _ method: HTTPMethod, _ path: String,
        _ requirement: Requirement, options: RouteOptions = RouteOptions(),
        _ handler: @escaping RouteGroup<Requirement, Context>.Handler
    ) {
        if let format = group.format, !hasErrorFormat(under: group.prefix) {
            formatErrors(under: group.prefix, with: format)
        }
        add(
            method, group.prefix + path, options: options,
            .blocking { request in
                do {
                    return try handler(request, try group.admit(request, requirement))
                } catch {
                    throw group.mapError(error) ?? error
                }
            })
    }
}
