import Foundation
import HTTPKit
import Lifecycle
import Orchestrator

/// Everything `stewardd` reads from its environment, validated at start.
struct DaemonConfiguration: Sendable {
    var databaseURL: String
    var host: String
    var port: Int
    var ioThreads: Int
    var workerThreads: Int
    var maxQueuedRequests: Int
    var maxQueueWait: Duration
    var poolSize: Int
    var poolAcquireTimeout: Duration
    var statementTimeout: Duration?
    var artifactRoot: URL
    var bootstrapToken: String?
    var maxUploadBytes: Int
    var maxBodyBytes: Int
    /// Enables `/debug/...` routes that tests use (a slow request for the drain test).
    var debugRoutes: Bool
    var vocabularyPath: String?
    var datasetRoots: [URL]
    var executor: String
    var trainingCommand: [String]
    var trainingDirectory: URL
    var trainingLogs: URL
    var trainingToken: String?
    var assets: String?
    var maxActiveRunsPerModel: Int
    var kubernetes: KubernetesConfiguration?
    var trainingImage = ""
    var trainingGPUs = 1
    /// Fault injection for the crash test: exit right after a Job is created,
    /// before the database records it.
    var crashAfterSubmit = false
    /// With the kubernetes executor: the HTTPRoute whose backend weights carry canary traffic.
    var httpRoute: String?
    var driftThreshold = 0.25
    /// Without an HTTPRoute: split this many serving replicas between the stable and canary Deployments.
    var servingReplicas: Int?
    var alertWebhook: String?
    /// The secret its deliveries are signed with (one is made and kept in Postgres without it).
    var alertWebhookSecret: String?
    var driftWindows = 3
    /// Embedded mode: the local traffic split in front of the stable and canary `steward-serve` processes.
    var split: (port: Int, configuration: LocalTrafficSplit.Configuration)?
    /// Steps and analysis of rollouts that do not name their own.
    var rolloutPlan = RolloutState.Plan()
    /// How often the leader's rollout pass runs (and so how soon a command applies).
    var rolloutInterval: Duration = .seconds(1)
    /// The monitor's drift window, and the fewest predictions a window needs to be stored.
    var driftWindow: Duration = .seconds(300)
    var driftMinRows = 100
    /// How long the prediction log keeps rows (nil: for ever).
    var predictionRetention: Duration? = .seconds(30 * 86_400)
    /// How often the drift retrainer looks at the windows, and its cooldown between retrains.
    var retrainInterval: Duration = .seconds(60)
    var retrainCooldown: Duration = .seconds(6 * 3600)
    /// How long a console sign-in lasts (it ends sooner when its token is revoked).
    var consoleSessionLifetime: Duration = .seconds(8 * 3600)
    var retrainMinFeedback = 100

