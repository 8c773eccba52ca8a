/// A long-lived part of a process: an HTTP server, a control loop, a log writer.
///
/// `run()` blocks on the calling thread until the service stops, and throws if
/// it fails. `shutdown()` asks it to stop gracefully (drain, flush) and may be
/// called from any thread, more than once, before or during `run()`; after it
/// returns, `run()` returns soon.
public protocol Service: AnyObject, Sendable {
    var name: String { get }
    func run() throws
    func shutdown()
}
