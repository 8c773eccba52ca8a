import Foundation
import HTTPKit
import Synchronization
import Telemetry
import Testing
import TestSupport

struct Echo: Codable, Equatable {
    let name: String
    let count: Int
}

struct LeakyError: Error, CustomStringConvertible {
    var description: String { "database password is hunter2-secret" }
}

/// A server on a loopback port for one test, stopped on deinit.
final class LoopbackServer: @unchecked Sendable {
    let server: HTTPServer
    let client: HTTPClient
    let metrics = MetricsRegistry()
    var base: String { "http://127.0.0.1:\(server.port)" }

    init(
        maxBodyBytes: Int = 1024, drainTimeout: Duration = .seconds(5), tls: TestCertificates? = nil,
        workers: Int = 16, maxQueued: Int = 64, maxQueueWait: Duration = .seconds(2),
        configure: (inout Router) -> Void
    ) throws {
        var router = Router()
        configure(&router)
        let configuration = HTTPServer.Configuration(
            workerThreads: workers, maxQueuedRequests: maxQueued, maxQueueWait: maxQueueWait,
            maxBodyBytes: maxBodyBytes, drainTimeout: drainTimeout,
            tls: tls.map { ($0.serverCertificatePEM, $0.serverKeyPEM) })
        server = HTTPServer(
            configuration: configuration, router: router, logger: Logger(label: "test", level: .error), metrics: metrics
        )
        try server.start()
        client = HTTPClient(
            configuration: .init(
                baseURL: "http\(tls == nil ? "" : "s")://127.0.0.1:\(server.port)",
                caPEM: tls?.caPEM, retry: .none))
    }

    deinit { server.shutdown() }
}

