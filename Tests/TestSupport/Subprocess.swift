import Foundation
import Synchronization

/// A child process for tests, over `posix_spawn` and `waitpid` (Foundation's
/// `Process` can hang in `waitUntilExit` when several threads spawn at once).
/// Either run a command to completion, or keep a server running while its
/// output is collected.
public final class Subprocess: @unchecked Sendable {
    public let executable: URL
    public let arguments: [String]
    private let environment: [String: String]
    private let currentDirectory: URL?
    public private(set) var pid: pid_t = 0
    private let state = Mutex<(stdout: Data, stderr: Data, exitStatus: Int32?)>((Data(), Data(), nil))
    private let changed = NSCondition()
    private var readers: [Thread] = []

    public init(
        _ executable: URL, _ arguments: [String] = [], environment: [String: String] = [:],
        inheritEnvironment: Bool = true, currentDirectory: URL? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        var env = inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        env.merge(environment) { _, new in new }
        self.environment = env
        self.currentDirectory = currentDirectory
    }

    public func start() throws {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw TestSupportError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        // posix_spawn has no portable chdir action: let a shell change directory, then exec.
        let command =
            currentDirectory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0.path, executable.path] }
            ?? [executable.path]
        let argv = (command + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        let status = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard status == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw TestSupportError("cannot start \(executable.path): \(String(cString: strerror(status)))")
        }
        readers = [reader(outPipe[0], isError: false), reader(errPipe[0], isError: true)]
        readers.forEach { $0.start() }
        let waiter = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            readers.forEach { while !$0.isFinished { usleep(1000) } }
            let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            state.withLock { $0.exitStatus = code }
            changed.lock()
            changed.broadcast()
            changed.unlock()
        }
        waiter.start()
    }

    private func reader(_ fd: Int32, isError: Bool) -> Thread {
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                state.withLock {
                    if isError {
                        $0.stderr.append(contentsOf: buffer[0..<n])
                    } else {
                        $0.stdout.append(contentsOf: buffer[0..<n])
                    }
                }
                changed.lock()
                changed.broadcast()
                changed.unlock()
            }
            close(fd)
        }
    }

    public var standardOutput: String { String(decoding: state.withLock { $0.stdout }, as: UTF8.self) }
    public var standardError: String { String(decoding: state.withLock { $0.stderr }, as: UTF8.self) }
    public var exitStatus: Int32? { state.withLock { $0.exitStatus } }
    public var isRunning: Bool { pid != 0 && exitStatus == nil }

    /// Waits until stdout or stderr holds a line for which `predicate` is true.
    @discardableResult
    public func waitForLine(timeout: TimeInterval = 30, where predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while true {
            let text = standardOutput + "\n" + standardError
            if let line = text.split(separator: "\n").map(String.init).first(where: predicate) { return line }
            if let status = exitStatus {
                throw TestSupportError(
                    "\(executable.lastPathComponent) exited (\(status)) before the expected line; stderr: "
                        + "\(standardError.suffix(3000))"
                )
            }
            if Date() >= deadline {
                throw TestSupportError(
                    "timed out waiting for a line from \(executable.lastPathComponent); stderr: "
                        + "\(standardError.suffix(3000))"
                )
            }
            _ = changed.wait(until: deadline)
        }
    }

    /// Waits for exit; returns the status (128 + signal when killed), or nil on timeout.
    public func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while exitStatus == nil {
            if !changed.wait(until: deadline) { return exitStatus }
        }
        return exitStatus
    }

    public func signal(_ signal: Int32) { if isRunning { kill(pid, signal) } }

    public func terminate() {
        guard isRunning else { return }
        signal(SIGTERM)
        if waitForExit(timeout: 5) == nil {
            signal(SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }

    deinit { terminate() }

    /// Runs a command to completion and returns its exit status and output.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: URL? = nil, timeout: TimeInterval = 300
    ) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let process = Subprocess(
            URL(fileURLWithPath: executable), arguments, environment: environment,
            currentDirectory: currentDirectory)
        try process.start()
        guard let status = process.waitForExit(timeout: timeout) else {
            process.signal(SIGKILL)
            throw TestSupportError(
                "\(executable) \(arguments.joined(separator: " ")) did not finish in \(Int(timeout)) s")
        }
        return (status, process.standardOutput, process.standardError)
    }
}
