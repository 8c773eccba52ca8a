import Foundation
import HTTPKit
import Synchronization

/// A Kubernetes `Status` error (or a transport failure) with its reason.
public struct KubernetesError: Error, CustomStringConvertible {
    public let code: Int
    /// `AlreadyExists`, `NotFound`, `Conflict`, `Forbidden`, `Invalid`, `Expired`, `Gone`...
    public let reason: String
    public let message: String
    public var description: String { "Kubernetes API \(code) \(reason): \(message)" }
}

/// Where the API server is and how to authenticate.
public struct KubernetesConfiguration: Sendable {
    public var server: String
    public var caPEM: String?
    public var caFile: String?
    /// A token file is re-read when it changes (projected service-account tokens rotate).
    public var tokenFile: String?
    public var token: String?
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    public var namespace: String

    public init(
        server: String, caPEM: String? = nil, caFile: String? = nil, tokenFile: String? = nil, token: String? = nil,
        clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil, namespace: String
    ) {
        self.server = server
        self.caPEM = caPEM
        self.caFile = caFile
        self.tokenFile = tokenFile
        self.token = token
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.namespace = namespace
    }

    public static let serviceAccount = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// In a pod: KUBERNETES_SERVICE_HOST/PORT, the service account's CA and token.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = serviceAccount
    ) throws -> KubernetesConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"]
        else {
            throw KubernetesError(
                code: 0, reason: "NotInCluster",
                message: "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set")
        }
        let namespace =
            (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "default"
        let formattedHost = host.contains(":") ? "[\(host)]" : host
        return KubernetesConfiguration(
            server: "https://\(formattedHost):\(port)", caFile: "\(directory)/ca.crt",
            tokenFile: "\(directory)/token", namespace: namespace)
    }
}

/// The few Kubernetes API calls the orchestrator makes, over libcurl: create,
/// get, list, delete, merge-patch, server-side apply, watch and pod logs.
/// Retries 429/5xx/timeouts with backoff (honouring Retry-After); 404 and 409
/// come back as `KubernetesError` for the caller to read by meaning.
public final class KubernetesClient: Sendable {
    public let configuration: KubernetesConfiguration
    let http: HTTPClient
    private let tokenCache: TokenFileCache?

    public init(configuration: KubernetesConfiguration, retry: RetryPolicy = RetryPolicy(maxAttempts: 5)) {
        self.configuration = configuration
        let cache = configuration.tokenFile.map(TokenFileCache.init)
        tokenCache = cache
        let fixed = configuration.token
        let bearer: (@Sendable () -> String?)?
        if let cache {
            bearer = { @Sendable in cache.token() }
        } else if let fixed {
            bearer = { @Sendable in fixed }
        } else {
            bearer = nil
        }
        http = HTTPClient(
            configuration: .init(
                baseURL: configuration.server, timeout: .seconds(30), caFile: configuration.caFile,
                caPEM: configuration.caPEM, clientCertificatePEM: configuration.clientCertificatePEM,
                clientKeyPEM: configuration.clientKeyPEM, bearerToken: bearer, retry: retry,
                userAgent: "steward-orchestrator"))
    }

    public var namespace: String { configuration.namespace }

    // MARK: Calls

    public func create(_ path: String, _ object: [String: Any]) throws -> [String: Any] {
        try call(
            ClientRequest(
                .POST, path, headers: ["Content-Type": "application/json"],
                body: try JSONSerialization.data(withJSONObject: object), idempotent: true))
    }

    public func get(_ path: String) throws -> [String: Any] { try call(ClientRequest(.GET, path)) }

    public func list(_ path: String, labelSelector: String? = nil) throws -> [String: Any] {
        var url = path
        if let labelSelector { url += "?labelSelector=" + Self.escape(labelSelector) }
        return try call(ClientRequest(.GET, url))
    }

    /// Deletes with `propagationPolicy: Background` (the Job's pods go too).
    public func delete(_ path: String) throws {
        let body = try JSONSerialization.data(withJSONObject: [
            "kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"
        ])
        _ = try call(ClientRequest(.DELETE, path, headers: ["Content-Type": "application/json"], body: body))
    }

    public func mergePatch(_ path: String, _ patch: [String: Any]) throws -> [String: Any] {
        try call(
            ClientRequest(
                .PATCH, path, headers: ["Content-Type": "application/merge-patch+json"],
                body: try JSONSerialization.data(withJSONObject: patch), idempotent: true))
    }

