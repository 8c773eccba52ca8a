import CMicroHTTPD
import Foundation
import Lifecycle
import Telemetry

/// libmicrohttpd's C callbacks. They are static members (not top-level closures
/// in a main file) so they carry no actor isolation when MHD calls them from its
/// own threads.
enum MHDCallbacks {
    static let access: MHD_AccessHandlerCallback = {
        cls, connection, url, method, _, uploadData, uploadDataSize, perRequest in
        guard let cls, let connection, let url, let method, let uploadDataSize, let perRequest else { return .NO }
        let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
        if let existing = perRequest.pointee {
            let exchange = Unmanaged<Exchange>.fromOpaque(existing).takeUnretainedValue()
            return server.continueExchange(exchange, uploadData, uploadDataSize)
        }
        let exchange = server.beginExchange(connection, path: String(cString: url), method: String(cString: method))
        perRequest.pointee = Unmanaged.passRetained(exchange).toOpaque()
        if let rejection = exchange.rejection {
            return server.queue(server.router.errorResponse(for: exchange.path, rejection), on: exchange)
        }
        return .YES
    }

    /// Percent-decoding in place, as MHD's own, except that an encoded NUL
    /// becomes DEL (0x7F): a C string would end at the NUL and hide the rest of
    /// the path; DEL is a control character that handlers refuse.
    static let unescape:
        @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafeMutablePointer<CChar>?) -> Int = { _, _, text in
            guard let text else { return 0 }
            func hex(_ c: CChar) -> UInt8? {
                switch UInt8(bitPattern: c) {
                case 0x30...0x39: UInt8(bitPattern: c) - 0x30
                case 0x41...0x46: UInt8(bitPattern: c) - 0x41 + 10
                case 0x61...0x66: UInt8(bitPattern: c) - 0x61 + 10
                default: nil
                }
            }
            var read = 0, write = 0
            while text[read] != 0 {
                if text[read] == 0x25, let high = hex(text[read + 1]), let low = hex(text[read + 2]) {
                    let byte = high << 4 | low
                    text[write] = CChar(bitPattern: byte == 0 ? 0x7F : byte)
                    read += 3
                } else {
                    text[write] = text[read]
                    read += 1
                }
                write += 1
            }
            text[write] = 0
            return write
        }

    static let completed: MHD_RequestCompletedCallback = { cls, _, perRequest, _ in
        guard let cls, let perRequest, let pointer = perRequest.pointee else { return }
        perRequest.pointee = nil
        let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
        let exchange = Unmanaged<Exchange>.fromOpaque(pointer).takeRetainedValue()
        server.finishExchange(exchange)
    }

    static let collectHeader: MHD_KeyValueIterator = { cls, _, key, value in
        guard let cls, let key else { return .YES }
        let exchange = Unmanaged<Exchange>.fromOpaque(cls).takeUnretainedValue()
        exchange.headers.add(String(cString: key), value.map { String(cString: $0) } ?? "")
        return .YES
    }

    static let collectQuery: MHD_KeyValueIterator = { cls, _, key, value in
        guard let cls, let key else { return .YES }
        let exchange = Unmanaged<Exchange>.fromOpaque(cls).takeUnretainedValue()
        let name = String(cString: key)
        let text = value.map { String(cString: $0) } ?? ""
        if exchange.query[name] == nil { exchange.query[name] = text }
        exchange.queryValues[name, default: []].append(text)
        return .YES
    }
}

extension HTTPServer {
    /// First callback: headers are in, the body (if any) has not been read.
    func beginExchange(_ connection: OpaquePointer, path: String, method: String) -> Exchange {
        requestStarted()
        let exchange = Exchange(
            connection: connection, method: HTTPMethod(rawValue: method), path: path,
            bodyLimit: configuration.maxBodyBytes)
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        MHD_get_connection_values(connection, .HEADER_KIND, MHDCallbacks.collectHeader, context)
        MHD_get_connection_values(connection, .GET_ARGUMENT_KIND, MHDCallbacks.collectQuery, context)
        exchange.requestID = RequestID.accept(exchange.headers["X-Request-Id"])

        exchange.match = router.match(exchange.method, path)
        switch exchange.match {
        case .notFound:
            exchange.rejection = .notFound("no route for \(method) \(path)")
        case .methodNotAllowed(let allowed):
            exchange.rejection = .methodNotAllowed(exchange.method, allowed: allowed)
        case .found(let route, _):
            exchange.routePattern = route.pattern
            if let limit = route.options.maxBodyBytes { exchange.bodyLimit = limit }
            if let declared = exchange.headers["Content-Length"].flatMap(Int.init), declared > exchange.bodyLimit {
                exchange.rejection = .payloadTooLarge(limit: exchange.bodyLimit)
            } else if route.options.streamsBodyToFile {
                let url = configuration.uploadDirectory.appendingPathComponent(
                    ".upload-\(exchange.requestID)-\(UUID().uuidString.prefix(8))")
                let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                // Held until the exchange ends: a file nobody holds is a dead process's (see sweepAbandonedUploads).
                if descriptor >= 0 { flock(descriptor, LOCK_EX | LOCK_NB) }
                if descriptor < 0 {
                    logger.error("cannot create an upload file", ["path": .string(url.path), "errno": .int(Int(errno))])
                    exchange.rejection = .internalError
                } else {
                    exchange.upload = (descriptor, url)
                }
            }
        }
        return exchange
    }

