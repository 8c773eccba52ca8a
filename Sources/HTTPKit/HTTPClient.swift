import CCurl
import Foundation
import Synchronization

/// An HTTP client over libcurl for the Kubernetes API, the registry (from the
/// serving binary and the CLI) and webhooks.
///
/// Requests are blocking; run them on threads of your own, never on the Swift
/// concurrency pool. Idempotent requests (and any request whose connection never
/// opened) are retried on transient failures with exponential backoff and full
/// jitter, honouring `Retry-After`. Connections are kept alive between requests.
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable {
        /// Prepended to request paths that do not start with a scheme.
        public var baseURL: String?
        public var timeout: Duration
        public var connectTimeout: Duration
        /// A CA bundle file, or PEM text, to verify the server with (instead of the system's).
        public var caFile: String?
        public var caPEM: String?
        /// A client certificate and key, as PEM text (kubeconfig's client-certificate-data).
        public var clientCertificatePEM: String?
        public var clientKeyPEM: String?
        /// Asked for a token on every attempt, so a rotated token file is picked up.
        public var bearerToken: (@Sendable () -> String?)?
        public var retry: RetryPolicy
        public var userAgent: String

        public init(
            baseURL: String? = nil, timeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(5),
            caFile: String? = nil, caPEM: String? = nil, clientCertificatePEM: String? = nil,
            clientKeyPEM: String? = nil,
            bearerToken: (@Sendable () -> String?)? = nil, retry: RetryPolicy = RetryPolicy(),
            userAgent: String = "steward"
        ) {
            self.baseURL = baseURL
            self.timeout = timeout
            self.connectTimeout = connectTimeout
            self.caFile = caFile
            self.caPEM = caPEM
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
            self.bearerToken = bearerToken
            self.retry = retry
            self.userAgent = userAgent
        }
    }

    public let configuration: Configuration
    private let idleHandles = Mutex<[CurlEasy]>([])

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Sends a request and reads the whole response body into memory.
    public func send(_ request: ClientRequest) throws -> ClientResponse {
        try withRetries(request) { easy in
            let sink = TransferSink(mode: .buffer)
            let status = try transfer(request, easy, sink)
            return ClientResponse(status: status, headers: sink.headers, body: sink.data)
        }
    }

    /// Streams the response body line by line (a Kubernetes watch, a log tail)
    /// until the server ends it or `onLine` returns false. Not retried: a watch
    /// resumes from its own bookmark, which only the caller knows.
    @discardableResult
    public func streamLines(_ request: ClientRequest, onLine: @escaping (String) -> Bool) throws -> ClientResponse {
        let easy = borrow()
        defer { giveBack(easy) }
        let sink = TransferSink(mode: .lines(onLine))
        let status = try transfer(request, easy, sink)
        sink.flushLastLine()
        return ClientResponse(status: status, headers: sink.headers, body: status >= 300 ? sink.data : Data())
    }

    /// Streams the response body to a file (a model artifact) without holding it in memory.
    /// Returns the response, whose body is empty unless the status is an error.
    public func download(_ request: ClientRequest, to file: URL) throws -> ClientResponse {
        try withRetries(request) { easy in
            let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw CurlError(
                    code: -1, message: "cannot write \(file.path): \(String(cString: strerror(errno)))",
                    target: target(request))
            }
            defer { close(descriptor) }
            let sink = TransferSink(mode: .file(descriptor))
            let status = try transfer(request, easy, sink)
            return ClientResponse(status: status, headers: sink.headers, body: sink.data)
        }
    }

    // MARK: - retries

    private func withRetries(
        _ request: ClientRequest, _ attempt: (CurlEasy) throws -> ClientResponse
    ) throws -> ClientResponse {
        let policy = configuration.retry
        var tries = 0
        while true {
            tries += 1
            let easy = borrow()
            let outcome = Result { try attempt(easy) }
            giveBack(easy)
            let canRepeat = request.isIdempotent
            switch outcome {
            case .success(let response):
                guard canRepeat, tries < policy.maxAttempts, policy.retryableStatuses.contains(response.status) else {
                    return response
                }
                Thread.sleep(forTimeInterval: policy.delay(attempt: tries, retryAfter: response.headers["Retry-After"]))
            case .failure(let error as CurlError):
                guard tries < policy.maxAttempts, error.isTransient, canRepeat || error.neverSent else { throw error }
                Thread.sleep(forTimeInterval: policy.delay(attempt: tries, retryAfter: nil))
            case .failure(let error):
                throw error
            }
        }
    }

    private func borrow() -> CurlEasy {
        idleHandles.withLock { $0.popLast() } ?? CurlEasy()
    }

    private func giveBack(_ easy: CurlEasy) {
        idleHandles.withLock { if $0.count < 8 { $0.append(easy) } }
    }

    // MARK: - one transfer

    private func transfer(_ request: ClientRequest, _ easy: CurlEasy, _ sink: TransferSink) throws -> Int {
        easy.reset()
        let url = resolve(request.url)
        easy.set(CURLOPT_URL, url)
        easy.set(CURLOPT_USERAGENT, configuration.userAgent)
        easy.set(CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout.milliseconds))
        if let timeout = request.timeout ?? (request.streaming ? nil : configuration.timeout) {
            easy.set(CURLOPT_TIMEOUT_MS, Int(timeout.milliseconds))
        }
        if let caFile = configuration.caFile { easy.set(CURLOPT_CAINFO, caFile) }
        if let caPEM = configuration.caPEM { easy.set(CURLOPT_CAINFO_BLOB, blob: caPEM) }
        if let certificate = configuration.clientCertificatePEM, let key = configuration.clientKeyPEM {
            easy.set(CURLOPT_SSLCERTTYPE, "PEM")
            easy.set(CURLOPT_SSLCERT_BLOB, blob: certificate)
            easy.set(CURLOPT_SSLKEYTYPE, "PEM")
            easy.set(CURLOPT_SSLKEY_BLOB, blob: key)
        }

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        func header(_ line: String) { headerList = curl_slist_append(headerList, line) }
        header("Expect:")
        for (name, value) in request.headers { header("\(name): \(value)") }
        if request.headers["Authorization"] == nil, let token = configuration.bearerToken?() {
            header("Authorization: Bearer \(token)")
        }

        var upload: UnsafeMutablePointer<FILE>?
        defer { if let upload { fclose(upload) } }
        switch request.method {
        case .GET: break
        case .HEAD: easy.set(CURLOPT_NOBODY, 1)
        default: easy.set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        if let file = request.bodyFile {
            guard let opened = fopen(file.path, "rb") else {
                throw CurlError(code: -1, message: "cannot read \(file.path)", target: target(request))
            }
            upload = opened
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            easy.set(CURLOPT_UPLOAD, 1)
            easy.set(CURLOPT_READDATA, pointer: UnsafeMutableRawPointer(opened))
            steward_curl_setopt_off(easy.handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(size))
            if request.method != .PUT { easy.set(CURLOPT_CUSTOMREQUEST, request.method.rawValue) }
        } else if let body = request.body {
            steward_curl_setopt_off(easy.handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies; a zero-length body still needs a valid pointer.
                let pointer = bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                steward_curl_setopt_pointer(
                    easy.handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: pointer))
            }
        }
        easy.set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(headerList))

        let context = Unmanaged.passUnretained(sink).toOpaque()
        steward_curl_setopt_write(easy.handle, CURLOPT_WRITEFUNCTION, TransferSink.writeBody)
        easy.set(CURLOPT_WRITEDATA, pointer: context)
        steward_curl_setopt_write(easy.handle, CURLOPT_HEADERFUNCTION, TransferSink.writeHeader)
        easy.set(CURLOPT_HEADERDATA, pointer: context)
        if let cancellation = request.cancellation {
            easy.set(CURLOPT_NOPROGRESS, 0)
            steward_curl_setopt_xferinfo(easy.handle, Cancellation.progress)
            easy.set(CURLOPT_XFERINFODATA, pointer: Unmanaged.passUnretained(cancellation).toOpaque())
        }

        let code = withExtendedLifetime(sink) { easy.perform() }
        if code == CURLE_OK || (code == CURLE_WRITE_ERROR && sink.stoppedByConsumer) {
            return easy.responseCode
        }
        if code == CURLE_ABORTED_BY_CALLBACK, request.cancellation?.isCancelled == true {
            throw CancellationError()
        }
        throw CurlError(code: Int(code.rawValue), message: easy.errorMessage(code), target: target(request))
    }

    /// Method and absolute URL without its query string, for errors.
    private func target(_ request: ClientRequest) -> String {
        let url = resolve(request.url)
        return "\(request.method) \(url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url)"
    }

    private func resolve(_ url: String) -> String {
        if url.hasPrefix("http://") || url.hasPrefix("https://") { return url }
        guard let base = configuration.baseURL else { return url }
        return base.hasSuffix("/") && url.hasPrefix("/") ? base + url.dropFirst() : base + url
    }
}

