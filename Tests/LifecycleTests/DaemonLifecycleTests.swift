import Foundation
import HTTPKit
import Lifecycle
import Synchronization
import Testing
import TestSupport

@Suite struct EnvironmentReaderTests {
    @Test func typedValuesAndOneLineErrorsNamingTheVariable() throws {
        let env = EnvironmentReader(["PORT": "8080", "BAD": "80x", "FLAG": "yes", "EMPTY": "  "])
        #expect(try env.int("PORT", default: 1, range: 1...65535) == 8080)
        #expect(try env.int("MISSING", default: 7, range: 1...10) == 7)
        #expect(try env.bool("FLAG", default: false))
        #expect(env.optional("EMPTY") == nil)
        #expect(throws: ConfigurationError("BAD", "must be an integer in 1...65535")) {
            try env.int("BAD", default: 1, range: 1...65535)
        }
        #expect(throws: ConfigurationError.self) { try env.required("EMPTY", hint: "x") }
    }

    @Test func secretsComeFromFilesWithoutEchoingTheValue() throws {
        let file = try TestEnvironment.temporaryDirectory().appendingPathComponent("token")
        try "s3cret-value\n".write(to: file, atomically: true, encoding: .utf8)
        let env = EnvironmentReader(["TOKEN_FILE": file.path, "OTHER_FILE": "/nonexistent/x"])
        #expect(try env.secret("TOKEN") == "s3cret-value")
        do {
            _ = try env.secret("OTHER")
            Issue.record("expected an error")
        } catch {
            #expect(error.variable == "OTHER_FILE")
            #expect(!error.description.contains("s3cret"))
        }
    }
}

@Suite struct DaemonLifecycleTests {
    /// Waits until the daemon reports at least `count` requests in flight
    /// (the metrics request itself is one of them).
    private func waitForInFlight(_ daemon: DaemonProcess, atLeast count: Int) throws {
        let client = daemon.client()
        for _ in 0..<500 {
            let text = try client.send(ClientRequest(.GET, "/metrics")).text
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("steward_http_requests_in_flight ") }
            ),
                let value = Double(line.split(separator: " ")[1]), Int(value) >= count
            {
                return
            }
        }
        throw TestSupportError("the slow request never showed as in flight")
    }

    @Test func sigtermAnswersTheInFlightRequestThenExitsZero() throws {
        let daemon = try DaemonProcess(environment: ["STEWARD_DEBUG_ROUTES": "1"])
        #expect(try daemon.client().send(ClientRequest(.GET, "/ready")).status == 200)
        let answer = Mutex<Result<ClientResponse, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let client = daemon.client()
        Thread {
            answer.withLock { $0 = Result { try client.send(ClientRequest(.GET, "/debug/sleep?ms=800")) } }
            done.signal()
        }.start()
        try waitForInFlight(daemon, atLeast: 2)
        daemon.process.signal(SIGTERM)
        done.wait()
        let response = try #require(try answer.withLock { try $0?.get() })
        #expect(response.status == 200)
        #expect(response.text == "slept 800")
        #expect(daemon.process.waitForExit(timeout: 10) == 0)
        #expect(daemon.process.standardError.contains("stopping on signal"))
    }

    @Test func aSecondSignalExitsAtOnce() throws {
        let daemon = try DaemonProcess(environment: ["STEWARD_DEBUG_ROUTES": "1"])
        let client = daemon.client()
        Thread { _ = try? client.send(ClientRequest(.GET, "/debug/sleep?ms=60000")) }.start()
        try waitForInFlight(daemon, atLeast: 2)
        daemon.process.signal(SIGTERM)
        try daemon.process.waitForLine { $0.contains("stopping on signal") }
        daemon.process.signal(SIGINT)
        // Well before the 60 s request or the 10 s drain could end on their own.
        #expect(daemon.process.waitForExit(timeout: 8) == 128 + SIGINT)
    }

    @Test func aBadSettingStopsStartupWithOneLineNamingIt() throws {
        let result = try Subprocess.run(
            try TestEnvironment.binary("stewardd").path, [],
            environment: [
                "STEWARD_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                "STEWARD_HTTP_PORT": "eighty"
            ])
        #expect(result.status == 2)
        #expect(result.stderr == "stewardd: STEWARD_HTTP_PORT: must be an integer in 0...65535\n")
        let unreachable = try Subprocess.run(
            try TestEnvironment.binary("stewardd").path, [],
            environment: ["STEWARD_DATABASE_URL": "postgresql://nobody:hunter2@127.0.0.1:1/none"])
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains("cannot prepare the database"))
        #expect(!unreachable.stderr.contains("hunter2"))
    }
}
