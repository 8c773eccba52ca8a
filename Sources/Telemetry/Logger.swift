import Foundation
import Synchronization

public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, notice, warning, error

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        }
    }

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = level
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A value in a structured log line.
public enum LogValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByStringInterpolation
{
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(_ value: some CustomStringConvertible) { self = .string(value.description) }
}

/// Where log lines go. One line is written with one `write(2)` so lines from
/// different threads never interleave.
public final class LogSink: Sendable {
    public static let standardError = LogSink(fileDescriptor: 2)

    /// The descriptor written to, or nil for a sink that keeps lines in memory.
    private let fd: Int32?
    private let captured = Mutex<[String]>([])

    public init(fileDescriptor: Int32) {
        self.fd = fileDescriptor
    }

    /// A sink that keeps lines in memory, for tests.
    public static func capturing() -> LogSink { LogSink(fd: nil) }

    private init(fd: Int32?) { self.fd = fd }

    public var lines: [String] { captured.withLock { $0 } }

    func write(_ line: String) {
        guard let fd else {
            captured.withLock { $0.append(line) }
            return
        }
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

/// Structured logging: one JSON object a line, with a timestamp, level, logger
/// label, message, and fields. Fields given to `with(_:)` travel with the logger
/// (a request id, a run id, a rollout id).
public struct Logger: Sendable {
    public let label: String
    public var level: LogLevel
    public private(set) var fields: [String: LogValue]
    let sink: LogSink

    public init(label: String, level: LogLevel = .info, sink: LogSink = .standardError) {
        self.label = label
        self.level = level
        self.fields = [:]
        self.sink = sink
    }

    /// A logger whose level comes from `STEWARD_LOG_LEVEL` (default info).
    public static func fromEnvironment(label: String, sink: LogSink = .standardError) -> Logger {
        let name = ProcessInfo.processInfo.environment["STEWARD_LOG_LEVEL"] ?? "info"
        return Logger(label: label, level: LogLevel(name: name) ?? .info, sink: sink)
    }

    public func with(_ more: [String: LogValue]) -> Logger {
        var copy = self
        copy.fields.merge(more) { _, new in new }
        return copy
    }

    public func labelled(_ label: String) -> Logger {
        var copy = Logger(label: label, level: level, sink: sink)
        copy.fields = fields
        return copy
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        log(.debug, message(), fields)
    }
    public func info(_ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        log(.info, message(), fields)
    }
    public func notice(_ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        log(.notice, message(), fields)
    }
    public func warning(_ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        log(.warning, message(), fields)
    }
    public func error(_ message: @autoclosure () -> String, _ fields: [String: LogValue] = [:]) {
        log(.error, message(), fields)
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ extra: [String: LogValue] = [:]) {
        guard level >= self.level else { return }
        var line = "{\"ts\":\""
        line += Timestamp.iso8601(Date())
        line += "\",\"level\":\"\(level.name)\",\"logger\":"
        JSONText.appendString(label, to: &line)
        line += ",\"msg\":"
        JSONText.appendString(message(), to: &line)
        let merged = extra.isEmpty ? fields : fields.merging(extra) { _, new in new }
        for key in merged.keys.sorted() {
            line += ","
            JSONText.appendString(key, to: &line)
            line += ":"
            JSONText.append(merged[key]!, to: &line)
        }
        line += "}"
        sink.write(line)
    }
}
