import Foundation
import HTTPKit
import Lifecycle
import Postgres
import Serving
import ServingLog
import Telemetry

// Signals first: every thread started from here on inherits the mask.
TerminationSignals.block()
let logger = Logger.fromEnvironment(label: "steward-serve")

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("steward-serve: \(message)\n".utf8))
    exit(2)
}

let configuration: ServeConfiguration
do {
    configuration = try ServeConfiguration(EnvironmentReader())
} catch {
    fail(error.description)
}

let metrics = MetricsRegistry()
let holder = ModelHolder(metrics: metrics)
var services: [any Service] = []

switch configuration.source {
case .local(let path, let name, let version):
    do {
        holder.swap(
            to: try LoadedModel(
                directory: path, name: name, version: version, options: configuration.session,
                precision: configuration.precision),
            track: configuration.track)
        logger.info(
            "serving",
            [
                "model": .string(name), "version": .string(version), "path": .string(path.path),
                "precision": .string(configuration.precision.rawValue)
            ])
    } catch {
        fail("cannot load the model at \(path.path): \(error)")
    }
case .registry(let url, let token, let model, let selector, let poll):
    let bearer: (@Sendable () -> String?)? = token.map { value in { @Sendable in value } }
    let client = HTTPClient(configuration: .init(baseURL: url, bearerToken: bearer))
    let source = RegistryModelSource(
        client: client, model: model, selector: selector, cache: configuration.cache, pollInterval: poll,
        holder: holder, track: configuration.track, sessionOptions: configuration.session,
        precision: configuration.precision, logger: logger)
    do {
        try source.loadInitial()
    } catch {
        fail("cannot load \(model) (\(selector)) from the registry at \(url): \(error)")
    }
    services.append(source)
}

var predictionLog: ServedRequestLog?
if let url = configuration.databaseURL {
    // The pool connects lazily: a database that is down at start only costs dropped log rows.
    let pool = PostgresPool(
        configuration: PostgresConfiguration(url: url, applicationName: "steward-serve", connectTimeoutSeconds: 2),
        options: .init(maxConnections: 2, acquireTimeout: .seconds(2)), logger: logger)
    let log = ServedRequestLog(pool: pool, metrics: metrics, logger: logger)
    predictionLog = log
    // Which version this process serves, for the rollout controller (a canary that never loads is aborted).
    let instance =
        ProcessInfo.processInfo.environment["STEWARD_SERVE_INSTANCE"]
        ?? "\(ProcessInfo.processInfo.hostName)/\(getpid())"
    services += [
        log,
        ServingHeartbeat(
            pool: pool, instance: instance, model: configuration.modelName, track: configuration.track,
            logger: logger, version: { holder.model?.version })
    ]
}

if configuration.precision == .int8, configuration.batcher.maxBatch > 1 {
    logger.warning(
        "int8 with STEWARD_MAX_BATCH > 1: a text's answer depends on the texts it is batched with",
        ["max_batch": .int(configuration.batcher.maxBatch)])
}
let batcher = Batcher(options: configuration.batcher, metrics: metrics)
var router = Router()
ServingAPI(
    holder: holder, batcher: batcher, log: predictionLog, model: configuration.modelName, track: configuration.track,
    logText: configuration.logText,
    limits: configuration.limits, metrics: metrics
).install(on: &router)
let server = HTTPServer(
    configuration: .init(
        host: configuration.host, port: configuration.port, ioThreads: configuration.ioThreads,
        workerThreads: 2, maxBodyBytes: configuration.limits.maxBodyBytes),
    router: router, logger: logger, metrics: metrics)
do {
    try server.start()
} catch {
    fail("\(error)")
}
// Stopped in reverse: the server drains first, then the log flushes what it holds.
let outcome = ServiceGroup(services: services + [server], logger: logger).run()
batcher.shutdown()
exit(outcome.exitCode)
