import Foundation
import Lifecycle
import Postgres
import Synchronization
import Telemetry

/// What `/ready` answers: whether the database answered its latest probe. The probe
/// runs on its own thread and connection twice a second, so `/ready` answers on
/// the I/O thread from memory: no worker, no pool connection, nothing an overload
/// can queue it behind (a probe that waits behind the load it measures reports the
/// load, and a saturated replica that Kubernetes takes out of its Service only
/// moves the load to the others).
final class DatabaseReadiness: Service, @unchecked Sendable {
    let name = "readiness"
    private let configuration: PostgresConfiguration
    private let stop = StopSignal()
    private let lastSuccess = Mutex<ContinuousClock.Instant?>(nil)
    /// A probe older than this no longer counts (one that hangs past its own timeouts).
    static let staleAfter: Duration = .seconds(2)
    static let interval: Duration = .milliseconds(500)

    init(configuration: PostgresConfiguration) {
        var probe = configuration
        probe.connectTimeoutSeconds = 2
        probe.statementTimeout = .seconds(2)
        self.configuration = probe
    }

    var isReady: Bool {
        lastSuccess.withLock { $0.map { $0.duration(to: .now) < Self.staleAfter } ?? false }
    }

    /// One probe now (also before the server starts, so the first `/ready` is true).
    func probe(_ connection: inout PostgresConnection?) {
        do {
            if connection == nil || connection?.isHealthy == false {
                connection = try PostgresConnection(configuration: configuration)
            }
            _ = try connection?.query("SELECT 1")
            lastSuccess.withLock { $0 = .now }
        } catch {
            // Not ready from the first failed probe on.
            lastSuccess.withLock { $0 = nil }
            connection = nil
        }
    }

    func run() throws {
        var connection: PostgresConnection?
        var probes = 0
        repeat {
            probe(&connection)
            probes += 1
            // Hand freed memory back to the system now and then (see MemoryTrim).
            if probes % 20 == 0 { MemoryTrim.now() }
        } while stop.wait(Self.interval)
    }

    func shutdown() { stop.stop() }
}
