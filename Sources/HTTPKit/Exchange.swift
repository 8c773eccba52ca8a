import CMicroHTTPD
import Foundation
import Synchronization

/// One request and its response, from the first MHD callback to the completion
/// notice. Owned by MHD's per-request pointer (retained there, released on
/// completion). Its fields are written on the I/O thread before the handler is
/// dispatched and only read afterwards; the response crosses threads through a
/// lock, and MHD's suspend/resume orders the hand-off.
final class Exchange: @unchecked Sendable {
    let connection: OpaquePointer
    let method: HTTPMethod
    let path: String
    let started = ContinuousClock.now
    var headers = HTTPHeaders()
    var query: [String: String] = [:]
    var queryValues: [String: [String]] = [:]
    var requestID = ""
    var match: Router.Match = .notFound
    var routePattern = "unmatched"
    var bodyLimit: Int
    var body = Data()
    var receivedBytes = 0
    var upload: (descriptor: Int32, url: URL)?
    var rejection: HTTPError?
    var dispatched = false
    var status = 0
    /// Metrics recorded and upload removed (on the I/O thread that queued or finished it).
    var accounted = false
    private let pending = Mutex<Response?>(nil)
    /// Set by whoever resumes the suspended connection first: the handler with
    /// its answer, or shutdown with a 503 for a handler that outlived the drain.
    private let resumeClaimed = Atomic<Bool>(false)

    init(connection: OpaquePointer, method: HTTPMethod, path: String, bodyLimit: Int) {
        self.connection = connection
        self.method = method
        self.path = path
        self.bodyLimit = bodyLimit
    }

    func takeResponse() -> Response? {
        pending.withLock { value in
            defer { value = nil }
            return value
        }
    }

    /// Hands the response to MHD by resuming the connection, once; a later call
    /// (a handler finishing after shutdown answered for it) does nothing, since
    /// the connection may be gone by then.
    @discardableResult
    func resume(with response: Response) -> Bool {
        guard !resumeClaimed.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        pending.withLock { $0 = response }
        MHD_resume_connection(connection)
        return true
    }

    /// Appends a body chunk, to memory or to the upload file; false once over the limit.
    func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        receivedBytes += bytes.count
        guard receivedBytes <= bodyLimit else { return false }
        if let upload {
            var offset = 0
            while offset < bytes.count {
                let n = write(upload.descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
        } else {
            body.append(bytes.bindMemory(to: UInt8.self))
        }
        return true
    }

    /// Removes the upload file (unless the handler moved it) and closes it, which
    /// releases its lock. The descriptor stays open until then, so a file in the
    /// upload directory that no process holds locked is a crashed process's leftover.
    func discardUpload() {
        guard let upload, upload.descriptor >= 0 else { return }
        unlink(upload.url.path)
        close(upload.descriptor)
        self.upload = (-1, upload.url)
    }
}

/// Answers a deferred request from any thread, exactly once. A responder dropped
/// without answering sends a 500 so no connection hangs.
public final class Responder: @unchecked Sendable {
    private let exchange: Exchange
    private unowned let server: HTTPServer
    private let answered = Atomic<Bool>(false)

    init(exchange: Exchange, server: HTTPServer) {
        self.exchange = exchange
        self.server = server
    }

    public var requestID: String { exchange.requestID }

    public func send(_ response: Response) {
        guard !answered.exchange(true, ordering: .acquiringAndReleasing) else { return }
        exchange.resume(with: response)
    }

    /// Sends the error response for `error` in the route's error shape.
    public func fail(_ error: any Error) {
        send(server.response(for: error, exchange: exchange))
    }

    deinit {
        if !answered.load(ordering: .acquiring) {
            send(server.router.errorResponse(for: exchange.path, .internalError))
        }
    }
}
