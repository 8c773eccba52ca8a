import ConsoleKit
import Foundation
import HTTPKit
import Lifecycle
import Monitor
import Orchestrator
import Postgres
import Registry
import Schema
import ServingLog
import Synchronization
import Telemetry

// Signals first: every thread started from here on inherits the mask.
TerminationSignals.block()
MemoryTrim.limitArenas()
let logger = Logger.fromEnvironment(label: "stewardd")

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stewardd: \(message)\n".utf8))
    exit(2)
}

let configuration: DaemonConfiguration
do {
    configuration = try DaemonConfiguration(EnvironmentReader())
} catch {
    fail(error.description)
}

let database = PostgresConfiguration(
    url: configuration.databaseURL, applicationName: "stewardd",
    statementTimeout: configuration.statementTimeout)
let pool = PostgresPool(
    configuration: database,
    options: .init(maxConnections: configuration.poolSize, acquireTimeout: configuration.poolAcquireTimeout),
    logger: logger)
do {
    let applied = try pool.withConnection { try Schema.migrator().migrate($0) }
    if !applied.isEmpty {
        logger.info(
            "migrated the schema",
            ["applied": .string(applied.map { "\($0.version)_\($0.name)" }.joined(separator: ","))])
    }
} catch {
    fail("cannot prepare the database at \(database.redactedURL): \(error)")
}

let metrics = MetricsRegistry()
let registry: RegistryService
do {
    registry = try RegistryService(
        pool: pool,
        configuration: .init(
            artifactRoot: configuration.artifactRoot,
            bootstrapToken: configuration.bootstrapToken,
            vocabularyPath: configuration.vocabularyPath,
            datasetRoots: configuration.datasetRoots,
            policyValidator: { _ = try PromotionPolicy(parsing: $0) }),
        logger: logger)
} catch {
    fail("cannot start the registry: \(error)")
}

var router = Router()
let server: HTTPServer
// Probes and metrics never block: they answer on the I/O thread.
router.add(.GET, "/health", .inline { _ in .text("ok") })
let readiness = DatabaseReadiness(configuration: database)
var readinessConnection: PostgresConnection?
readiness.probe(&readinessConnection)
readinessConnection = nil
router.add(
    .GET, "/ready",
    .inline { _ in
        guard readiness.isReady else {
            throw HTTPError.unavailable("the database is unreachable", retryAfterSeconds: 1)
        }
        return .text("ready")
    })
router.addMetrics(metrics)
// The OpenAPI document of every /api/v1 route (all modules'), a resource of this executable.
guard let openAPIURL = Bundle.module.url(forResource: "openapi", withExtension: "json"),
    let openAPIDocument = try? Data(contentsOf: openAPIURL)
else {
    fail("the openapi.json resource is missing from the build")
}
router.add(
    .GET, "/openapi.json",
    .inline { _ in
        Response(status: 200, headers: ["Content-Type": "application/json"], body: .bytes(openAPIDocument))
    })
if configuration.debugRoutes {
    router.add(
        .GET, "/debug/sleep",
        .blocking { request in
            let milliseconds = try request.queryInt("ms", default: 100, range: 0...60_000)
            usleep(UInt32(milliseconds) * 1000)
            return .text("slept \(milliseconds)")
        })
}
registry.install(on: &router, maxUploadBytes: configuration.maxUploadBytes)

// The control loops run here only while this replica holds the leader lock.
let leadership = Leadership(configuration: database, logger: logger)
var executor: any Executor
if let kubernetes = configuration.kubernetes {
    var template = KubernetesExecutor.Template(image: configuration.trainingImage)
    template.gpus = configuration.trainingGPUs
    executor = KubernetesExecutor(client: KubernetesClient(configuration: kubernetes), template: template)
} else {
    do {
        // The command's first word is resolved against the working directory of stewardd.
        var command = configuration.trainingCommand
        if let first = command.first, first.contains("/"), !first.hasPrefix("/") {
            command[0] = URL(fileURLWithPath: first).standardizedFileURL.path
        }
        executor = try LocalExecutor(
            command: command, workingDirectory: configuration.trainingDirectory, logs: configuration.trainingLogs,
            baseEnvironment: [:])
    } catch {
        fail("cannot prepare the local executor: \(error)")
    }
}
if configuration.crashAfterSubmit { executor = CrashAfterSubmit(executor) }
let boundPort = Atomic<Int>(configuration.port)
var controllerOptions = RunController.Options(
    trackingURI: { "http://127.0.0.1:\(boundPort.load(ordering: .relaxed))" },
    trackingToken: configuration.trainingToken,
    assets: configuration.assets)
controllerOptions.maxActivePerModel = configuration.maxActiveRunsPerModel
controllerOptions.rollout = configuration.rolloutPlan
// A local trainer gets a token of its own run's lifetime, never the admin token.
controllerOptions.runTokens = configuration.kubernetes == nil && configuration.trainingToken == nil
let controller = RunController(
    registry: registry, executor: executor, leadership: leadership, options: controllerOptions, logger: logger)
