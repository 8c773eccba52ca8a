import Foundation
import Lifecycle
import Postgres
import Synchronization
import Telemetry

/// Leader election over a Postgres session advisory lock held on a dedicated
/// connection. Exactly one replica holds it; the lock vanishes with the
/// connection, so when the leader dies another replica takes over within
/// `retryInterval`. A leader that cannot reach the database stops acting at once.
public final class Leadership: Service, @unchecked Sendable {
    public let name = "leadership"
    private let configuration: PostgresConfiguration
    private let retryInterval: Duration
    private let logger: Logger
    private let leading = Atomic<Bool>(false)
    private let stop = StopSignal()
    static let key = PostgresConnection.advisoryKey("steward-leader")

    public init(configuration: PostgresConfiguration, retryInterval: Duration = .seconds(1), logger: Logger) {
        self.configuration = configuration
        self.retryInterval = retryInterval
        self.logger = logger.labelled("leadership")
    }

    public var isLeader: Bool { leading.load(ordering: .acquiring) }

    public func run() throws {
        var connection: PostgresConnection?
        repeat {
            do {
                if connection == nil { connection = try PostgresConnection(configuration: configuration) }
                guard let held = connection else { continue }
                if isLeader {
                    // Still the leader only while this connection answers.
                    _ = try held.query("SELECT 1")
                } else if try held.tryAdvisoryLock(Self.key) {
                    leading.store(true, ordering: .releasing)
                    logger.info("leading: running the control loops")
                }
            } catch {
                if isLeader { logger.error("lost the database: no longer leading", ["error": .string("\(error)")]) }
                leading.store(false, ordering: .releasing)
                connection = nil
            }
        } while stop.wait(retryInterval)
        leading.store(false, ordering: .releasing)
        connection = nil
    }

    public func shutdown() { stop.stop() }
}
