import Foundation
import HTTPKit
import Synchronization
import Telemetry
import Testing
import TestSupport

@Suite struct ClientTests {
    @Test func idempotentRequestsAreRetriedHonouringRetryAfter() throws {
        let attempts = Atomic<Int>(0)
        let fixture = try LoopbackServer { router in
            router.get("/flaky") { _ in
                if attempts.add(1, ordering: .relaxed).newValue < 3 {
                    throw HTTPError.unavailable("warming up", retryAfterSeconds: 0)
                }
                return .text("ready")
            }
        }
        let client = HTTPClient(
            configuration: .init(baseURL: fixture.base, retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(5)))
        )
        let response = try client.send(ClientRequest(.GET, "/flaky"))
        #expect(response.text == "ready")
        #expect(attempts.load(ordering: .relaxed) == 3)
    }

    @Test func postIsNotRepeatedAfterTheServerSawIt() throws {
        let attempts = Atomic<Int>(0)
        let fixture = try LoopbackServer { router in
            router.post("/create") { _ in
                attempts.add(1, ordering: .relaxed)
                throw HTTPError.unavailable("busy", retryAfterSeconds: 0)
            }
        }
        let client = HTTPClient(
            configuration: .init(baseURL: fixture.base, retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(5)))
        )
        #expect(try client.send(ClientRequest(.POST, "/create", body: Data("{}".utf8))).status == 503)
        #expect(attempts.load(ordering: .relaxed) == 1)
    }

    @Test func connectionRefusedIsRetriedThenReported() throws {
        let client = HTTPClient(
            configuration: .init(
                baseURL: "http://127.0.0.1:1", retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1))))
        let error = #expect(throws: CurlError.self) { try client.send(ClientRequest(.POST, "/x", body: Data())) }
        #expect(error?.neverSent == true)
        #expect(error?.description.contains("POST http://127.0.0.1:1/x") == true)
    }

    @Test func timeoutsAreEnforced() throws {
        let fixture = try LoopbackServer { router in
            router.get("/stall") { _ in
                Thread.sleep(forTimeInterval: 2)
                return .text("late")
            }
        }
        let started = ContinuousClock.now
        let error = #expect(throws: CurlError.self) {
            try fixture.client.send(ClientRequest(.GET, "/stall", timeout: .milliseconds(200)))
        }
        #expect(error?.isTimeout == true)
        #expect(started.duration(to: .now) < .seconds(2))
    }

    @Test func streamingDeliversLinesAsTheyArriveAndStopsOnRequest() throws {
        let fixture = try LoopbackServer { router in
            router.get("/watch") { _ in
                .text((1...100).map { #"{"type":"ADDED","n":\#($0)}"# }.joined(separator: "\n"))
            }
        }
        var lines: [String] = []
        try fixture.client.streamLines(ClientRequest(.GET, "/watch", streaming: true)) { line in
            lines.append(line)
            return true
        }
        #expect(lines.count == 100)
        #expect(lines.last == #"{"type":"ADDED","n":100}"#)
        var firstFive: [String] = []
        try fixture.client.streamLines(ClientRequest(.GET, "/watch", streaming: true)) { line in
            firstFive.append(line)
            return firstFive.count < 5
        }
        #expect(firstFive.count == 5)
    }

    @Test func bearerTokenIsAskedForOnEveryRequest() throws {
        let fixture = try LoopbackServer { router in
            router.get("/whoami") { request in .text(request.bearerToken ?? "none") }
        }
        let token = Mutex("first")
        let client = HTTPClient(configuration: .init(baseURL: fixture.base, bearerToken: { token.withLock { $0 } }))
        #expect(try client.send(ClientRequest(.GET, "/whoami")).text == "first")
        token.withLock { $0 = "rotated" }
        #expect(try client.send(ClientRequest(.GET, "/whoami")).text == "rotated")
    }

    @Test func downloadStreamsToAFile() throws {
        let payload = Data((0..<3_000_000).map { UInt8($0 % 251) })
        let fixture = try LoopbackServer { router in
            router.get("/blob") { _ in Response(body: .bytes(payload)) }
        }
        let target = try TestEnvironment.temporaryDirectory().appendingPathComponent("blob.bin")
        let response = try fixture.client.download(ClientRequest(.GET, "/blob"), to: target)
        #expect(response.status == 200)
        #expect(try Data(contentsOf: target) == payload)
    }
}
