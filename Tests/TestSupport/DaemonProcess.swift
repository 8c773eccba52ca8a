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
        try self.init(
            database: try TestDatabase(migrated: false),
            artifactRoot: try TestEnvironment.temporaryDirectory("stewardd-artifacts"),
            token: "test-admin-" + UUID().uuidString, environment: extra)
    }

    /// A second replica (or a restart) on the first one's database, artifact root and token.
    public convenience init(sharing other: DaemonProcess, overriding: [String: String] = [:]) throws {
        try self.init(
            database: other.database, artifactRoot: other.artifactRoot, token: other.token,
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
            "STEWARD_LOG_LEVEL": "info"
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

extension DaemonProcess {
    private struct Created: Decodable {
        struct Run: Decodable {
            struct Info: Decodable { let run_id: String }
            let info: Info
        }
        let run: Run
    }
    private struct Version: Decodable {
        struct Body: Decodable { let version: String }
        let model_version: Body
    }

    /// Logs the tiny model fixture as a run's `model/` artifacts through the
    /// MLflow protocol and registers it as `sentiment` versions 1...`versions`,
    /// with the `champion` alias on version 1.
    public func registerTinyModel(versions: Int = 2) throws {
        _ = try client().send(.json(.POST, "/api/v1/models", ["name": "sentiment"])).success()
        let source = try logModel(try Fixtures.url("tiny-model"))
        for expected in 1...versions {
            guard try addVersion(source: source) == expected else {
                throw TestSupportError("expected version \(expected)")
            }
        }
        _ = try client().send(.json(.PUT, "/api/v1/models/sentiment/aliases/champion", ["version": 1])).success()
    }

    /// Registers the model in `directory` (a tiny-model-shaped folder) as the next
    /// version of `sentiment`; returns the version.
    public func registerModel(_ directory: URL) throws -> Int {
        try addVersion(source: try logModel(directory))
    }

    /// A run whose `model/` artifacts are the files of `directory`; returns their source URI.
    private func logModel(_ directory: URL) throws -> String {
        let client = client()
        let run = try client.send(.json(.POST, "/api/2.0/mlflow/runs/create", ["experiment_id": "0"])).success().json(
            Created.self
        ).run.info.run_id
        for file in ["model.onnx", "vocab.txt", "steward.json", "model_card.md"] {
            _ = try client.send(
                ClientRequest(
                    .PUT, "/api/2.0/mlflow-artifacts/artifacts/0/\(run)/artifacts/model/\(file)",
                    bodyFile: directory.appendingPathComponent(file))
            ).success()
        }
        return "mlflow-artifacts:/0/\(run)/artifacts/model"
    }

    private func addVersion(source: String) throws -> Int {
        let run = String(source.split(separator: "/")[2])
        let version = try client().send(
            .json(
                .POST, "/api/2.0/mlflow/model-versions/create",
                ["name": "sentiment", "source": source, "run_id": run]))
        guard let number = Int(try version.success().json(Version.self).model_version.version) else {
            throw TestSupportError("no version number in \(version.text)")
        }
        return number
    }
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
        guard let range = line.range(of: #""port":(\d+)"#, options: .regularExpression),
            let port = Int(line[range].dropFirst(7))
        else {
            throw TestSupportError("\(executable.lastPathComponent) did not say which port it listens on: \(line)")
        }
        return port
    }
}
