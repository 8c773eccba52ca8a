import Foundation

/// How to reach a database: a libpq connection URI
/// (`postgresql://user@host:port/db?sslmode=require`) plus session settings
/// Steward relies on (UTC, ISO dates).
public struct PostgresConfiguration: Sendable {
    public var url: String
    public var applicationName: String
    public var connectTimeoutSeconds: Int
    /// The server cancels a statement running longer (SQLSTATE 57014); nil: no limit.
    /// One slow query then cannot hold a connection for ever.
    public var statementTimeout: Duration?

    public init(
        url: String, applicationName: String = "steward", connectTimeoutSeconds: Int = 5,
        statementTimeout: Duration? = nil
    ) {
        self.url = url
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.statementTimeout = statementTimeout
    }

    /// Session settings sent at connection start.
    var options: String {
        var options = "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=iso_8601"
        if let statementTimeout { options += " -c statement_timeout=\(max(1, Int(statementTimeout.milliseconds)))" }
        return options
    }

    /// The URL with any password replaced, for logs and errors.
    public var redactedURL: String {
        guard var components = URLComponents(string: url) else { return "<unparsable database URL>" }
        if components.password != nil { components.password = "***" }
        if let items = components.queryItems {
            components.queryItems = items.map {
                $0.name == "password" ? URLQueryItem(name: "password", value: "***") : $0
            }
        }
        return components.string ?? "<unparsable database URL>"
    }

    /// The same server with another database name, e.g. for tests that create databases.
    public func withDatabase(_ name: String) -> PostgresConfiguration {
        var copy = self
        if var components = URLComponents(string: url) {
            components.path = "/" + name
            copy.url = components.string ?? url
        }
        return copy
    }
}
