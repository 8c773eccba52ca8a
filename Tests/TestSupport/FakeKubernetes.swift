import Foundation
import HTTPKit
import Synchronization
import Telemetry

/// A Kubernetes API server for tests, over HTTPS with its own CA, holding Jobs
/// and Pods in memory. It enforces what the real one does for the calls Steward
/// makes: bearer auth (401), denied verbs (403), DNS-1123 names (422),
/// AlreadyExists and resourceVersion conflicts (409), NotFound (404), watch
/// from a resourceVersion with bookmarks, and 410 Gone below the compaction
/// point. Job status moves only when the test says so.
public final class FakeKubernetes: @unchecked Sendable {
    public let certificates: TestCertificates
    public let token: String
    public let namespace = "steward"
    private var server: HTTPServer!
    // [String: Any] is not Sendable: plain lock-protected state (the class is @unchecked Sendable).
    private var stateStorage = State()
    private let stateLock = NSLock()
    private let changed = NSCondition()

    struct State {
        var version = 100
        var jobs: [String: [String: Any]] = [:]
        var pods: [String: [String: Any]] = [:]
        var events: [(version: Int, type: String, object: [String: Any])] = []
        var compactedBelow = 0
        var denied: Set<String> = []
        var created: [[String: Any]] = []
        var calls: [String] = []
    }

    public var base: String { "https://127.0.0.1:\(server.port)" }

    public init() throws {
        certificates = try TestCertificates.make()
        token = "fake-sa-token-" + UUID().uuidString
        var router = Router()
        let this = Unmanaged.passUnretained(self)
        let jobs = "/apis/batch/v1/namespaces/{ns}/jobs"
        router.add(.POST, jobs, .blocking { try this.takeUnretainedValue().handle($0, "create", "jobs") })
        router.add(.GET, jobs, .blocking { try this.takeUnretainedValue().handle($0, "list", "jobs") })
        router.add(.GET, jobs + "/{name}", .blocking { try this.takeUnretainedValue().handle($0, "get", "jobs") })
        router.add(.PUT, jobs + "/{name}", .blocking { try this.takeUnretainedValue().handle($0, "update", "jobs") })
        router.add(.DELETE, jobs + "/{name}", .blocking { try this.takeUnretainedValue().handle($0, "delete", "jobs") })
        router.add(
            .GET, "/api/v1/namespaces/{ns}/pods",
            .blocking { try this.takeUnretainedValue().handle($0, "list", "pods") })
        router.add(
            .GET, "/api/v1/namespaces/{ns}/pods/{name}/log",
            .blocking { try this.takeUnretainedValue().handle($0, "get", "pods/log") })
        server = HTTPServer(
            configuration: .init(tls: (certificates.serverCertificatePEM, certificates.serverKeyPEM)), router: router,
            logger: Logger(label: "fake-kubernetes", level: .error))
        try server.start()
    }

    deinit { server?.shutdown() }

    // MARK: Test controls

    /// Makes `verb` on `resource` answer 403, as RBAC would.
    public func deny(_ verb: String, _ resource: String) { withState { _ = $0.denied.insert("\(verb) \(resource)") } }

    public var createdObjects: [[String: Any]] { withState { $0.created } }
    public var jobNames: [String] { withState { Array($0.jobs.keys).sorted() } }
    public var calls: [String] { withState { $0.calls } }

    /// Other changes happened and the history was compacted: a watch from any
    /// version before now gets 410 Gone and must list again.
    public func compact() {
        withState {
            $0.version += 1
            $0.compactedBelow = $0.version
            $0.events.removeAll()
        }
        signal()
    }

    private func withState<T>(_ body: (inout State) throws -> T) rethrows -> T {
        stateLock.lock()
        defer { stateLock.unlock() }
        return try body(&stateStorage)
    }

    private func signal() {
        changed.lock()
        changed.broadcast()
        changed.unlock()
    }

