import CCurl
import Foundation

/// A libcurl easy handle. Used by one thread at a time (the client lends each
/// handle to one request); reused afterwards so connections stay alive.
final class CurlEasy: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    /// curl writes transfer errors here; it must outlive every transfer.
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    init() {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { fatalError("libcurl could not allocate a handle") }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Clears every option (connections and caches stay) and sets the ones every request needs.
    func reset() {
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        steward_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        set(CURLOPT_NOSIGNAL, 1)
    }

    func set(_ option: CURLoption, _ value: Int) { steward_curl_setopt_long(handle, option, value) }
    func set(_ option: CURLoption, _ value: String) { steward_curl_setopt_string(handle, option, value) }
    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) {
        steward_curl_setopt_pointer(handle, option, pointer)
    }
    func set(_ option: CURLoption, blob: String) {
        let bytes = Array(blob.utf8)
        _ = bytes.withUnsafeBytes { steward_curl_setopt_blob(handle, option, $0.baseAddress, $0.count) }
    }

    func perform() -> CURLcode { curl_easy_perform(handle) }

    var responseCode: Int {
        var code = 0
        steward_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    func errorMessage(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }
}

/// A transfer failure below HTTP: connect, TLS, timeout, reset.
public struct CurlError: Error, CustomStringConvertible, Sendable {
    public let code: Int
    public let message: String
    /// What was being fetched: method and URL without its query string.
    public let target: String

    public var description: String { "\(target): \(message) (curl \(code))" }

    public var isTimeout: Bool { code == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }
    /// The request never reached the server, so even a non-idempotent one may be sent again.
    public var neverSent: Bool {
        [CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST].map { Int($0.rawValue) }.contains(code)
    }
    var isTransient: Bool {
        neverSent
            || [CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE]
                .map { Int($0.rawValue) }.contains(code)
    }
}
