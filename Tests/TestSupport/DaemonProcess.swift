import Foundation
import HTTPKit

/// A real `stewardd` on a loopback port with its own fresh database and
/// artifact root, and an admin token; stopped (SIGTERM) when released.
public final class DaemonProcess: @unchecked Sendable {
    public let database: TestDatabase
    public let process: Subprocess
    public let port: Int
    public let token: String
    public let artifactRoot: URL

    public var base: String { "http://127.0.0.1:\(port)" }

    public convenience init(environment extra: [String: String] = [:]) throws {
        try self.init(database: try TestDatabase(migrated: false), artifactRoot: try TestEnvironment.temporaryDirectory("stewardd-artifacts"),
                      token: "test-admin-" + UUID().uuidString, environment: extra)
    }

    /// A second replica (or a restart) on the first one's database, artifact root and token.
    public convenience init(sharing other: DaemonProcess, overriding: [String: String] = [:]) throws {
        try self.init(database: other.database, artifactRoot: other.artifactRoot, token: other.token,
                      environment: other.extraEnvironment.merging(overriding) { _, new in new })
    }

    private let extraEnvironment: [String: String]

    private init(database: TestDatabase, artifactRoot: URL, token: String, environment extra: [String: String]) throws {
        self.database = database
        self.artifactRoot = artifactRoot
        self.token = token
        self.extraEnvironment = extra
        var environment = [
            "STEWARD_DATABASE_URL": database.configuration.url,
            "STEWARD_HTTP_PORT": "0",
            "STEWARD_ARTIFACT_ROOT": artifactRoot.path,
            "STEWARD_BOOTSTRAP_TOKEN": token,
            "STEWARD_LOG_LEVEL": "info",
        ]
        environment.merge(extra) { _, new in new }
        process = Subprocess(try TestEnvironment.binary("stewardd"), environment: environment)
        try process.start()
        port = try process.listeningPort()
    }

    public func client(token: String? = nil, retry: RetryPolicy = .none) -> HTTPClient {
        let bearer = token ?? self.token
        return HTTPClient(configuration: .init(baseURL: base, bearerToken: { bearer }, retry: retry))
    }

    deinit { process.terminate() }
}

/// A real `steward-serve` on a loopback port.
public final class ServeProcess: @unchecked Sendable {
    public let process: Subprocess
    public let port: Int
    public var base: String { "http://127.0.0.1:\(port)" }

    public init(environment: [String: String]) throws {
        var env = ["STEWARD_SERVE_PORT": "0", "STEWARD_LOG_LEVEL": "info", "STEWARD_INTRA_OP_THREADS": "1"]
        env.merge(environment) { _, new in new }
        process = Subprocess(try TestEnvironment.binary("steward-serve"), environment: env)
        try process.start()
        port = try process.listeningPort()
    }

    public func client(retry: RetryPolicy = .none) -> HTTPClient {
        HTTPClient(configuration: .init(baseURL: base, retry: retry))
    }

    /// A metric's value from `/metrics` (the first series whose line starts with `prefix`).
    public func metric(_ prefix: String) throws -> Double? {
        let text = try client().send(ClientRequest(.GET, "/metrics")).text
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return Double(line.split(separator: " ").last ?? "")
    }

    deinit { process.terminate() }
}

extension Subprocess {
    /// The port from a server's `listening` log line (`server`: the HTTPServer's name).
    public func listeningPort(server: String = "http") throws -> Int {
        let line = try waitForLine { $0.contains("\"logger\":\"\(server)\",\"msg\":\"listening\"") }
        guard let range = line.range(of: #""port":(\d+)"#, options: .regularExpression), let port = Int(line[range].dropFirst(7)) else {
            throw TestSupportError("\(executable.lastPathComponent) did not say which port it listens on: \(line)")
        }
        return port
    }
}