    init(_ env: EnvironmentReader) throws(ConfigurationError) {
        databaseURL = try env.required(
            "STEWARD_DATABASE_URL", hint: "a libpq URI, e.g. postgresql://steward@127.0.0.1:54329/steward")
        guard databaseURL.hasPrefix("postgresql://") || databaseURL.hasPrefix("postgres://") else {
            throw ConfigurationError("STEWARD_DATABASE_URL", "must be a postgresql:// URI")
        }
        host = env.string("STEWARD_HTTP_HOST", default: "127.0.0.1")
        port = try env.int("STEWARD_HTTP_PORT", default: 7400, range: 0...65535)
        ioThreads = try env.int("STEWARD_HTTP_IO_THREADS", default: 2, range: 1...64)
        // Four per core: enough to overlap database waits, few enough that a burst of heavy
        // requests does not run all at once on a small box (each holds its answer's memory).
        workerThreads = try env.int(
            "STEWARD_HTTP_WORKERS", default: 4 * ProcessInfo.processInfo.activeProcessorCount, range: 1...1024)
        maxQueuedRequests = try env.int("STEWARD_HTTP_QUEUE", default: 2 * workerThreads, range: 0...100_000)
        maxQueueWait = .milliseconds(try env.int("STEWARD_HTTP_QUEUE_WAIT_MS", default: 2000, range: 1...600_000))
        poolSize = try env.int("STEWARD_DATABASE_POOL_SIZE", default: 16, range: 1...512)
        poolAcquireTimeout = .milliseconds(
            try env.int("STEWARD_DATABASE_ACQUIRE_TIMEOUT_MS", default: 2000, range: 1...600_000))
        let statementMilliseconds = try env.int(
            "STEWARD_DATABASE_STATEMENT_TIMEOUT_MS", default: 30_000, range: 0...86_400_000)
        statementTimeout = statementMilliseconds == 0 ? nil : .milliseconds(statementMilliseconds)
        let root = env.string("STEWARD_ARTIFACT_ROOT", default: ".steward/artifacts")
        artifactRoot = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL
        bootstrapToken = try env.secret("STEWARD_BOOTSTRAP_TOKEN")
        if let token = bootstrapToken, token.count < 16 {
            throw ConfigurationError("STEWARD_BOOTSTRAP_TOKEN", "must be at least 16 characters")
        }
        maxUploadBytes = try env.int("STEWARD_MAX_UPLOAD_BYTES", default: 4 << 30, range: 1...(1 << 40))
        maxBodyBytes = try env.int("STEWARD_HTTP_MAX_BODY_BYTES", default: 8 << 20, range: 1024...(1 << 30))
        debugRoutes = try env.bool("STEWARD_DEBUG_ROUTES", default: false)
        vocabularyPath = env.optional("STEWARD_VOCAB_PATH")
        if let path = vocabularyPath, !FileManager.default.isReadableFile(atPath: path) {
            throw ConfigurationError("STEWARD_VOCAB_PATH", "cannot read \(path)")
        }
        let roots = env.string("STEWARD_DATASET_ROOTS", default: ".steward/data")
        datasetRoots = roots.split(separator: ":").map {
            URL(fileURLWithPath: String($0), isDirectory: true).standardizedFileURL
        }
        executor = try env.choice("STEWARD_EXECUTOR", default: "local", allowed: ["local", "kubernetes"])
        if executor == "kubernetes" {
            trainingImage = try env.required("STEWARD_TRAINING_IMAGE", hint: "the training image the Jobs run")
            if let path = env.optional("STEWARD_KUBECONFIG") ?? env.optional("KUBECONFIG") {
                do {
                    kubernetes = try Kubeconfig.load(path: path, context: env.optional("STEWARD_KUBERNETES_CONTEXT"))
                } catch {
                    throw ConfigurationError("STEWARD_KUBECONFIG", "\(error)")
                }
                if let namespace = env.optional("STEWARD_KUBERNETES_NAMESPACE") { kubernetes?.namespace = namespace }
            } else if let server = env.optional("STEWARD_KUBERNETES_SERVER") {
                kubernetes = KubernetesConfiguration(
                    server: server, caFile: env.optional("STEWARD_KUBERNETES_CA_FILE"),
                    tokenFile: env.optional("STEWARD_KUBERNETES_TOKEN_FILE"),
                    namespace: env.string("STEWARD_KUBERNETES_NAMESPACE", default: "default"))
            } else {
                do {
                    kubernetes = try KubernetesConfiguration.inCluster()
                } catch {
                    throw ConfigurationError(
                        "STEWARD_EXECUTOR", "kubernetes needs in-cluster credentials or STEWARD_KUBERNETES_SERVER")
                }
                if let namespace = env.optional("STEWARD_KUBERNETES_NAMESPACE") { kubernetes?.namespace = namespace }
            }
            trainingGPUs = try env.int("STEWARD_TRAINING_GPUS", default: 1, range: 0...16)
        }
        crashAfterSubmit = try env.bool("STEWARD_TEST_CRASH_AFTER_SUBMIT", default: false)
        httpRoute = env.optional("STEWARD_HTTPROUTE_NAME")
        if env.optional("STEWARD_SERVING_REPLICAS") != nil {
            servingReplicas = try env.int("STEWARD_SERVING_REPLICAS", default: 4, range: 2...1000)
        }
        alertWebhook = try env.secret("STEWARD_ALERT_WEBHOOK_URL")
        if let url = alertWebhook, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ConfigurationError("STEWARD_ALERT_WEBHOOK_URL", "must be an http(s) URL")
        }
        alertWebhookSecret = try env.secret("STEWARD_ALERT_WEBHOOK_SECRET")
        driftThreshold = try env.double("STEWARD_DRIFT_PSI_THRESHOLD", default: 0.25, range: 0.01...10)
        driftWindows = try env.int("STEWARD_DRIFT_WINDOWS", default: 3, range: 1...100)
        driftWindow = .seconds(try env.int("STEWARD_DRIFT_WINDOW_SECONDS", default: 300, range: 10...86_400))
        driftMinRows = try env.int("STEWARD_DRIFT_MIN_ROWS", default: 100, range: 1...10_000_000)
        // Fractions of a day are allowed (0.01 is 14.4 minutes: a load test's bound).
        let retentionDays = try env.double("STEWARD_PREDICTION_RETENTION_DAYS", default: 30, range: 0...36_500)
        predictionRetention = retentionDays == 0 ? nil : .seconds(max(1, Int64(retentionDays * 86_400)))
        retrainInterval = .seconds(try env.int("STEWARD_RETRAIN_INTERVAL_SECONDS", default: 60, range: 1...86_400))
        retrainCooldown = .seconds(
            try env.int("STEWARD_RETRAIN_COOLDOWN_SECONDS", default: 6 * 3600, range: 0...30 * 86_400))
        consoleSessionLifetime = .seconds(
            try env.int("STEWARD_CONSOLE_SESSION_SECONDS", default: 8 * 3600, range: 60...30 * 86_400))
        retrainMinFeedback = try env.int("STEWARD_RETRAIN_MIN_FEEDBACK", default: 100, range: 1...10_000_000)
        rolloutInterval = .milliseconds(try env.int("STEWARD_ROLLOUT_INTERVAL_MS", default: 1000, range: 10...60_000))
        if let text = env.optional("STEWARD_ROLLOUT_STEPS") {
            rolloutPlan.steps = try Self.decode(
                [RolloutState.Step].self, text, "STEWARD_ROLLOUT_STEPS",
                #"e.g. [{"weight": 10}, {"analysis_seconds": 60}, {"weight": 100}]"#)
            guard !rolloutPlan.steps.isEmpty else {
                throw ConfigurationError("STEWARD_ROLLOUT_STEPS", "must name at least one step")
            }
        }
        if let text = env.optional("STEWARD_ROLLOUT_ANALYSIS") {
            rolloutPlan.analysis = try Self.decode(
                RolloutState.Analysis.self, text, "STEWARD_ROLLOUT_ANALYSIS", #"e.g. {"min_requests": 50}"#)
        }
        if env.optional("STEWARD_SPLIT_PORT") != nil {
            let port = try env.int("STEWARD_SPLIT_PORT", default: 7500, range: 0...65535)
            let model = try env.required(
                "STEWARD_SPLIT_MODEL", hint: "the registered model whose rollout weight the split applies")
            let stable = try env.required("STEWARD_SPLIT_STABLE_URL", hint: "the stable steward-serve's base URL")
            let canary = try env.required("STEWARD_SPLIT_CANARY_URL", hint: "the canary steward-serve's base URL")
            let timeout = try env.int("STEWARD_SPLIT_TIMEOUT_MS", default: 10_000, range: 100...600_000)
            split = (
                port,
                LocalTrafficSplit.Configuration(
                    model: model, stableURL: stable, canaryURL: canary, timeout: .milliseconds(timeout))
            )
        }
        trainingCommand = env.string(
            "STEWARD_TRAINING_COMMAND", default: ".steward/venv/bin/python -m steward_training.entrypoint"
        )
        .split(separator: " ").map(String.init)
        trainingDirectory =
            URL(fileURLWithPath: env.string("STEWARD_TRAINING_DIR", default: "training"), isDirectory: true)
            .standardizedFileURL
        trainingLogs =
            URL(fileURLWithPath: env.string("STEWARD_TRAINING_LOGS", default: ".steward/logs/runs"), isDirectory: true)
            .standardizedFileURL
        trainingToken = try env.secret("STEWARD_TRAINING_TOKEN")
        assets = env.optional("STEWARD_ASSETS")
        maxActiveRunsPerModel = try env.int("STEWARD_MAX_ACTIVE_RUNS_PER_MODEL", default: 1, range: 1...100)
    }

    private static func decode<T: Decodable>(
        _ type: T.Type, _ text: String, _ name: String, _ hint: String
    ) throws(ConfigurationError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch let error as DecodingError {
            throw ConfigurationError(name, "\(JSON.describe(error)) (\(hint))")
        } catch {
            throw ConfigurationError(name, "is not JSON (\(hint))")
        }
    }
}
