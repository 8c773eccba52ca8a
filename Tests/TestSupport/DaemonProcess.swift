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

    public init(environment extra: [String: String] = [:]) throws {
        database = try TestDatabase(migrated: false)
        artifactRoot = try TestEnvironment.temporaryDirectory("stewardd-artifacts")
        token = "test-admin-" + UUID().uuidString
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
        let line = try process.waitForLine { $0.contains("\"msg\":\"listening\"") }
        guard let range = line.range(of: #""port":(\d+)"#, options: .regularExpression),
              let port = Int(line[range].dropFirst(7)) else {
            throw TestSupportError("stewardd did not say which port it listens on: \(line)")
        }
        self.port = port
    }

    public func client(token: String? = nil, retry: RetryPolicy = .none) -> HTTPClient {
        let bearer = token ?? self.token
        return HTTPClient(configuration: .init(baseURL: base, bearerToken: { bearer }, retry: retry))
    }

    deinit { process.terminate() }
}