@Suite struct ServerTests {
    static func standardRoutes(_ router: inout Router) {
        router.add(.GET, "/health", .inline { _ in .text("ok") })
        router.post("/echo") { request in .json(try request.json(Echo.self)) }
        router.get("/items/{id}") { request in .json(["id": try request.parameter("id"), "q": request.query["q"] ?? ""])
        }
        router.get("/boom") { _ in throw LeakyError() }
        router.get("/teapot") { _ in throw HTTPError(status: 418, code: "teapot", message: "short and stout") }
        router.add(
            .GET, "/later",
            .deferred { request, responder in
                DispatchQueue.global().async { responder.send(.text("later \(request.requestID)")) }
            })
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let code: String
            let message: String
        }
        let error: Detail
    }

    func errorBody(_ response: ClientResponse) throws -> ErrorBody.Detail {
        #expect(response.headers["Content-Type"] == "application/json")
        return try response.json(ErrorBody.self).error
    }

    @Test func jsonRoundTripAndPathParameters() throws {
        let fixture = try LoopbackServer(configure: Self.standardRoutes)
        let echoed = try fixture.client.send(.json(.POST, "/echo", Echo(name: "ünï 🙂", count: 3)))
        #expect(echoed.status == 200)
        #expect(try echoed.json(Echo.self) == Echo(name: "ünï 🙂", count: 3))
        let item = try fixture.client.send(ClientRequest(.GET, "/items/abc-1?q=hello%20world"))
        #expect(try item.json([String: String].self) == ["id": "abc-1", "q": "hello world"])
    }

    @Test func errorsHaveOneShapeAndTheRightStatus() throws {
        let fixture = try LoopbackServer(configure: Self.standardRoutes)
        let cases: [(ClientRequest, Int, String)] = [
            (ClientRequest(.GET, "/nowhere"), 404, "not_found"),
            (ClientRequest(.DELETE, "/echo"), 405, "method_not_allowed"),
            (ClientRequest(.POST, "/echo", body: Data("{not json".utf8)), 400, "invalid_json"),
            (ClientRequest(.POST, "/echo", body: Data(#"{"name": 5, "count": 1}"#.utf8)), 400, "invalid_json"),
            (ClientRequest(.POST, "/echo", body: Data(#"{"count": 1}"#.utf8)), 400, "invalid_json"),
            (ClientRequest(.POST, "/echo", body: Data(repeating: 0x20, count: 4096)), 413, "payload_too_large"),
            (ClientRequest(.GET, "/teapot"), 418, "teapot")
        ]
        for (request, status, code) in cases {
            let response = try fixture.client.send(request)
            #expect(response.status == status, "\(request.method) \(request.url)")
            #expect(try errorBody(response).code == code, "\(request.method) \(request.url)")
        }
        let wrongMethod = try fixture.client.send(ClientRequest(.DELETE, "/echo"))
        #expect(wrongMethod.headers["Allow"] == "POST")
        let wrongType = try errorBody(
            try fixture.client.send(ClientRequest(.POST, "/echo", body: Data(#"{"name": 5, "count": 1}"#.utf8))))
        #expect(wrongType.message == "field 'name': expected a string")
        let missing = try errorBody(
            try fixture.client.send(ClientRequest(.POST, "/echo", body: Data(#"{"count": 1}"#.utf8))))
        #expect(missing.message == "missing field 'name'")
    }

    @Test func chunkedBodyOverTheLimitIs413() throws {
        let fixture = try LoopbackServer(configure: Self.standardRoutes)
        // Without Content-Length the limit is enforced while reading.
        var headers = HTTPHeaders()
        headers.add("Transfer-Encoding", "chunked")
        let file = try TestEnvironment.temporaryDirectory().appendingPathComponent("big.json")
        try Data(repeating: 0x20, count: 10_000).write(to: file)
        let response = try fixture.client.send(ClientRequest(.POST, "/echo", headers: headers, bodyFile: file))
        #expect(response.status == 413)
        #expect(try errorBody(response).code == "payload_too_large")
    }

    @Test func aThrowingHandlerGives500WithoutTheCause() throws {
        let fixture = try LoopbackServer(configure: Self.standardRoutes)
        let response = try fixture.client.send(ClientRequest(.GET, "/boom"))
        #expect(response.status == 500)
        #expect(try errorBody(response).code == "internal")
        #expect(!response.text.contains("hunter2"))
        #expect(!response.text.contains("LeakyError"))
    }

    @Test func requestIdsAreEchoedOrMade() throws {
        let fixture = try LoopbackServer(configure: Self.standardRoutes)
        let given = try fixture.client.send(ClientRequest(.GET, "/health", headers: ["X-Request-Id": "abc-123"]))
        #expect(given.headers["X-Request-Id"] == "abc-123")
        let hostile = try fixture.client.send(
            ClientRequest(.GET, "/health", headers: ["X-Request-Id": "bad id\" with spaces"]))
        #expect(hostile.headers["X-Request-Id"]?.count == 16)
        let deferred = try fixture.client.send(ClientRequest(.GET, "/later", headers: ["X-Request-Id": "r-9"]))
        #expect(deferred.text == "later r-9")
    }

    @Test func sixtyFourConcurrentKeepAliveClients() throws {
        let fixture = try LoopbackServer(configure: Self.standardRoutes)
        let ok = Atomic<Int>(0)
        let clients = (0..<64).map { _ in HTTPClient(configuration: .init(baseURL: fixture.base, retry: .none)) }
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            for round in 0..<40 {
                let response = try? clients[index].send(.json(.POST, "/echo", Echo(name: "c\(index)", count: round)))
                if response?.status == 200, (try? response?.json(Echo.self)) == Echo(name: "c\(index)", count: round) {
                    ok.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(ok.load(ordering: .relaxed) == 64 * 40)
        let exposition = fixture.metrics.exposition()
        #expect(exposition.contains(#"steward_http_requests_total{method="POST",route="/echo",status="200"} 2560"#))
    }

    @Test func streamedUploadLandsInAFileThatIsCleanedUp() throws {
        let seen = Mutex<(String, String)?>(nil)
        let fixture = try LoopbackServer(maxBodyBytes: 1024) { router in
            router.add(
                .PUT, "/upload/{name...}", options: RouteOptions(maxBodyBytes: 4 << 20, streamsBodyToFile: true),
                .blocking { request in
                    let file = try #require(request.bodyFile)
                    let content = try String(contentsOf: file, encoding: .utf8)
                    seen.withLock { $0 = (file.path, content) }
                    return .json(["bytes": content.utf8.count])
                })
        }
        let payload = String(repeating: "0123456789", count: 200_000)
        let source = try TestEnvironment.temporaryDirectory().appendingPathComponent("payload.txt")
        try payload.write(to: source, atomically: true, encoding: .utf8)
        let response = try fixture.client.send(ClientRequest(.PUT, "/upload/a/b.txt", bodyFile: source))
        #expect(response.status == 200)
        #expect(try response.json([String: Int].self) == ["bytes": 2_000_000])
        let (path, content) = try #require(seen.withLock { $0 })
        #expect(content == payload)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func shutdownDrainsInFlightRequestsAndRefusesNewOnes() throws {
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let fixture = try LoopbackServer(drainTimeout: .seconds(5)) { router in
            router.get("/slow") { _ in
                entered.signal()
                release.wait()
                return .text("finished")
            }
            router.get("/quick") { _ in .text("quick") }
        }
        let result = Mutex<ClientResponse?>(nil)
        let caller = Thread { result.withLock { $0 = try? fixture.client.send(ClientRequest(.GET, "/slow")) } }
        caller.start()
        entered.wait()
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            fixture.server.shutdown()
            stopped.signal()
        }.start()
        // New connections are refused once the listener is closed.
        var refused = false
        for _ in 0..<200 where !refused {
            let fresh = HTTPClient(configuration: .init(baseURL: fixture.base, timeout: .seconds(1), retry: .none))
            refused = (try? fresh.send(ClientRequest(.GET, "/quick", timeout: .milliseconds(300)))) == nil
        }
        #expect(refused)
        #expect(stopped.wait(timeout: .now() + 0.2) == .timedOut)
        release.signal()
        #expect(stopped.wait(timeout: .now() + 5) == .success)
        let answered = try #require(result.withLock { $0 })
        #expect(answered.status == 200)
        #expect(answered.text == "finished")
        #expect(answered.headers["Connection"]?.lowercased() == "close")
    }

    @Test func aHandlerOutlivingTheDrainIsAnswered503AndStopStillCompletes() throws {
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let fixture = try LoopbackServer(drainTimeout: .seconds(1)) { router in
            router.get("/stuck") { _ in
                entered.signal()
                release.wait()
                return .text("too late")
            }
        }
        let result = Mutex<Result<ClientResponse, any Error>?>(nil)
        let answered = DispatchSemaphore(value: 0)
        let caller = Thread {
            result.withLock { $0 = Result { try fixture.client.send(ClientRequest(.GET, "/stuck")) } }
            answered.signal()
        }
        caller.start()
        entered.wait()
        fixture.server.shutdown()
        release.signal()
        answered.wait()
        #expect(try result.withLock { try $0?.get().status } == 503)
    }

    @Test func httpsWithACustomCA() throws {
        let certificates = try TestCertificates.make()
        let fixture = try LoopbackServer(tls: certificates, configure: Self.standardRoutes)
        #expect(try fixture.client.send(ClientRequest(.GET, "/health")).text == "ok")
        let fromFile = HTTPClient(
            configuration: .init(
                baseURL: "https://127.0.0.1:\(fixture.server.port)",
                caFile: certificates.caFile.path, retry: .none))
        #expect(try fromFile.send(ClientRequest(.GET, "/health")).status == 200)
        // Without the CA the server is not trusted.
        let untrusting = HTTPClient(
            configuration: .init(baseURL: "https://127.0.0.1:\(fixture.server.port)", retry: .none))
        #expect(throws: CurlError.self) { try untrusting.send(ClientRequest(.GET, "/health")) }
    }

    /// One worker, busy; one request waiting for it: a third is refused at once with
    /// 503 and Retry-After, and inline routes (probes) answer meanwhile.
    @Test func aFullWorkerQueueAnswers503AtOnceAndProbesStillAnswer() throws {
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let fixture = try LoopbackServer(workers: 1, maxQueued: 1) { router in
            router.add(.GET, "/health", .inline { _ in .text("ok") })
            router.get("/busy") { _ in
                entered.signal()
                release.wait()
                return .text("done")
            }
        }
        let results = Mutex<[Int]>([])
        let finished = DispatchSemaphore(value: 0)
        func call() {
            Thread {
                let status = (try? fixture.client.send(ClientRequest(.GET, "/busy")).status) ?? -1
                results.withLock { $0.append(status) }
                finished.signal()
            }.start()
        }
        call()
        entered.wait()
        call()
        // The second is queued once two requests are in flight.
        let inFlight = "steward_http_requests_in_flight 2"
        while !fixture.metrics.exposition().contains(inFlight) { usleep(1000) }
        let refused = try fixture.client.send(ClientRequest(.GET, "/busy"))
        #expect(refused.status == 503)
        #expect(refused.headers["Retry-After"] == "1")
        #expect(try errorBody(refused).code == "unavailable")
        #expect(try fixture.client.send(ClientRequest(.GET, "/health")).status == 200)
        release.signal()
        entered.wait()
        release.signal()
        finished.wait()
        finished.wait()
        #expect(results.withLock { $0 } == [200, 200])
        #expect(fixture.metrics.exposition().contains(#"steward_http_requests_shed_total{reason="queue_full"} 1"#))
    }

    /// A request that waited for a worker longer than the limit is answered 503 without running.
    @Test func aRequestThatWaitedTooLongIsShedWithoutRunning() throws {
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let ran = Mutex(0)
        let fixture = try LoopbackServer(workers: 1, maxQueueWait: .milliseconds(50)) { router in
            router.get("/busy") { _ in
                ran.withLock { $0 += 1 }
                entered.signal()
                release.wait()
                return .text("done")
            }
        }
        let first = Mutex<Int?>(nil)
        let firstDone = DispatchSemaphore(value: 0)
        Thread {
            first.withLock { $0 = try? fixture.client.send(ClientRequest(.GET, "/busy")).status }
            firstDone.signal()
        }.start()
        entered.wait()
        let second = Mutex<ClientResponse?>(nil)
        let secondDone = DispatchSemaphore(value: 0)
        Thread {
            second.withLock { $0 = try? fixture.client.send(ClientRequest(.GET, "/busy")) }
            secondDone.signal()
        }.start()
        while !fixture.metrics.exposition().contains("steward_http_requests_in_flight 2") { usleep(1000) }
        // The policy under test is about elapsed time: let the queued request outwait the limit.
        let queuedLongEnough = ContinuousClock.now + .milliseconds(100)
        while ContinuousClock.now < queuedLongEnough { usleep(5000) }
        release.signal()
        firstDone.wait()
        secondDone.wait()
        #expect(first.withLock { $0 } == 200)
        #expect(second.withLock { $0?.status } == 503)
        #expect(ran.withLock { $0 } == 1)
        #expect(fixture.metrics.exposition().contains(#"steward_http_requests_shed_total{reason="queue_timeout"} 1"#))
    }
}
