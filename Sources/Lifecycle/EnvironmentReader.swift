import Foundation

/// A configuration value that cannot be used; stops start-up with one line
/// naming the variable. Never echoes the value: it may be a secret.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let variable: String
    public let problem: String

    public init(_ variable: String, _ problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(variable): \(problem)" }
}

/// Typed, validated reads of environment variables.
public struct EnvironmentReader: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The value, or nil when unset or empty.
    public func optional(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    public func string(_ name: String, default defaultValue: String) -> String {
        optional(name) ?? defaultValue
    }

    public func required(_ name: String, hint: String) throws(ConfigurationError) -> String {
        guard let value = optional(name) else { throw ConfigurationError(name, "is required (\(hint))") }
        return value
    }

    public func int(
        _ name: String, default defaultValue: Int, range: ClosedRange<Int>
    ) throws(ConfigurationError) -> Int {
        guard let text = optional(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(name, "must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func double(
        _ name: String, default defaultValue: Double, range: ClosedRange<Double>
    ) throws(ConfigurationError) -> Double {
        guard let text = optional(name) else { return defaultValue }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ConfigurationError(name, "must be a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func bool(_ name: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let text = optional(name)?.lowercased() else { return defaultValue }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(name, "must be true or false")
        }
    }

    public func choice(
        _ name: String, default defaultValue: String, allowed: [String]
    ) throws(ConfigurationError) -> String {
        let value = string(name, default: defaultValue)
        guard allowed.contains(value) else {
            throw ConfigurationError(name, "must be one of \(allowed.joined(separator: ", "))")
        }
        return value
    }

    /// A secret given directly or as a file (`NAME_FILE`, as Kubernetes mounts secrets).
    public func secret(_ name: String) throws(ConfigurationError) -> String? {
        if let direct = optional(name) { return direct }
        guard let path = optional(name + "_FILE") else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(name + "_FILE", "cannot read \(path)")
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw ConfigurationError(name + "_FILE", "\(path) is empty") }
        return value
    }
}
