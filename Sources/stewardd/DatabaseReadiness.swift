import Foundation
import Lifecycle
import Postgres
import Synchronization
import Telemetry

/// What `/ready` answers: whether the database answered a probe lately. The probe
/// runs on its own thread and connection once a second, so `/ready` answers on
/// the I/O thread from memory: no worker, no pool connection, nothing an overload
/// can queue it behind (a probe that waits behind the load it measures reports the
/// load, and a saturated replica that Kubernetes takes out of its Service only
/// moves the load to the others).
final class DatabaseReadiness: Service, @unchecked Sendable {
    let name = "readiness"
    private let configuration: PostgresConfiguration
    private let stop = StopSignal()
    private let lastSuccess = Mutex<ContinuousClock.Instant?>(nil)
    /// A probe older than this no longer counts.
    static let staleAfter: Duration = .seconds(3)

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
            if connection == nil || connection?.isHealthy == false { connection = try PostgresConnection(configuration: configuration) }
            _ = try connection?.query("SELECT 1")
            lastSuccess.withLock { $0 = .now }
        } catch {
            connection = nil
        }
    }

    func run() throws {
        var connection: PostgresConnection?
        repeat { probe(&connection) } while stop.wait(.seconds(1))
    }

    func shutdown() { stop.stop() }
}
