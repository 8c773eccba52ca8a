import Foundation
import Synchronization

/// Runs the training entry point as a child process (embedded mode), in its
/// own process group so cancel stops the whole tree; stdout and stderr go to
/// `<logs>/<job>.log`. Jobs live in this process's memory: after a restart of
/// `stewardd` a job it no longer knows is `missing` (its run is failed by the
/// reconciler), and leftover children are stopped at shutdown.
public final class LocalExecutor: Executor, @unchecked Sendable {
    public let kind = "local"
    private let command: [String]
    private let workingDirectory: URL
    private let logs: URL
    private let baseEnvironment: [String: String]
    private let children = Mutex<[String: Child]>([:])

    final class Child: @unchecked Sendable {
        let pid: pid_t
        let exit = Mutex<Int32?>(nil)
        init(pid: pid_t) { self.pid = pid }
    }

    /// `command` is the entry point, e.g. `[".steward/venv/bin/python", "-m", "steward_training.entrypoint"]`.
    public init(command: [String], workingDirectory: URL, logs: URL, baseEnvironment: [String: String]) throws {
        self.command = command
        self.workingDirectory = workingDirectory
        self.logs = logs
        self.baseEnvironment = baseEnvironment
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
    }

    public func logFile(_ job: TrainingJob) -> URL { logs.appendingPathComponent("\(job.name).log") }

    public func submit(_ job: TrainingJob) throws {
        if children.withLock({ $0[job.name] }) != nil { return }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(baseEnvironment) { _, new in new }
        environment.merge(job.environment) { _, new in new }
        let log = open(logFile(job).path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw ExecutorError("cannot open the log \(logFile(job).path)") }
        defer { close(log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, log, 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (cancel kills the tree) and default signal handling
        // (stewardd blocks SIGTERM/SIGINT in its threads; the child must not inherit that).
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // posix_spawn has no chdir action everywhere: a shell changes directory, then execs.
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", workingDirectory.path] + command
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, cArgs, cEnv)
        guard status == 0 else {
            throw ExecutorError("cannot start the training entry point: \(String(cString: strerror(status)))")
        }
        let child = Child(pid: pid)
        children.withLock { $0[job.name] = child }
        let reaper = Thread {
            var raw: Int32 = 0
            while waitpid(child.pid, &raw, 0) < 0, errno == EINTR {}
            let code = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            child.exit.withLock { $0 = code }
        }
        reaper.name = "reaper-\(job.name)"
        reaper.start()
    }

    public func state(of job: TrainingJob) throws -> JobState {
        guard let child = children.withLock({ $0[job.name] }) else { return .missing }
        switch child.exit.withLock({ $0 }) {
        case nil: return .running
        case 0: return .succeeded
        case let code?:
            return .failed(
                reason: Self.lastError(in: logFile(job)) ?? "the training process exited with status \(code)")
        }
    }

    /// The entry point's one-line error (`steward-training: error: ...`), if it wrote one.
    static func lastError(in log: URL) -> String? {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last { $0.hasPrefix("steward-training: error:") }
            .map { String($0.dropFirst("steward-training: error:".count)).trimmingCharacters(in: .whitespaces) }
    }

    public func cancel(_ job: TrainingJob) throws {
        guard let child = children.withLock({ $0[job.name] }), child.exit.withLock({ $0 }) == nil else { return }
        kill(-child.pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while child.exit.withLock({ $0 }) == nil, Date() < deadline { usleep(20_000) }
        if child.exit.withLock({ $0 }) == nil { kill(-child.pid, SIGKILL) }
    }

    public func logs(of job: TrainingJob, tail: Int) throws -> String {
        guard let text = try? String(contentsOf: logFile(job), encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(tail).joined(separator: "\n")
    }

    /// Stops every child still running (stewardd is shutting down).
    public func stopAll() {
        for child in children.withLock({ Array($0.values) }) where child.exit.withLock({ $0 }) == nil {
            kill(-child.pid, SIGTERM)
        }
    }
}

public struct ExecutorError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
