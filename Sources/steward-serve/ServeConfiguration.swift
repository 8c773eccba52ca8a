import Foundation
import Lifecycle
import Serving

/// Everything `steward-serve` reads from its environment, validated at start.
struct ServeConfiguration: Sendable {
    enum Source: Sendable {
        case local(path: URL, name: String, version: String)
        case registry(
            url: String, token: String?, model: String, selector: RegistryModelSource.Selector, poll: Duration)
    }

    var host: String
    var port: Int
    var ioThreads: Int
    var source: Source
    var track: String
    var batcher: Batcher.Options
    var session: InferenceSession.Options
    var precision: ModelPrecision
    var limits: ServingAPI.Limits
    var databaseURL: String?
    /// The model served, by name (known before a version is loaded).
    var modelName: String {
        switch source {
        case .local(_, let name, _): name
        case .registry(_, _, let model, _, _): model
        }
    }
    var logText: Bool
    var cache: URL

    init(_ env: EnvironmentReader) throws(ConfigurationError) {
        host = env.string("STEWARD_SERVE_HOST", default: "127.0.0.1")
        port = try env.int("STEWARD_SERVE_PORT", default: 8080, range: 0...65535)
        ioThreads = try env.int("STEWARD_SERVE_IO_THREADS", default: 2, range: 1...64)
        track = try env.choice("STEWARD_SERVE_TRACK", default: "stable", allowed: ["stable", "canary"])
        if let path = env.optional("STEWARD_MODEL_PATH") {
            let url = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("steward.json").path) else {
                throw ConfigurationError("STEWARD_MODEL_PATH", "\(path) has no steward.json")
            }
            source = .local(
                path: url, name: env.string("STEWARD_MODEL_NAME", default: url.lastPathComponent),
                version: env.string("STEWARD_MODEL_VERSION", default: "local"))
        } else {
            let url = try env.required(
                "STEWARD_REGISTRY_URL", hint: "stewardd's base URL, or set STEWARD_MODEL_PATH to serve a local model")
            let model = try env.required("STEWARD_MODEL_NAME", hint: "the registered model to serve")
            let selector: RegistryModelSource.Selector
            if let version = env.optional("STEWARD_MODEL_VERSION") {
                guard let number = Int(version), number > 0 else {
                    throw ConfigurationError("STEWARD_MODEL_VERSION", "must be a positive integer")
                }
                selector = .version(number)
            } else if let stage = env.optional("STEWARD_MODEL_STAGE") {
                selector = .stage(
                    try env.choice("STEWARD_MODEL_STAGE", default: stage, allowed: ["Staging", "Production"]))
            } else {
                selector = .alias(env.string("STEWARD_MODEL_ALIAS", default: "champion"))
            }
            let poll = try env.double("STEWARD_MODEL_POLL_SECONDS", default: 5, range: 0.2...3600)
            source = .registry(
                url: url, token: try env.secret("STEWARD_REGISTRY_TOKEN"), model: model, selector: selector,
                poll: .milliseconds(Int64(poll * 1000)))
        }
        precision = ModelPrecision(
            rawValue: try env.choice(
                "STEWARD_PRECISION", default: "fp32",
                allowed: ModelPrecision.allCases.map(\.rawValue)))!
        // Dynamic int8 quantises activations over each whole run, so a text's answer would depend on
        // its batch neighbours: int8 runs one text at a time unless told otherwise (also its fastest here).
        batcher = Batcher.Options(
            maxBatch: try env.int("STEWARD_MAX_BATCH", default: precision == .int8 ? 1 : 8, range: 1...1024),
            maxWait: .microseconds(Int64(try env.double("STEWARD_MAX_WAIT_MS", default: 0, range: 0...1000) * 1000)),
            capacity: try env.int("STEWARD_QUEUE_CAPACITY", default: 2048, range: 1...1_000_000),
            workers: try env.int("STEWARD_BATCH_WORKERS", default: 1, range: 1...64))
        session = InferenceSession.Options(
            intraOpThreads: try env.int("STEWARD_INTRA_OP_THREADS", default: 0, range: 0...256),
            optimizationLevel: try env.int("STEWARD_GRAPH_OPTIMIZATION", default: 99, range: 0...99))
        limits = ServingAPI.Limits()
        limits.maxTexts = try env.int("STEWARD_MAX_TEXTS", default: 64, range: 1...10_000)
        limits.maxTextScalars = try env.int("STEWARD_MAX_TEXT_CHARS", default: 20_000, range: 1...1_000_000)
        limits.maxBodyBytes = try env.int("STEWARD_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(256 << 20))
        databaseURL = env.optional("STEWARD_DATABASE_URL")
        logText = try env.bool("STEWARD_LOG_TEXT", default: false)
        cache = URL(
            fileURLWithPath: env.string("STEWARD_MODEL_CACHE", default: ".steward/serve-cache"), isDirectory: true)
    }
}
