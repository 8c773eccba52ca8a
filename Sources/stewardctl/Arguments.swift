import Foundation

/// Positional words and `--flag value` / `--switch` options, in any order.
struct Arguments {
    var words: [String] = []
    var options: [String: String] = [:]
    var switches: Set<String> = []

    static let switchNames: Set<String> = ["json", "help", "promote", "archive-existing", "full"]

    init(_ argv: [String]) throws(UsageError) {
        var index = 0
        while index < argv.count {
            let arg = argv[index]
            if arg == "-h" {
                switches.insert("help")
                index += 1
                continue
            }
            if arg.hasPrefix("--") {
                var name = String(arg.dropFirst(2))
                if let equals = name.firstIndex(of: "=") {
                    options[String(name[..<equals])] = String(name[name.index(after: equals)...])
                    index += 1
                    continue
                }
                if Self.switchNames.contains(name) {
                    switches.insert(name)
                    index += 1
                    continue
                }
                guard index + 1 < argv.count else { throw UsageError("--\(name) needs a value") }
                name = name.isEmpty ? "--" : name
                options[name] = argv[index + 1]
                index += 2
                continue
            }
            words.append(arg)
            index += 1
        }
    }

    func word(_ index: Int, _ what: String) throws(UsageError) -> String {
        guard index < words.count else { throw UsageError("missing \(what)") }
        return words[index]
    }

    func int(_ name: String, default value: Int) throws(UsageError) -> Int {
        guard let text = options[name] else { return value }
        guard let number = Int(text), number > 0 else { throw UsageError("--\(name) must be a positive integer") }
        return number
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where and as whom: flags, then STEWARD_URL / STEWARD_TOKEN[_FILE], then
/// ~/.config/steward/config (`url = ...`, `token = ...`).
struct Settings {
    var url: String
    var token: String?

    init(_ arguments: Arguments, environment: [String: String] = ProcessInfo.processInfo.environment) {
        var file: [String: String] = [:]
        let home = environment["XDG_CONFIG_HOME"] ?? (environment["HOME"].map { "\($0)/.config" } ?? "")
        if let text = try? String(contentsOfFile: "\(home)/steward/config", encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { file[parts[0]] = parts[1] }
            }
        }
        url = arguments.options["url"] ?? environment["STEWARD_URL"] ?? file["url"] ?? "http://127.0.0.1:7400"
        if let token = arguments.options["token"] ?? environment["STEWARD_TOKEN"] ?? file["token"] {
            self.token = token
        } else if let path = arguments.options["token-file"] ?? environment["STEWARD_TOKEN_FILE"] ?? file["token_file"]
        {
            self.token = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
    }
}
