import Foundation
import HTTPKit
import Lifecycle
import Postgres
import ServingLog
import Synchronization
import Telemetry

/// The embedded mode's traffic split: a listener in front of two local
/// `steward-serve` processes, stable and canary, that sends each request to
/// one of them in proportion to the model's rollout weight (the
/// `rollouts.weight` that `DatabaseRouter` leaves to it). Like a Gateway with
/// readiness checks, it sends the canary nothing until the canary's `/ready`
/// names the rollout's canary version. Runs on every replica, leader or not.
///
/// What only the split sees is recorded as the track's failed requests (through
/// the same log steward-serve writes): a canary that cannot be reached (the
/// request then goes to stable), one that fails or times out mid-request (502,
/// 504 to the caller), and the same for stable. A request a serving process
/// answered, even with an error, is recorded by that process, not here.
public final class LocalTrafficSplit: Service, @unchecked Sendable {
    public struct Configuration: Sendable {
        public var model: String
        public var stableURL: String
        public var canaryURL: String
        /// How often the weight and the canary's readiness are read.
        public var refresh: Duration
        /// A serving process that has not answered in this long: 504, recorded as its error.
        public var timeout: Duration
        public init(
            model: String, stableURL: String, canaryURL: String, refresh: Duration = .milliseconds(500),
            timeout: Duration = .seconds(10)
        ) {
            self.model = model
            self.stableURL = stableURL
            self.canaryURL = canaryURL
            self.refresh = refresh
            self.timeout = timeout
        }
    }

    /// What the split applies now.
    public struct State: Sendable, Equatable {
        /// The rollout's weight; 0 without an active rollout.
        public var weight = 0
        public var stableVersion: Int?
        public var canaryVersion: Int?
        /// The canary answers `/ready` with the rollout's canary version.
        public var canaryReady = false
        /// A shadow step: every request is also copied to the canary, its answer dropped.
        public var shadow = false
        /// The share of requests the canary gets: the weight once it is ready.
        public var effectiveWeight: Int { canaryReady ? weight : 0 }
    }

    public let name = "traffic-split"
    let configuration: Configuration
    let pool: PostgresPool
    let log: ServedRequestLog?
    let logger: Logger
    private let client: HTTPClient
    private let probe: HTTPClient
    private let state = Mutex(State())
    private let sequence = Atomic<Int>(0)
    private let stop = StopSignal()
    private let metrics = MetricsRegistry()
    private let forwarded: CounterFamily
    private let mirrored: CounterFamily
    private let mirrors = DispatchQueue(label: "steward.split.mirror", attributes: .concurrent)
    private let mirrorsInFlight = Atomic<Int>(0)
    static let maxMirrorsInFlight = 64

    public init(configuration: Configuration, pool: PostgresPool, log: ServedRequestLog?, logger: Logger) {
        self.configuration = configuration
        self.pool = pool
        self.log = log
        self.logger = logger.labelled("split")
        client = HTTPClient(
            configuration: .init(timeout: configuration.timeout, connectTimeout: .seconds(2), retry: .none))
        probe = HTTPClient(configuration: .init(timeout: .seconds(1), connectTimeout: .seconds(1), retry: .none))
        forwarded = metrics.counter(
            "steward_split_requests_total", help: "Requests the local split forwarded, by track and upstream status.",
            labels: ["track", "status"])
        mirrored = metrics.counter(
            "steward_split_shadow_requests_total",
            help: "Requests copied to the canary during shadow steps, by its status (dropped: too many in flight).",
            labels: ["status"])
    }

    public var current: State { state.withLock { $0 } }

    /// Request n goes to the canary when floor(n·w/100) steps up: any 100
    /// consecutive requests give the canary exactly w of them.
    static func isCanary(sequence n: Int, weight: Int) -> Bool {
        weight > 0 && (n * weight) / 100 > ((n - 1) * weight) / 100
    }

    /// The split's own listener (`/predict`, `/split`, `/health`, `/metrics`), not yet started.
    /// A proxy's worker mostly waits on its upstream, so it gets at least 64 of them and a
    /// backlog of 4 per worker: 64 concurrent users are not shed (the API's 4 per core
    /// and backlog of 64 shed a fifth of them with 503s).
    public func server(host: String, port: Int, workerThreads: Int) -> HTTPServer {
        var router = Router()
        install(on: &router)
        let workers = max(64, workerThreads)
        return HTTPServer(
            name: "split",
            configuration: .init(
                host: host, port: port, ioThreads: 2, workerThreads: workers, maxQueuedRequests: 4 * workers),
            router: router, logger: logger, metrics: metrics)
    }

    func install(on router: inout Router) {
        router.add(.GET, "/health", .inline { _ in .text("ok") })
        router.addMetrics(metrics)
        router.add(
            .GET, "/split",
            .inline { [self] _ in
                let now = current
                return .json(
                    SplitBody(
                        model: configuration.model, weight: now.weight, effective_weight: now.effectiveWeight,
                        canary_version: now.canaryVersion, canary_ready: now.canaryReady, shadow: now.shadow))
            })
        router.add(.POST, "/predict", .blocking { [self] request in try forward(request) })
    }

    struct SplitBody: Encodable {
        let model: String, weight: Int, effective_weight: Int, canary_version: Int?, canary_ready: Bool, shadow: Bool
    }

