import CMicroHTTPD
import Foundation
import Lifecycle
import Synchronization
import Telemetry

/// An HTTP/1.1 server over libmicrohttpd.
///
/// I/O runs on MHD's epoll thread pool (`ioThreads`). When a request is complete
/// its connection is suspended and the handler runs on the worker pool (blocking
/// handlers) or is started in place (inline and deferred handlers); the response
/// is queued when the connection resumes. So a slow database call occupies a
/// worker, never an I/O thread, and thousands of idle keep-alive connections cost
/// no threads.
///
/// `shutdown()` stops accepting, lets in-flight requests finish (up to
/// `drainTimeout`; their responses carry `Connection: close`), then stops.
public final class HTTPServer: Service, @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var ioThreads: Int
        public var workerThreads: Int
        /// Blocking requests that may wait for a worker; past it they are answered 503 at once.
        public var maxQueuedRequests: Int
        /// A request that waited this long for a worker is answered 503 instead of run:
        /// its caller has waited long enough, and the work would only deepen the overload.
        public var maxQueueWait: Duration
        public var maxBodyBytes: Int
        public var connectionLimit: Int
        public var idleTimeoutSeconds: Int
        public var uploadDirectory: URL
        public var drainTimeout: Duration
        /// Serve HTTPS with this certificate chain and private key (PEM).
        public var tls: (certificatePEM: String, keyPEM: String)?

        public init(
            host: String = "127.0.0.1", port: Int = 0, ioThreads: Int = 2, workerThreads: Int = 16,
            maxQueuedRequests: Int = 64, maxQueueWait: Duration = .seconds(2), maxBodyBytes: Int = 8 << 20,
            connectionLimit: Int = 4096, idleTimeoutSeconds: Int = 75,
            uploadDirectory: URL = FileManager.default.temporaryDirectory, drainTimeout: Duration = .seconds(10),
            tls: (certificatePEM: String, keyPEM: String)? = nil
        ) {
            self.host = host
            self.port = port
            self.ioThreads = ioThreads
            self.workerThreads = workerThreads
            self.maxQueuedRequests = maxQueuedRequests
            self.maxQueueWait = maxQueueWait
            self.maxBodyBytes = maxBodyBytes
            self.connectionLimit = connectionLimit
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.uploadDirectory = uploadDirectory
            self.drainTimeout = drainTimeout
            self.tls = tls
        }
    }

    public let name: String
    public let configuration: Configuration
    let router: Router
    let logger: Logger
    let metrics: HTTPMetrics?
    let workers: WorkerPool

    private let lifecycle = NSCondition()
    private var daemon: OpaquePointer?
    /// The PEM texts handed to MHD, kept alive as long as the daemon.
    private var tlsMaterial: [UnsafeMutablePointer<CChar>] = []
    private var stopped = false
    private var inFlight = 0
    /// Connections waiting for a handler, so shutdown can answer for handlers
    /// that outlive the drain (MHD must not be stopped with any suspended).
    private var suspended: [ObjectIdentifier: Exchange] = [:]
    let draining = Atomic<Bool>(false)
    public private(set) var port: Int = 0

    public init(
        name: String = "http", configuration: Configuration, router: Router, logger: Logger,
        metrics: MetricsRegistry? = nil
    ) {
        self.name = name
        self.configuration = configuration
        self.router = router
        self.logger = logger.labelled(name)
        self.metrics = metrics.map(HTTPMetrics.init)
        self.workers = WorkerPool(name: "\(name)-worker", threads: configuration.workerThreads)
    }

    /// Binds and starts serving; returns once the port accepts connections.
    public func start() throws {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        guard daemon == nil, !stopped else { return }
        sweepAbandonedUploads()

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(configuration.port).bigEndian)
        guard inet_pton(AF_INET, configuration.host, &address.sin_addr) == 1 else {
            throw HTTPServerError("cannot listen on host \(configuration.host): not an IPv4 address")
        }
        var flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_TURBO.rawValue
        var tlsOptions: [MHD_OptionItem] = []
        if let tls = configuration.tls {
            flags |= MHD_USE_TLS.rawValue
            tlsMaterial = [strdup(tls.certificatePEM), strdup(tls.keyPEM)]
            tlsOptions = [
                steward_mhd_option_pointer(.HTTPS_MEM_CERT, tlsMaterial[0]),
                steward_mhd_option_pointer(.HTTPS_MEM_KEY, tlsMaterial[1])
            ]
        }
        let context = Unmanaged.passUnretained(self).toOpaque()
        let started = withUnsafeMutablePointer(to: &address) { pointer -> OpaquePointer? in
            let options =
                tlsOptions + [
                    steward_mhd_option_uint(.THREAD_POOL_SIZE, UInt32(max(1, configuration.ioThreads))),
                    steward_mhd_option_uint(.CONNECTION_LIMIT, UInt32(configuration.connectionLimit)),
                    steward_mhd_option_uint(.CONNECTION_TIMEOUT, UInt32(configuration.idleTimeoutSeconds)),
                    steward_mhd_option_uint(.LISTEN_BACKLOG_SIZE, 1024),
                    steward_mhd_option_size(.CONNECTION_MEMORY_LIMIT, 128 * 1024),
                    steward_mhd_option_pointer(.SOCK_ADDR, UnsafeMutableRawPointer(pointer)),
                    steward_mhd_option_completed(MHDCallbacks.completed, context),
                    steward_mhd_option_unescape(MHDCallbacks.unescape, nil),
                    steward_mhd_option_end()
                ]
            return options.withUnsafeBufferPointer { items in
                steward_mhd_start(flags, 0, MHDCallbacks.access, context, items.baseAddress)
            }
        }
        guard let started else {
            throw HTTPServerError(
                "cannot listen on \(configuration.host):\(configuration.port) (address in use, or not permitted)")
        }
        daemon = started
        port = Int(steward_mhd_bound_port(started))
        logger.info("listening", ["host": .string(configuration.host), "port": .int(port)])
    }

    /// Deletes upload spool files left by a process that died while receiving them
    /// (SIGKILL, a crash): each live upload holds an exclusive lock on its file, so one
    /// that can be locked here is nobody's. Safe with other servers sharing the directory.
    func sweepAbandonedUploads() {
        let directory = configuration.uploadDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        var removed = 0
        for name in names where name.hasPrefix(".upload-") {
            let path = directory.appendingPathComponent(name).path
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0, unlink(path) == 0 { removed += 1 }
            close(descriptor)
        }
        if removed > 0 { logger.info("removed upload files abandoned by a stopped process", ["count": .int(removed)]) }
    }

    /// Starts (if needed) and blocks until `shutdown()` has finished.
    public func run() throws {
        try start()
        lifecycle.lock()
        while !stopped { lifecycle.wait() }
        lifecycle.unlock()
    }

    public func shutdown() {
        lifecycle.lock()
        guard let daemon, !stopped else {
            stopped = true
            lifecycle.broadcast()
            lifecycle.unlock()
            return
        }
        draining.store(true, ordering: .relaxed)
        let listener = MHD_quiesce_daemon(daemon)
        let deadline = Date().addingTimeInterval(Double(configuration.drainTimeout.components.seconds))
        while inFlight > 0 {
            if !lifecycle.wait(until: deadline) {
                logger.warning("drain timed out; closing the remaining connections", ["in_flight": .int(inFlight)])
                break
            }
        }
        let abandoned = suspended.values.filter {
            $0.resume(
                with: router.errorResponse(
                    for: $0.path, .unavailable("the server is shutting down", retryAfterSeconds: 1)))
        }
        if !abandoned.isEmpty {
            logger.warning("answered requests whose handlers outlived the drain", ["count": .int(abandoned.count)])
        }
        // MHD sends those answers on its own threads; wait until they are written.
        let answerDeadline = Date().addingTimeInterval(2)
        while inFlight > 0, !abandoned.isEmpty, lifecycle.wait(until: answerDeadline) {}
        lifecycle.unlock()

        MHD_stop_daemon(daemon)
        if listener >= 0 { close(listener) }
        // Handlers still running were answered 503 above; their threads are left to finish alone.
        if !workers.shutdown(waitingUntil: Date().addingTimeInterval(0.5)) {
            logger.warning("left handlers running past shutdown")
        }

        lifecycle.lock()
        self.daemon = nil
        stopped = true
        lifecycle.broadcast()
        lifecycle.unlock()
        logger.info("stopped")
    }

    deinit {
        if daemon != nil { shutdown() }
        tlsMaterial.forEach { free($0) }
    }

    func requestStarted() {
        lifecycle.lock()
        inFlight += 1
        lifecycle.unlock()
        metrics?.inFlight.add(1)
    }

    func suspend(_ exchange: Exchange) {
        lifecycle.lock()
        suspended[ObjectIdentifier(exchange)] = exchange
        lifecycle.unlock()
        MHD_suspend_connection(exchange.connection)
    }

    /// Called on the I/O thread once MHD has resumed the connection.
    func resumed(_ exchange: Exchange) {
        lifecycle.lock()
        if suspended.removeValue(forKey: ObjectIdentifier(exchange)) != nil, suspended.isEmpty { lifecycle.broadcast() }
        lifecycle.unlock()
    }

    func requestFinished() {
        lifecycle.lock()
        inFlight -= 1
        if inFlight == 0 { lifecycle.broadcast() }
        lifecycle.unlock()
        metrics?.inFlight.add(-1)
    }
}

public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The server's own metrics: requests by route and status, latency, in flight, shed.
struct HTTPMetrics: Sendable {
    let requests: CounterFamily
    let duration: HistogramFamily
    let inFlight: Gauge
    let shed: CounterFamily

    init(_ registry: MetricsRegistry) {
        shed = registry.counter(
            "steward_http_requests_shed_total",
            help: "Requests answered 503 without running: the worker queue was full, or they waited too long in it.",
            labels: ["reason"])
        requests = registry.counter(
            "steward_http_requests_total", help: "HTTP requests answered, by method, route and status.",
            labels: ["method", "route", "status"])
        duration = registry.histogram(
            "steward_http_request_duration_seconds", help: "Time from request received to response queued.",
            labels: ["route"])
        inFlight = registry.gauge(
            "steward_http_requests_in_flight", help: "Requests being received, handled or answered."
        ).labels()
    }
}