public struct ClientRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    public var headers: HTTPHeaders
    public var body: Data?
    public var bodyFile: URL?
    /// Overrides the client's timeout; streams have none unless given here.
    public var timeout: Duration?
    public var streaming: Bool
    /// Whether retries may send it again; by default, what the method says.
    public var idempotent: Bool?
    public var cancellation: Cancellation?

    public init(
        _ method: HTTPMethod, _ url: String, headers: HTTPHeaders = HTTPHeaders(), body: Data? = nil,
        bodyFile: URL? = nil, timeout: Duration? = nil, streaming: Bool = false, idempotent: Bool? = nil,
        cancellation: Cancellation? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
        self.timeout = timeout
        self.streaming = streaming
        self.idempotent = idempotent
        self.cancellation = cancellation
    }

    public static func json<T: Encodable>(
        _ method: HTTPMethod, _ url: String, _ value: T, headers: HTTPHeaders = HTTPHeaders()
    ) throws -> ClientRequest {
        var all = headers
        all.set("Content-Type", "application/json")
        return ClientRequest(method, url, headers: all, body: try JSON.encoder.encode(value))
    }

    var isIdempotent: Bool { idempotent ?? method.isIdempotent }
}

public struct ClientResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: Data

    public var isSuccess: Bool { (200..<300).contains(status) }

    public func json<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: body)
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The response itself when it is a 2xx; otherwise an error naming the
    /// status and the server's message (`{"error": {"message": ...}}` when given).
    public func success() throws -> ClientResponse {
        guard !isSuccess else { return self }
        throw HTTPStatusError(status: status, message: Self.message(in: body) ?? String(text.prefix(300)))
    }

    static func message(in body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
        return object["message"] as? String
    }
}

/// A request that got a non-2xx answer.
public struct HTTPStatusError: Error, CustomStringConvertible {
    public let status: Int
    public let message: String
    public var description: String { "HTTP \(status): \(message)" }
}

/// Lets another thread abort a transfer in progress (a watch being stopped).
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    static let progress: curl_xferinfo_callback = { context, _, _, _, _ in
        guard let context else { return 0 }
        return Unmanaged<Cancellation>.fromOpaque(context).takeUnretainedValue().isCancelled ? 1 : 0
    }
}

public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var retryableStatuses: Set<Int>

    public init(
        maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(5),
        retryableStatuses: Set<Int> = [429, 500, 502, 503, 504]
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.retryableStatuses = retryableStatuses
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// Seconds to wait before the next attempt: the server's `Retry-After` when it
    /// gave one (capped), otherwise exponential backoff with full jitter.
    public func delay(attempt: Int, retryAfter: String?) -> Double {
        let cap = maxDelay.milliseconds / 1000
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return min(seconds, cap * 6)
        }
        let exponential = min(cap, baseDelay.milliseconds / 1000 * pow(2, Double(attempt - 1)))
        return Double.random(in: 0...exponential)
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