    /// Sets a Job's status (and a pod for it) the way the Job controller would.
    public func setJob(
        _ name: String, active: Int = 0, condition: (type: String, reason: String, message: String)? = nil,
        podState: [String: Any]? = nil, podReason: String? = nil
    ) {
        withState { s in
            guard var job = s.jobs[name] else { return }
            var status: [String: Any] = ["active": active]
            if let condition {
                status["conditions"] = [
                    ["type": condition.type, "status": "True", "reason": condition.reason, "message": condition.message]
                ]
            }
            job["status"] = status
            s.version += 1
            var metadata = job["metadata"] as? [String: Any] ?? [:]
            metadata["resourceVersion"] = String(s.version)
            job["metadata"] = metadata
            s.jobs[name] = job
            s.events.append((s.version, "MODIFIED", job))
            if podState != nil || podReason != nil {
                let podName = "\(name)-abcde"
                var podStatus: [String: Any] = ["phase": podReason == nil ? "Running" : "Failed"]
                if let podReason {
                    podStatus["reason"] = podReason
                    podStatus["message"] = "The node was low on resource: memory."
                }
                if let podState { podStatus["containerStatuses"] = [["name": "train", "state": podState]] }
                s.pods[podName] = [
                    "metadata": ["name": podName, "namespace": namespace, "labels": ["job-name": name]],
                    "status": podStatus
                ]
            }
        }
        signal()
    }

    // MARK: Handling

    static func status(_ code: Int, _ reason: String, _ message: String) -> Response {
        .json(StatusBody(code: code, reason: reason, message: message), status: code)
    }

    struct StatusBody: Encodable {
        let kind = "Status", apiVersion = "v1", status = "Failure"
        let code: Int, reason: String, message: String
    }

