import Foundation

/// Reads a kubeconfig file (the YAML `kubectl` writes, or its JSON form) and
/// resolves the current context to a `KubernetesConfiguration`: server, CA
/// (`certificate-authority-data` or a file), and a bearer token (`token` or
/// `tokenFile`) or a client certificate and key (`-data` or files).
public enum Kubeconfig {
    public static func load(path: String, context: String? = nil) throws -> KubernetesConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw KubernetesError(code: 0, reason: "BadConfig", message: "cannot read kubeconfig \(path)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try resolve(try parse(text), context: context, relativeTo: base)
    }

    static func parse(_ text: String) throws -> [String: Any] {
        if let data = text.data(using: .utf8),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            return json
        }
        var parser = MiniYAML(text)
        guard let object = try parser.document() as? [String: Any] else {
            throw KubernetesError(code: 0, reason: "BadConfig", message: "kubeconfig is not a mapping")
        }
        return object
    }

    static func resolve(
        _ config: [String: Any], context wanted: String?, relativeTo base: URL
    ) throws -> KubernetesConfiguration {
        func bad(_ message: String) -> KubernetesError {
            KubernetesError(code: 0, reason: "BadConfig", message: message)
        }
        func named(_ list: String, _ name: String, _ key: String) throws -> [String: Any] {
            let entries = config[list] as? [[String: Any]] ?? []
            guard let entry = entries.first(where: { $0["name"] as? String == name }),
                let body = entry[key] as? [String: Any]
            else {
                throw bad("kubeconfig has no \(key) named \(name)")
            }
            return body
        }
        guard let contextName = wanted ?? config["current-context"] as? String else {
            throw bad("kubeconfig has no current-context")
        }
        let context = try named("contexts", contextName, "context")
        guard let clusterName = context["cluster"] as? String, let userName = context["user"] as? String else {
            throw bad("context \(contextName) names no cluster or user")
        }
        let cluster = try named("clusters", clusterName, "cluster")
        let user = (try? named("users", userName, "user")) ?? [:]
        guard let server = cluster["server"] as? String else { throw bad("cluster \(clusterName) has no server") }
        func path(_ value: Any?) -> String? {
            guard let text = value as? String else { return nil }
            return text.hasPrefix("/") ? text : base.appendingPathComponent(text).path
        }
        func decoded(_ value: Any?) throws -> String? {
            guard let text = value as? String else { return nil }
            guard let data = Data(base64Encoded: text), let pem = String(data: data, encoding: .utf8) else {
                throw bad("bad base64 in kubeconfig")
            }
            return pem
        }
        func file(_ value: Any?) throws -> String? {
            guard let p = path(value) else { return nil }
            guard let text = try? String(contentsOfFile: p, encoding: .utf8) else { throw bad("cannot read \(p)") }
            return text
        }
        return KubernetesConfiguration(
            server: server, caPEM: try decoded(cluster["certificate-authority-data"]),
            caFile: path(cluster["certificate-authority"]),
            tokenFile: path(user["tokenFile"]), token: user["token"] as? String,
            clientCertificatePEM: try decoded(user["client-certificate-data"]) ?? file(user["client-certificate"]),
            clientKeyPEM: try decoded(user["client-key-data"]) ?? file(user["client-key"]),
            namespace: context["namespace"] as? String ?? "default")
    }
}

/// The block-style YAML subset kubeconfig files use: nested mappings by
/// indentation, `- ` sequences of mappings or scalars, plain or quoted scalars,
/// comments. Flow collections other than `[]`/`{}` and anchors are refused.
struct MiniYAML {
    struct Line {
        let indent: Int
        let text: String
        let number: Int
    }
    var lines: [Line] = []
    var index = 0

    init(_ text: String) {
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed == "---" { continue }
            lines.append(Line(indent: line.prefix { $0 == " " }.count, text: trimmed, number: number + 1))
        }
    }

    func error(_ message: String, _ line: Line?) -> KubernetesError {
        KubernetesError(code: 0, reason: "BadConfig", message: "kubeconfig line \(line?.number ?? 0): \(message)")
    }

    mutating func document() throws -> Any {
        guard let first = lines.first else { return [String: Any]() }
        return try block(indent: first.indent)
    }

    mutating func block(indent: Int) throws -> Any {
        guard index < lines.count else { return [String: Any]() }
        return lines[index].text.hasPrefix("- ") || lines[index].text == "-"
            ? try sequence(indent: indent) : try mapping(indent: indent)
    }

    mutating func mapping(indent: Int) throws -> [String: Any] {
        var result: [String: Any] = [:]
        while index < lines.count, lines[index].indent == indent, !lines[index].text.hasPrefix("- ") {
            let line = lines[index]
            guard let colon = Self.keyColon(line.text) else { throw error("expected 'key: value'", line) }
            let key = Self.scalar(String(line.text[..<colon]))
            let rest = String(line.text[line.text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            index += 1
            if rest.isEmpty {
                if index < lines.count,
                    lines[index].indent > indent || (lines[index].indent == indent && lines[index].text.hasPrefix("- "))
                {
                    result[key] = try block(indent: lines[index].indent)
                } else {
                    result[key] = NSNull()
                }
            } else {
                result[key] = try value(rest, line)
            }
        }
        return result
    }

    mutating func sequence(indent: Int) throws -> [Any] {
        var result: [Any] = []
        while index < lines.count, lines[index].indent == indent, lines[index].text.hasPrefix("-") {
            let line = lines[index]
            let rest = String(line.text.dropFirst()).trimmingCharacters(in: .whitespaces)
            if rest.isEmpty {
                index += 1
                result.append(
                    index < lines.count && lines[index].indent > indent
                        ? try block(indent: lines[index].indent) : NSNull())
            } else if Self.keyColon(rest) != nil {
                // "- key: value" starts a mapping whose keys sit two columns in.
                lines[index] = Line(indent: indent + 2, text: rest, number: line.number)
                result.append(try mapping(indent: indent + 2))
            } else {
                index += 1
                result.append(try value(rest, line))
            }
        }
        return result
    }

    func value(_ text: String, _ line: Line) throws -> Any {
        if text == "[]" { return [Any]() }
        if text == "{}" { return [String: Any]() }
        if text.hasPrefix("[") || text.hasPrefix("{") || text.hasPrefix("&") || text.hasPrefix("*")
            || text.hasPrefix("|") || text.hasPrefix(">")
        {
            throw error("unsupported YAML (flow collections, anchors or block scalars)", line)
        }
        return Self.scalar(text)
    }

    /// The colon that ends a key (outside quotes, followed by a space or the end).
    static func keyColon(_ text: String) -> String.Index? {
        var quote: Character?
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == ":" {
                let next = text.index(after: i)
                if next == text.endIndex || text[next] == " " { return i }
            }
            i = text.index(after: i)
        }
        return nil
    }

    static func scalar(_ raw: String) -> String {
        var text = raw.trimmingCharacters(in: .whitespaces)
        if let hash = text.range(of: " #"), !text.hasPrefix("\""), !text.hasPrefix("'") {
            text = String(text[..<hash.lowerBound])
        }
        if text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first {
            text = String(text.dropFirst().dropLast())
            if first == "'" {
                text = text.replacingOccurrences(of: "''", with: "'")
            } else {
                text = text.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
        }
        return text
    }
}