    /// Server-side apply (JSON is valid YAML), owned by `fieldManager`.
    public func apply(_ path: String, _ object: [String: Any], fieldManager: String = "steward") throws -> [String: Any]
    {
        try call(
            ClientRequest(
                .PATCH, path + "?fieldManager=\(fieldManager)&force=true",
                headers: ["Content-Type": "application/apply-patch+yaml"],
                body: try JSONSerialization.data(withJSONObject: object), idempotent: true))
    }

    public func logs(namespace: String, pod: String, tailLines: Int) throws -> String {
        let response = try http.send(
            ClientRequest(.GET, "/api/v1/namespaces/\(namespace)/pods/\(pod)/log?tailLines=\(tailLines)"))
        guard response.isSuccess else { throw Self.error(response) }
        return response.text
    }

    public enum WatchEvent {
        case added([String: Any]), modified([String: Any]), deleted([String: Any]), bookmark(resourceVersion: String)
    }

    /// Lists, then watches from the list's resourceVersion, resuming after
    /// each stream ends and relisting after 410 Gone, until `onEvent` returns
    /// false or `cancellation` is cancelled. `onList` sees each full list.
    public func watch(
        _ path: String, cancellation: Cancellation, onList: ([[String: Any]]) -> Void,
        onEvent: @escaping (WatchEvent) -> Bool
    ) throws {
        var resourceVersion: String?
        while !cancellation.isCancelled {
            if resourceVersion == nil {
                let listed = try get(path)
                onList(listed["items"] as? [[String: Any]] ?? [])
                resourceVersion = (listed["metadata"] as? [String: Any])?["resourceVersion"] as? String ?? "0"
            }
            var keepGoing = true
            var gone = false
            var request = ClientRequest(
                .GET, path + "?watch=1&allowWatchBookmarks=true&resourceVersion=\(resourceVersion!)",
                timeout: .seconds(3600), streaming: true, cancellation: cancellation)
            request.headers.set("Accept", "application/json")
            let response = try http.streamLines(request) { line in
                guard let data = line.data(using: .utf8),
                    let event = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let type = event["type"] as? String, let object = event["object"] as? [String: Any]
                else { return true }
                let version = (object["metadata"] as? [String: Any])?["resourceVersion"] as? String
                switch type {
                case "ERROR":
                    if (object["code"] as? Int) == 410 {
                        gone = true
                        return false
                    }
                    return true
                case "BOOKMARK":
                    if let version {
                        resourceVersion = version
                        keepGoing = onEvent(.bookmark(resourceVersion: version))
                    }
                case "ADDED":
                    resourceVersion = version ?? resourceVersion
                    keepGoing = onEvent(.added(object))
                case "MODIFIED":
                    resourceVersion = version ?? resourceVersion
                    keepGoing = onEvent(.modified(object))
                case "DELETED":
                    resourceVersion = version ?? resourceVersion
                    keepGoing = onEvent(.deleted(object))
                default: break
                }
                return keepGoing && !cancellation.isCancelled
            }
            if response.status == 410 {
                gone = true
            } else if !response.isSuccess, !cancellation.isCancelled {
                throw Self.error(response)
            }
            if !keepGoing { return }
            if gone { resourceVersion = nil }
        }
    }

    // MARK: Plumbing

    func call(_ request: ClientRequest) throws -> [String: Any] {
        let response = try http.send(request)
        guard response.isSuccess else { throw Self.error(response) }
        if response.body.isEmpty { return [:] }
        return (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]) ?? [:]
    }

    /// A `Status` body as an error; anything else by its HTTP status.
    static func error(_ response: ClientResponse) -> KubernetesError {
        let status = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        return KubernetesError(
            code: response.status, reason: status?["reason"] as? String ?? "HTTP\(response.status)",
            message: status?["message"] as? String ?? String(response.text.prefix(300)))
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }
}

/// A token file, re-read when its modification time changes.
final class TokenFileCache: Sendable {
    let path: String
    private let state = Mutex<(Date?, String?)>((nil, nil))

    init(path: String) { self.path = path }

    func token() -> String? {
        let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        return state.withLock { cached in
            if cached.0 == nil || modified != cached.0 {
                cached = (
                    modified,
                    (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                        in: .whitespacesAndNewlines)
                )
            }
            return cached.1
        }
    }
}