    static func json(_ object: [String: Any], status: Int = 200) -> Response {
        Response(
            status: status, headers: ["Content-Type": "application/json"],
            body: .bytes((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
    }

    static let dns1123 = try! NSRegularExpression(pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

    func handle(_ request: Request, _ verb: String, _ resource: String) throws -> Response {
        let query = request.query.keys.sorted().map { "\($0)=\(request.query[$0]!)" }.joined(separator: "&")
        withState { $0.calls.append("\(request.method) \(request.path)" + (query.isEmpty ? "" : "?" + query)) }
        defer { signal() }
        guard request.bearerToken == token else { return Self.status(401, "Unauthorized", "Unauthorized") }
        let ns = try request.parameter("ns")
        let watching = verb == "list" && request.query["watch"] != nil
        if withState({ $0.denied.contains("\(watching ? "watch" : verb) \(resource)") }) {
            return Self.status(
                403, "Forbidden",
                "\(resource) is forbidden: User \"system:serviceaccount:steward:stewardd\" cannot \(verb) resource "
                    + "\"\(resource)\" in API group \"\" in the namespace \"\(ns)\""
            )
        }
        switch (verb, resource) {
        case ("create", "jobs"):
            guard var object = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any],
                var metadata = object["metadata"] as? [String: Any], let name = metadata["name"] as? String
            else {
                return Self.status(400, "BadRequest", "the body is not a Job")
            }
            guard name.count <= 63,
                Self.dns1123.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
            else {
                return Self.status(
                    422, "Invalid",
                    "Job.batch \"\(name)\" is invalid: metadata.name: Invalid value: \"\(name)\": a lowercase RFC "
                        + "1123 label must consist of lower case alphanumeric characters or '-'"
                )
            }
            return withState { s in
                s.created.append(object)
                guard s.jobs[name] == nil else {
                    return Self.status(409, "AlreadyExists", "jobs.batch \"\(name)\" already exists")
                }
                s.version += 1
                metadata["resourceVersion"] = String(s.version)
                metadata["uid"] = UUID().uuidString.lowercased()
                metadata["creationTimestamp"] = ISO8601DateFormatter().string(from: Date())
                object["metadata"] = metadata
                object["status"] = [String: Any]()
                s.jobs[name] = object
                s.events.append((s.version, "ADDED", object))
                return Self.json(object, status: 201)
            }
        case ("get", "jobs"):
            let name = try request.parameter("name")
            return withState { s in
                s.jobs[name].map { Self.json($0) } ?? Self.status(404, "NotFound", "jobs.batch \"\(name)\" not found")
            }
        case ("update", "jobs"):
            let name = try request.parameter("name")
            guard var object = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any],
                var metadata = object["metadata"] as? [String: Any]
            else { return Self.status(400, "BadRequest", "the body is not a Job") }
            return withState { s in
                guard let current = s.jobs[name] else {
                    return Self.status(404, "NotFound", "jobs.batch \"\(name)\" not found")
                }
                let currentVersion = (current["metadata"] as? [String: Any])?["resourceVersion"] as? String
                guard metadata["resourceVersion"] as? String == currentVersion else {
                    return Self.status(
                        409, "Conflict",
                        "Operation cannot be fulfilled on jobs.batch \"\(name)\": the object has been modified; "
                            + "please apply your changes to the latest version and try again"
                    )
                }
                s.version += 1
                metadata["resourceVersion"] = String(s.version)
                object["metadata"] = metadata
                s.jobs[name] = object
                s.events.append((s.version, "MODIFIED", object))
                return Self.json(object)
            }
        case ("delete", "jobs"):
            let name = try request.parameter("name")
            return withState { s in
                guard let object = s.jobs.removeValue(forKey: name) else {
                    return Self.status(404, "NotFound", "jobs.batch \"\(name)\" not found")
                }
                // propagationPolicy Background: the pods go too.
                s.pods = s.pods.filter {
                    (($0.value["metadata"] as? [String: Any])?["labels"] as? [String: String])?["job-name"] != name
                }
                s.version += 1
                s.events.append((s.version, "DELETED", object))
                return Self.json(["kind": "Status", "apiVersion": "v1", "status": "Success"])
            }
        case ("list", "jobs"):
            if watching, let from = Int(request.query["resourceVersion"] ?? "0") {
                // Nothing new yet: hold the watch open a while, as a real server does.
                let deadline = Date().addingTimeInterval(0.5)
                changed.lock()
                while !withState({ s in s.events.contains { $0.version > from } || from < s.compactedBelow }),
                    changed.wait(until: deadline)
                {}
                changed.unlock()
            }
            return withState { s in
                guard watching else {
                    return Self.json([
                        "kind": "JobList", "apiVersion": "batch/v1", "metadata": ["resourceVersion": String(s.version)],
                        "items": s.jobs.keys.sorted().map { s.jobs[$0]! }
                    ])
                }
                // Events after the given version, then a bookmark; the stream then ends
                // (the real server also ends watches; clients resume from the bookmark).
                let from = Int(request.query["resourceVersion"] ?? "0") ?? 0

                var lines: [[String: Any]] = []
                if from < s.compactedBelow {
                    lines.append([
                        "type": "ERROR",
                        "object": [
                            "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410,
                            "reason": "Expired", "message": "too old resource version: \(from)"
                        ]
                    ])
                } else {
                    for event in s.events where event.version > from {
                        lines.append(["type": event.type, "object": event.object])
                    }
                    if request.query["allowWatchBookmarks"] == "true" {
                        lines.append([
                            "type": "BOOKMARK",
                            "object": [
                                "kind": "Job", "apiVersion": "batch/v1",
                                "metadata": ["resourceVersion": String(s.version)]
                            ]
                        ])
                    }
                }
                let text =
                    lines.compactMap { try? JSONSerialization.data(withJSONObject: $0) }.map {
                        String(decoding: $0, as: UTF8.self)
                    }
                    .joined(separator: "\n") + "\n"
                return Response(
                    status: 200, headers: ["Content-Type": "application/json"], body: .bytes(Data(text.utf8)))
            }
        case ("list", "pods"):
            let selector = request.query["labelSelector"] ?? ""
            return withState { s in
                let items = s.pods.values.filter { pod in
                    guard let wanted = selector.split(separator: "=", maxSplits: 1).last,
                        selector.hasPrefix("job-name=")
                    else { return selector.isEmpty }
                    return ((pod["metadata"] as? [String: Any])?["labels"] as? [String: String])?["job-name"]
                        == String(wanted)
                }
                return Self.json([
                    "kind": "PodList", "apiVersion": "v1", "metadata": ["resourceVersion": String(s.version)],
                    "items": items
                ])
            }
        case ("get", "pods/log"):
            let name = try request.parameter("name")
            return withState { s in
                s.pods[name] == nil
                    ? Self.status(404, "NotFound", "pods \"\(name)\" not found")
                    : .text((1...3).map { "log line \($0) of \(name)" }.joined(separator: "\n") + "\n")
            }
        default:
            return Self.status(405, "MethodNotAllowed", "not served")
        }
    }
}