let replica = "\(ProcessInfo.processInfo.hostName)/\(getpid())"
MonitorAPI(registry: registry).install(on: &router)
let trafficRouter: any TrafficRouter
switch (configuration.kubernetes, configuration.httpRoute, configuration.servingReplicas) {
case (let kubernetes?, let route?, _):
    trafficRouter = HTTPRouteRouter(client: KubernetesClient(configuration: kubernetes), route: route)
case (let kubernetes?, nil, let replicas?):
    trafficRouter = ReplicaRatioRouter(client: KubernetesClient(configuration: kubernetes), totalReplicas: replicas)
default: trafficRouter = DatabaseRouter()
}
let rollouts = RolloutController(
    registry: registry, router: trafficRouter, plan: configuration.rolloutPlan,
    isLeader: { leadership.isLeader }, interval: configuration.rolloutInterval, logger: logger)
let rolloutAPI = RolloutAPI(registry: registry, controller: rollouts)
rolloutAPI.install(on: &router)
// The web console: the same stores and commands as the API, pages at /, signed in with the same tokens.
do {
    let gate = try ConsoleGate(registry: registry, sessionLifetime: configuration.consoleSessionLifetime)
    registry.installConsole(on: &router, gate: gate)
    ModelPages(gate: gate, registry: registry, rollouts: rolloutAPI, driftThreshold: configuration.driftThreshold)
        .install(on: &router)
} catch {
    fail("cannot start the console: \(error)")
}
OrchestratorAPI(
    registry: registry, controller: controller, leadership: leadership, executor: executor, replica: replica
).install(on: &router)
if configuration.debugRoutes {
    // What a test compares with openapi.json: every route, once all are installed.
    let routes = router.routes.map { "\($0.method.rawValue) \($0.pattern)" }
    router.add(.GET, "/debug/routes", .inline { _ in .json(["routes": routes]) })
}
let openConnections = metrics.gauge("steward_db_pool_open_connections", help: "Open database connections.")
let idleConnections = metrics.gauge("steward_db_pool_idle_connections", help: "Idle database connections.")
metrics.addCollector {
    let stats = pool.statistics
    openConnections.set(Double(stats.open))
    idleConnections.set(Double(stats.idle))
}

server = HTTPServer(
    configuration: .init(
        host: configuration.host, port: configuration.port, ioThreads: configuration.ioThreads,
        workerThreads: configuration.workerThreads, maxQueuedRequests: configuration.maxQueuedRequests,
        maxQueueWait: configuration.maxQueueWait, maxBodyBytes: configuration.maxBodyBytes,
        uploadDirectory: configuration.artifactRoot.appendingPathComponent("incoming")),
    router: router, logger: logger, metrics: metrics)
do {
    try server.start()
    boundPort.store(server.port, ordering: .relaxed)
} catch {
    fail("\(error)")
}

let monitor = MonitorService(
    registry: registry, window: configuration.driftWindow, minWindowRows: configuration.driftMinRows,
    retention: configuration.predictionRetention, isLeader: { leadership.isLeader }, logger: logger)
let webhooks = registry.webhooks
if let url = configuration.alertWebhook {
    // The configured webhook is a subscription like the others (alerts and rollout decisions).
    do {
        try webhooks.configure(
            name: "alert-webhook", url: url,
            events: ["alert.firing", "alert.resolved", "rollout.aborted", "rollout.promoted", "model.rolled_back"],
            secret: configuration.alertWebhookSecret)
    } catch {
        fail("STEWARD_ALERT_WEBHOOK_URL: \(error)")
    }
}
let dispatcher = WebhookDispatcher(store: webhooks, isLeader: { leadership.isLeader }, logger: logger)
var retrainOptions = DriftRetrainer.Options()
retrainOptions.threshold = configuration.driftThreshold
retrainOptions.windows = configuration.driftWindows
retrainOptions.quietWindows = configuration.driftWindows  // as many quiet windows end an episode as start one
retrainOptions.interval = configuration.retrainInterval
retrainOptions.cooldown = configuration.retrainCooldown
retrainOptions.minFeedback = configuration.retrainMinFeedback
let retrainer = DriftRetrainer(
    registry: registry, options: retrainOptions, executorKind: executor.kind, isLeader: { leadership.isLeader },
    onQueued: { controller.nudge() }, logger: logger)
var services: [any Service] = [readiness, server, leadership, controller, monitor, rollouts, retrainer, dispatcher]
if let (port, splitConfiguration) = configuration.split {
    // Its own listener and metrics: what users' traffic hits in the embedded mode.
    // What only the split sees (a canary unreachable or timing out) is recorded as that track's failed requests.
    let splitLog = ServedRequestLog(pool: pool, metrics: metrics, logger: logger)
    let split = LocalTrafficSplit(configuration: splitConfiguration, pool: pool, log: splitLog, logger: logger)
    let splitServer = split.server(host: configuration.host, port: port, workerThreads: configuration.workerThreads)
    do {
        try splitServer.start()
    } catch {
        fail("cannot start the traffic split: \(error)")
    }
    services += [splitLog, split, splitServer]
}
let outcome = ServiceGroup(services: services, logger: logger).run()
(executor as? LocalExecutor)?.stopAll()
pool.close()
exit(outcome.exitCode)