    func forward(_ request: Request) throws -> Response {
        let n = sequence.add(1, ordering: .relaxed).newValue
        let now = current
        let track = Self.isCanary(sequence: n, weight: now.effectiveWeight) ? "canary" : "stable"
        if now.shadow, now.canaryReady, track == "stable" { mirror(request, version: now.canaryVersion) }
        do {
            return try send(request, to: track)
        } catch let error as CurlError where track == "canary" && error.neverSent {
            // Like a proxy's retry on connect failure: the canary never saw the request, stable answers it.
            // The canary still failed it: recorded as its error.
            failed(request, track: "canary", version: now.canaryVersion, status: 502, code: "canary_unreachable")
            logger.warning("the canary is unreachable; sent to stable", ["error": .string("\(error)")])
            do {
                return try send(request, to: "stable")
            } catch {
                throw gatewayError("stable", error, request, version: now.stableVersion)
            }
        } catch {
            throw gatewayError(
                track, error, request, version: track == "canary" ? now.canaryVersion : now.stableVersion)
        }
    }

    /// A track that failed a request it was sent: 504 when it timed out, 502 otherwise; recorded as its error.
    private func gatewayError(_ track: String, _ error: any Error, _ request: Request, version: Int?) -> HTTPError {
        let timedOut = (error as? CurlError)?.isTimeout == true
        let status = timedOut ? 504 : 502
        failed(
            request, track: track, version: version, status: status,
            code: "\(track)_\(timedOut ? "timeout" : "unreachable")")
        return HTTPError(
            status: status, code: timedOut ? "gateway_timeout" : "bad_gateway",
            message: "the \(track) serving process \(timedOut ? "did not answer in time" : "is unreachable"): \(error)")
    }

    private func failed(_ request: Request, track: String, version: Int?, status: Int, code: String) {
        forwarded.labels(track, code.hasSuffix("timeout") ? "timeout" : "unreachable").inc()
        log?.record(
            ServedRequest(
                at: Date(), modelName: configuration.model, modelVersion: version.map(String.init) ?? "", track: track,
                latencyMilliseconds: request.received.duration(to: .now).seconds * 1000, status: status, error: code,
                requestID: request.requestID, source: .split))
    }

    /// Copies a request to the canary in the background, marked `X-Steward-Shadow: 1`:
    /// its answer goes to no one and its failure fails nothing (the canary records what
    /// it answered; the split records a copy it could not deliver). At most
    /// `maxMirrorsInFlight` copies at once; beyond that a copy is dropped and counted.
    private func mirror(_ request: Request, version: Int?) {
        guard mirrorsInFlight.add(1, ordering: .relaxed).newValue <= Self.maxMirrorsInFlight else {
            mirrorsInFlight.subtract(1, ordering: .relaxed)
            mirrored.labels("dropped").inc()
            return
        }
        let body = request.body, requestID = request.requestID, received = request.received
        var copy = ClientRequest(.POST, configuration.canaryURL + "/predict", body: body)
        copy.headers.set("Content-Type", request.headers["Content-Type"] ?? "application/json")
        copy.headers.set("X-Request-ID", requestID)
        copy.headers.set("X-Steward-Shadow", "1")
        let shadowCopy = copy
        mirrors.async { [self] in
            defer { mirrorsInFlight.subtract(1, ordering: .relaxed) }
            do {
                let answer = try client.send(shadowCopy)
                mirrored.labels(String(answer.status)).inc()
            } catch {
                mirrored.labels("unreachable").inc()
                log?.record(
                    ServedRequest(
                        at: Date(), modelName: configuration.model, modelVersion: version.map(String.init) ?? "",
                        track: "canary", latencyMilliseconds: received.duration(to: .now).seconds * 1000, status: 502,
                        error: "canary_unreachable", requestID: requestID, source: .split, shadow: true))
            }
        }
    }

    /// One request to one track's process; its answer passed on as it came.
    private func send(_ request: Request, to track: String) throws -> Response {
        var headers = HTTPHeaders()
        headers.set("Content-Type", request.headers["Content-Type"] ?? "application/json")
        headers.set("X-Request-ID", request.requestID)
        let upstream = try client.send(
            ClientRequest(
                .POST, (track == "canary" ? configuration.canaryURL : configuration.stableURL) + "/predict",
                headers: headers, body: request.body))
        forwarded.labels(track, String(upstream.status)).inc()
        var response = Response(status: upstream.status, body: .bytes(upstream.body))
        for name in ["Content-Type", "Retry-After"] {
            if let value = upstream.headers[name] { response.headers.set(name, value) }
        }
        response.headers.set("X-Steward-Track", track)
        return response
    }

    public func run() throws {
        var problem = RepeatedProblem()
        repeat {
            do {
                let next = try read()
                let previous = state.withLock { value in
                    defer { value = next }
                    return value
                }
                if next.effectiveWeight != previous.effectiveWeight {
                    logger.info(
                        "canary share changed",
                        [
                            "model": .string(configuration.model), "weight": .int(next.effectiveWeight),
                            "canary_version": .string(next.canaryVersion.map(String.init) ?? "none")
                        ])
                }
                problem.clear()
            } catch {
                // The last state stays in force.
                problem.report(error, "cannot read the rollout; keeping the current split", to: logger)
            }
        } while stop.wait(configuration.refresh)
    }

    public func shutdown() { stop.stop() }

    /// The active rollout's weight (a paused rollout keeps its weight) and whether the canary serves its version.
    func read() throws -> State {
        var next = State()
        if let active = try RolloutStore(pool: pool).activeWeight(model: configuration.model) {
            next.weight = active.weight
            next.stableVersion = active.stable
            next.canaryVersion = active.canary
            next.shadow = active.shadow
        }
        if next.weight > 0 || next.shadow, let version = next.canaryVersion {
            struct Ready: Decodable { let version: String }
            let ready = try? probe.send(ClientRequest(.GET, configuration.canaryURL + "/ready"))
            next.canaryReady =
                ready.map { $0.status == 200 && (try? $0.json(Ready.self).version) == String(version) } ?? false
        }
        return next
    }
}