    /// Later callbacks: body chunks, then the end of the body, then (after a
    /// resume) the moment to queue the response.
    func continueExchange(
        _ exchange: Exchange, _ data: UnsafePointer<CChar>?, _ size: UnsafeMutablePointer<Int>
    ) -> MHD_Result {
        if size.pointee > 0 {
            if exchange.rejection == nil, let data {
                if !exchange.receive(UnsafeRawBufferPointer(start: data, count: size.pointee)) {
                    exchange.rejection = .payloadTooLarge(limit: exchange.bodyLimit)
                    exchange.body = Data()
                    exchange.discardUpload()
                }
            }
            size.pointee = 0
            return .YES
        }
        if let response = exchange.takeResponse() {
            resumed(exchange)
            return queue(response, on: exchange)
        }
        if exchange.dispatched { return .YES }
        exchange.dispatched = true
        if let rejection = exchange.rejection {
            return queue(router.errorResponse(for: exchange.path, rejection), on: exchange)
        }
        guard case .found(let route, let parameters) = exchange.match else { return .NO }
        var incoming = Request(
            method: exchange.method, path: exchange.path, query: exchange.query, queryValues: exchange.queryValues,
            headers: exchange.headers,
            body: exchange.body, bodyFile: exchange.upload?.url, requestID: exchange.requestID)
        incoming.pathParameters = parameters
        incoming.route = route.pattern
        incoming.received = exchange.started
        let request = incoming
        exchange.body = Data()

        switch route.handler {
        case .inline(let handle):
            return queue(respond(request, exchange, handle), on: exchange)
        case .blocking(let handle):
            suspend(exchange)
            let queued = ContinuousClock.now
            let accepted = workers.submit(
                { [self] in
                    if queued.duration(to: .now) > configuration.maxQueueWait {
                        exchange.resume(with: shed(exchange, reason: "queue_timeout"))
                    } else {
                        exchange.resume(with: respond(request, exchange, handle))
                    }
                }, unlessBacklogReaches: configuration.maxQueuedRequests)
            if !accepted { exchange.resume(with: shed(exchange, reason: "queue_full")) }
        case .deferred(let handle):
            suspend(exchange)
            handle(request, Responder(exchange: exchange, server: self))
        }
        return .YES
    }

    /// The answer to a request refused for overload, at once and without running it.
    private func shed(_ exchange: Exchange, reason: String) -> Response {
        metrics?.shed.labels(reason).inc()
        return router.errorResponse(
            for: exchange.path, .unavailable("the server is overloaded; retry shortly", retryAfterSeconds: 1))
    }

    private func respond(_ request: Request, _ exchange: Exchange, _ handle: (Request) throws -> Response) -> Response {
        do {
            return try handle(request)
        } catch {
            return response(for: error, exchange: exchange)
        }
    }

    /// Any error as a response: HTTPErrors as they are, decoding errors as 400,
    /// anything else as a 500 whose body says nothing of the cause (it is logged).
    func response(for error: any Error, exchange: Exchange) -> Response {
        let httpError: HTTPError
        switch error {
        case let error as HTTPError:
            httpError = error
        case let error as DecodingError:
            httpError = .badRequest(JSON.describe(error), code: "invalid_json")
        default:
            logger.error(
                "handler failed",
                [
                    "request_id": .string(exchange.requestID), "route": .string(exchange.routePattern),
                    "error": .string(String(describing: error))
                ])
            httpError = .internalError
        }
        return router.errorResponse(for: exchange.path, httpError)
    }

    func queue(_ response: Response, on exchange: Exchange) -> MHD_Result {
        exchange.status = response.status
        let made: OpaquePointer?
        switch response.body {
        case .bytes(let data):
            made = data.withUnsafeBytes { bytes in
                MHD_create_response_from_buffer(
                    bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
            }
        case .file(let path, let size):
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            made = descriptor < 0 ? nil : MHD_create_response_from_fd64(UInt64(size), descriptor)
            if made == nil, descriptor >= 0 { close(descriptor) }
        }
        guard let made else {
            exchange.status = 500
            logger.error("cannot build a response", ["request_id": .string(exchange.requestID)])
            return .NO
        }
        defer { MHD_destroy_response(made) }
        for (name, value) in response.headers { MHD_add_response_header(made, name, value) }
        MHD_add_response_header(made, "X-Request-Id", exchange.requestID)
        if draining.load(ordering: .relaxed) { MHD_add_response_header(made, "Connection", "close") }
        // Account before queueing, so a client that has its answer also sees it counted.
        account(exchange)
        return MHD_queue_response(exchange.connection, UInt32(response.status), made)
    }

    /// Completion notice: the response went out or the connection closed.
    func finishExchange(_ exchange: Exchange) {
        account(exchange)
        requestFinished()
    }

    /// Records the exchange's metrics and removes its upload, once.
    private func account(_ exchange: Exchange) {
        guard !exchange.accounted else { return }
        exchange.accounted = true
        exchange.discardUpload()
        let seconds = exchange.started.duration(to: .now).seconds
        if let metrics {
            let status = exchange.status == 0 ? "aborted" : String(exchange.status)
            metrics.requests.labels(exchange.method.rawValue, exchange.routePattern, status).inc()
            metrics.duration.labels(exchange.routePattern).observe(seconds)
        }
        if logger.level <= .debug {
            logger.debug(
                "request",
                [
                    "request_id": .string(exchange.requestID), "method": .string(exchange.method.rawValue),
                    "route": .string(exchange.routePattern), "status": .int(exchange.status),
                    "ms": .double((seconds * 1_000_000).rounded() / 1000)
                ])
        }
    }
}
