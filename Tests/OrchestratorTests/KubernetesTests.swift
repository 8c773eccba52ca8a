import Foundation
import HTTPKit
@testable import Orchestrator
import Synchronization
import Testing
import TestSupport

/// The Kubernetes client and executor against a fake API server that enforces
/// the real one's rules; every object sent is validated with kubernetes-validate.
@Suite struct KubernetesTests {
    static func setUp() throws -> (FakeKubernetes, KubernetesExecutor, KubernetesClient) {
        let fake = try FakeKubernetes()
        let tokenFile = try TestEnvironment.temporaryDirectory("sa").appendingPathComponent("token")
        try fake.token.write(to: tokenFile, atomically: true, encoding: .utf8)
        let client = KubernetesClient(
            configuration: .init(
                server: fake.base, caFile: fake.certificates.caFile.path, tokenFile: tokenFile.path,
                namespace: fake.namespace), retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(5)))
        return (
            fake, KubernetesExecutor(client: client, template: .init(image: "registry.invalid/steward/training:1")),
            client
        )
    }

    static func job(_ id: String = "0123456789abcdef0123456789abcdef") -> TrainingJob {
        TrainingJob(
            runID: id, modelName: "sentiment",
            environment: [
                "MLFLOW_RUN_ID": id, "MLFLOW_TRACKING_URI": "http://stewardd:8080",
                "MLFLOW_TRACKING_TOKEN": "never-inline", "STEWARD_BASE_MODEL": "tiny"
            ])
    }

    @Test func aJobIsCreatedOnceAndFollowedToCompletion() throws {
        let (fake, executor, _) = try Self.setUp()
        let job = Self.job()
        try executor.submit(job)
        try executor.submit(job)  // a retried submission: AlreadyExists is success
        #expect(fake.jobNames == ["steward-train-0123456789abcdef0123456789abcdef"])
        #expect(fake.calls.filter { $0.hasPrefix("POST") }.count == 2)
        let sent = try #require(fake.createdObjects.first)
        let text = String(
            decoding: try JSONSerialization.data(withJSONObject: sent, options: [.withoutEscapingSlashes]),
            as: UTF8.self)
        #expect(
            text.contains("\"nvidia.com/gpu\":\"1\"") && text.contains("\"steward.dev/pool\":\"gpu\"")
                && text.contains("secretKeyRef"))
        #expect(!text.contains("never-inline"))
        #expect(try executor.state(of: job) == .pending)
        fake.setJob(job.name, active: 1, podState: ["running": ["startedAt": "2026-11-26T00:00:00Z"]])
        #expect(try executor.state(of: job) == .running)
        fake.setJob(job.name, condition: ("Complete", "Completed", ""))
        #expect(try executor.state(of: job) == .succeeded)
        #expect(try executor.logs(of: job, tail: 10).contains("log line 3"))
        try executor.cancel(job)
        try executor.cancel(job)  // already gone: fine
        #expect(try executor.state(of: job) == .missing)
    }

    @Test func failuresCarryTheirReason() throws {
        let (fake, executor, _) = try Self.setUp()
        let cases: [(String, () -> Void, String)] = [
            (
                "a1",
                {
                    fake.setJob(
                        Self.job("a1").name, active: 1,
                        podState: ["waiting": ["reason": "ImagePullBackOff", "message": "pull access denied"]])
                }, "ImagePullBackOff: pull access denied"
            ),
            (
                "a2",
                {
                    fake.setJob(
                        Self.job("a2").name,
                        condition: ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                        podState: ["terminated": ["reason": "OOMKilled", "exitCode": 137]])
                }, "BackoffLimitExceeded: OOMKilled: exit code 137"
            ),
            (
                "a3",
                {
                    fake.setJob(
                        Self.job("a3").name,
                        condition: ("Failed", "DeadlineExceeded", "Job was active longer than specified deadline"))
                },
                "deadline exceeded: Job was active longer than specified deadline"
            ),
            (
                "a4",
                {
                    fake.setJob(
                        Self.job("a4").name, condition: ("Failed", "BackoffLimitExceeded", ""), podReason: "Evicted")
                },
                "BackoffLimitExceeded: Evicted: The node was low on resource: memory."
            )
        ]
        for (id, drive, reason) in cases {
            try executor.submit(Self.job(id))
            drive()
            #expect(try executor.state(of: Self.job(id)) == .failed(reason: reason))
        }
    }

    @Test func statusErrorsAreReadByMeaning() throws {
        let (fake, executor, client) = try Self.setUp()
        let wrong = KubernetesClient(
            configuration: .init(
                server: fake.base, caPEM: fake.certificates.caPEM, token: "nope", namespace: fake.namespace),
            retry: .none)
        #expect { try wrong.get("/apis/batch/v1/namespaces/steward/jobs") } throws: {
            ($0 as? KubernetesError)?.code == 401
        }
        let bad = ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "Not_A_Name"]] as [String: Any]
        #expect { try client.create("/apis/batch/v1/namespaces/steward/jobs", bad) } throws: {
            ($0 as? KubernetesError)?.reason == "Invalid"
        }
        try executor.submit(Self.job())
        let path = "/apis/batch/v1/namespaces/steward/jobs/\(Self.job().name)"
        var stale = try client.get(path)
        fake.setJob(Self.job().name, active: 1)
        var metadata = stale["metadata"] as! [String: Any]
        metadata["labels"] = ["changed": "yes"]
        stale["metadata"] = metadata
        #expect {
            try client.call(
                ClientRequest(
                    .PUT, path, headers: ["Content-Type": "application/json"],
                    body: try JSONSerialization.data(withJSONObject: stale)))
        } throws: {
            ($0 as? KubernetesError)?.reason == "Conflict"
        }
        fake.deny("create", "jobs")
        #expect { try executor.submit(Self.job("b1")) } throws: { ($0 as? KubernetesError)?.code == 403 }
    }

    @Test func watchResumesFromBookmarksAndRelistsAfterGone() throws {
        let (fake, executor, client) = try Self.setUp()
        try executor.submit(Self.job("w1"))
        let seen = Mutex<[String]>([])
        let lists = Mutex<Int>(0)
        let cancellation = Cancellation()
        let done = DispatchSemaphore(value: 0)
        Thread {
            try? client.watch(
                "/apis/batch/v1/namespaces/steward/jobs", cancellation: cancellation,
                onList: { items in
                    lists.withLock { $0 += 1 }
                    seen.withLock {
                        $0 += items.compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }.map {
                            "list:\($0)"
                        }
                    }
                }
            ) { event in
                if case .added(let object) = event,
                    let name = (object["metadata"] as? [String: Any])?["name"] as? String
                {
                    seen.withLock { $0.append("added:\(name)") }
                }
                return true
            }
            done.signal()
        }.start()
        try eventually("the initial list") { lists.withLock { $0 } == 1 }
        try executor.submit(Self.job("w2"))
        try eventually("w2 through the watch") { seen.withLock { $0.contains("added:steward-train-w2") } }
        fake.compact()
        try eventually("a relist after 410 Gone") { lists.withLock { $0 } >= 2 }
        try executor.submit(Self.job("w3"))
        try eventually("w3 through the resumed watch") { seen.withLock { $0.contains("added:steward-train-w3") } }
        cancellation.cancel()
        done.wait()
        #expect(seen.withLock { $0 }.first == "list:steward-train-w1")
        #expect(fake.calls.contains { $0.contains("allowWatchBookmarks") })
    }

    @Test func everyObjectSentPassesKubernetesValidate() throws {
        let (fake, executor, _) = try Self.setUp()
        try executor.submit(Self.job())
        let directory = try TestEnvironment.temporaryDirectory("k8s-objects")
        var files: [String] = []
        for (index, object) in fake.createdObjects.enumerated() {
            let file = directory.appendingPathComponent("object-\(index).json")
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: file)
            files.append(file.path)
        }
        let tool = TestEnvironment.repositoryRoot.appendingPathComponent(".steward/venv-tools/bin/kubernetes-validate")
            .path
        let result = try Subprocess.run(tool, ["--strict", "-k", "1.32"] + files)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    }
}
