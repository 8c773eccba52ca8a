import Foundation
import Testing
import Telemetry
import TestSupport

@Suite struct MetricsTests {
    @Test func expositionFollowsTheTextFormat() throws {
        let registry = MetricsRegistry()
        let requests = registry.counter("demo_requests_total", help: "Requests by status.", labels: ["status"])
        requests.labels("200").inc()
        requests.labels("200").inc(2)
        requests.labels("5\"0\\0\n").inc()
        registry.gauge("demo_queue_depth", help: "Queued items.").set(7)
        let latency = registry.histogram("demo_latency_seconds", help: "Latency.", labels: ["route"], buckets: [0.1, 1])
        latency.labels("/a").observe(0.05)
        latency.labels("/a").observe(0.5)
        latency.labels("/a").observe(5)

        let text = registry.exposition()
        #expect(text.contains("# TYPE demo_requests_total counter\n"))
        #expect(text.contains(#"demo_requests_total{status="200"} 3"#))
        #expect(text.contains(#"demo_requests_total{status="5\"0\\0\n"} 1"#))
        #expect(text.contains("demo_queue_depth 7"))
        #expect(text.contains(#"demo_latency_seconds_bucket{route="/a",le="0.1"} 1"#))
        #expect(text.contains(#"demo_latency_seconds_bucket{route="/a",le="1"} 2"#))
        #expect(text.contains(#"demo_latency_seconds_bucket{route="/a",le="+Inf"} 3"#))
        #expect(text.contains(#"demo_latency_seconds_count{route="/a"} 3"#))
        #expect(text.contains(#"demo_latency_seconds_sum{route="/a"} 5.55"#))

        // Prometheus' own checker accepts it.
        let file = try TestEnvironment.temporaryDirectory().appendingPathComponent("metrics.prom")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let check = try Subprocess.run("/bin/sh", ["-c", "exec promtool check metrics < \"$0\"", file.path])
        #expect(check.status == 0, "promtool: \(check.stdout) \(check.stderr)")
    }

    @Test func collectorsRunBeforeEachExposition() {
        let registry = MetricsRegistry()
        let gauge = registry.gauge("demo_pool_idle", help: "Idle connections.")
        let calls = Counter()
        registry.addCollector {
            calls.inc()
            gauge.set(calls.value * 10)
        }
        #expect(registry.exposition().contains("demo_pool_idle 10"))
        #expect(registry.exposition().contains("demo_pool_idle 20"))
    }

    @Test func countersAreSafeUnderConcurrency() {
        let registry = MetricsRegistry()
        let family = registry.counter("demo_hits_total", help: "Hits.", labels: ["worker"])
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            for _ in 0..<10_000 { family.labels(String(index % 2)).inc() }
        }
        #expect(family.labels("0").value + family.labels("1").value == 80_000)
    }
}

@Suite struct LoggerTests {
    @Test func linesAreOneJSONObjectWithLevelAndFields() throws {
        let sink = LogSink.capturing()
        let logger = Logger(label: "test", level: .info, sink: sink).with(["run_id": "r1"])
        logger.debug("hidden")
        logger.info("hello \"world\"\n", ["count": 3, "ratio": 0.5, "ok": true])
        logger.labelled("child").error("failed")
        let lines = sink.lines
        #expect(lines.count == 2)
        let first = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["level"] as? String == "info")
        #expect(first["logger"] as? String == "test")
        #expect(first["msg"] as? String == "hello \"world\"\n")
        #expect(first["run_id"] as? String == "r1")
        #expect(first["count"] as? Int == 3)
        #expect(first["ok"] as? Bool == true)
        #expect((first["ts"] as? String)?.hasSuffix("Z") == true)
        #expect(!lines[0].contains("\n"))
        let second = try #require(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["logger"] as? String == "child")
        #expect(second["level"] as? String == "error")
    }
}
