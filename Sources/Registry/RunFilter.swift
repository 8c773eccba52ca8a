import Postgres

/// MLflow's run search language: `metrics.acc > 0.9 and params.lr = '0.01'
/// and tags.\`my tag\` LIKE 'x%' and attributes.status = 'FINISHED'`.
/// Parsed into clauses, then into SQL with bound values (never spliced).
struct RunFilter: Equatable {
    enum Entity: String, Equatable { case metric, param, tag, attribute, dataset }
    enum Value: Equatable { case number(Double), string(String), list([String]) }

    let entity: Entity
    let key: String
    let comparator: String
    let value: Value

    static func parse(_ text: String) throws(RegistryError) -> [RunFilter] {
        var lexer = Lexer(text)
        var clauses: [RunFilter] = []
        while true {
            guard let token = try lexer.next() else { break }
            if !clauses.isEmpty {
                guard case .word(let word) = token, word.lowercased() == "and" else {
                    throw .invalid(
                        "Invalid clause(s) in filter string: expected 'and' between conditions in "
                            + "\(text.debugDescription)"
                    )
                }
                guard let next = try lexer.next() else { throw .invalid("filter string ends after 'and'") }
                clauses.append(try clause(startingWith: next, &lexer))
            } else {
                clauses.append(try clause(startingWith: token, &lexer))
            }
        }
        return clauses
    }

    private static func clause(startingWith first: Token, _ lexer: inout Lexer) throws(RegistryError) -> RunFilter {
        guard case .word(let identifier) = first else {
            throw .invalid("Invalid filter: expected an identifier such as metrics.accuracy")
        }
        let (entity, key) = try split(identifier, &lexer)
        guard let comparatorToken = try lexer.next() else {
            throw .invalid("Invalid filter: '\(identifier)' needs a comparison")
        }
        var comparator: String
        switch comparatorToken {
        case .symbol(let symbol): comparator = symbol
        case .word(let word):
            comparator = word.uppercased()
            if comparator == "NOT" {
                guard case .word(let inWord)? = try lexer.next(), inWord.uppercased() == "IN" else {
                    throw .invalid("Invalid filter: expected IN after NOT")
                }
                comparator = "NOT IN"
            }
        default: throw .invalid("Invalid filter: expected a comparator after '\(identifier)'")
        }
        guard let valueToken = try lexer.next() else {
            throw .invalid("Invalid filter: '\(identifier) \(comparator)' needs a value")
        }
        let value: Value
        switch valueToken {
        case .number(let number): value = .number(number)
        case .string(let string): value = .string(string)
        case .list(let items): value = .list(items)
        default: throw .invalid("Invalid filter: the value for '\(identifier)' must be a number or a quoted string")
        }
        let filter = RunFilter(entity: entity, key: key, comparator: comparator, value: value)
        try filter.check()
        return filter
    }

    private static func split(_ identifier: String, _ lexer: inout Lexer) throws(RegistryError) -> (Entity, String) {
        guard let dot = identifier.firstIndex(of: ".") else {
            return (.attribute, try attribute(identifier))
        }
        let prefix = identifier[..<dot].lowercased()
        var key = String(identifier[identifier.index(after: dot)...])
        if key.isEmpty, let quoted = lexer.takeQuotedKey() { key = quoted }
        guard !key.isEmpty else { throw .invalid("Invalid filter: '\(identifier)' has no key") }
        switch prefix {
        case "metric", "metrics": return (.metric, key)
        case "param", "params", "parameter", "parameters": return (.param, key)
        case "tag", "tags": return (.tag, key)
        case "attribute", "attributes", "attr", "run": return (.attribute, try attribute(key))
        case "dataset", "datasets": return (.dataset, key)
        default:
            throw .invalid(
                "Invalid entity type '\(prefix)'. Valid values are ['metric', 'parameter', 'tag', 'attribute', "
                    + "'dataset']"
            )
        }
    }

    private static let attributes = [
        "status", "run_name", "start_time", "end_time", "run_id", "user_id", "artifact_uri", "created", "Created"
    ]

    private static func attribute(_ key: String) throws(RegistryError) -> String {
        guard attributes.contains(key) else {
            throw .invalid("Invalid attribute key '\(key)' specified. Valid keys are \(attributes.dropLast())")
        }
        return key == "created" || key == "Created" ? "start_time" : key
    }

    private func check() throws(RegistryError) {
        let numeric = ["=", "!=", ">", ">=", "<", "<="]
        let textual = ["=", "!=", "LIKE", "ILIKE"]
        switch (entity, value) {
        case (.metric, .number),
            (.attribute, .number) where ["start_time", "end_time"].contains(key):
            guard numeric.contains(comparator) else {
                throw .invalid("Invalid comparator '\(comparator)' for a number")
            }
            if entity == .attribute, case .number(let number) = value, Int64(exactly: number) == nil {
                throw .invalid(
                    "Invalid value \(valueDescription) for attribute \(key): expected an integer number of "
                        + "milliseconds within the 64-bit range"
                )
            }
        case (.metric, _):
            throw .invalid("Expected numeric value type for metric. Found \(valueDescription)")
        case (.attribute, .list) where key == "run_id", (.dataset, .list):
            guard comparator == "IN" || comparator == "NOT IN" else {
                throw .invalid("A list value needs IN or NOT IN")
            }
        case (_, .string):
            guard textual.contains(comparator) else {
                throw .invalid(
                    "Invalid comparator '\(comparator)' not one of '\(textual)' for \(entity.rawValue) '\(key)'")
            }
            if entity == .attribute, ["start_time", "end_time"].contains(key) {
                throw .invalid("Expected numeric value for attribute \(key)")
            }
        default:
            throw .invalid(
                "Invalid value \(valueDescription) for \(entity.rawValue) '\(key)' with comparator '\(comparator)'")
        }
    }

    private var valueDescription: String {
        switch value {
        case .number(let n): "\(n)"
        case .string(let s): "'\(s)'"
        case .list(let l): "(\(l.joined(separator: ", ")))"
        }
    }
}

enum Token: Equatable {
    case word(String), symbol(String), number(Double), string(String), list([String])
}

/// Splits a filter string into identifiers (with backquoted or quoted keys),
/// comparators, numbers, quoted strings and parenthesised lists. It reads Unicode
/// scalars, not grapheme clusters: a quote followed by a combining mark is still a quote.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
    private static func isOneOf(_ set: String, _ c: Unicode.Scalar) -> Bool { set.unicodeScalars.contains(c) }

    private mutating func skipSpaces() {
        while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
    }

    /// After `metrics.` a key may be quoted: metrics."my key" or metrics.`my key`.
    mutating func takeQuotedKey() -> String? {
        guard index < scalars.count, scalars[index] == "`" || scalars[index] == "\"" else { return nil }
        return try? quoted(scalars[index])
    }

    private mutating func quoted(_ quote: Unicode.Scalar) throws(RegistryError) -> String {
        index += 1
        var text = String.UnicodeScalarView()
        while index < scalars.count {
            let c = scalars[index]
            index += 1
            if c == quote {
                if index < scalars.count, scalars[index] == quote {
                    text.append(quote)
                    index += 1
                    continue
                }
                return String(text)
            }
            if c == "\\", index < scalars.count {
                text.append(scalars[index])
                index += 1
                continue
            }
            text.append(c)
        }
        throw .invalid("Invalid filter: unterminated quoted string")
    }

    mutating func next() throws(RegistryError) -> Token? {
        skipSpaces()
        guard index < scalars.count else { return nil }
        let c = scalars[index]
        if c == "'" || c == "\"" { return .string(try quoted(c)) }
        if c == "(" {
            index += 1
            var items: [String] = []
            while true {
                skipSpaces()
                guard index < scalars.count else { throw .invalid("Invalid filter: unterminated list") }
                if scalars[index] == ")" {
                    index += 1
                    break
                }
                if scalars[index] == "," {
                    index += 1
                    continue
                }
                guard scalars[index] == "'" || scalars[index] == "\"" else {
                    throw .invalid("Invalid filter: list items must be quoted strings")
                }
                items.append(try quoted(scalars[index]))
            }
            return .list(items)
        }
        if Self.isOneOf("<>=!", c) {
            var symbol = String(c)
            index += 1
            if index < scalars.count, scalars[index] == "=" {
                symbol.append("=")
                index += 1
            }
            guard ["<", ">", "=", "<=", ">=", "!=", "=="].contains(symbol) else {
                throw .invalid("Invalid comparator '\(symbol)'")
            }
            return .symbol(symbol == "==" ? "=" : symbol)
        }
        if Self.isDigit(c) || c == "-" || c == "." {
            var text = String.UnicodeScalarView()
            while index < scalars.count, Self.isDigit(scalars[index]) || Self.isOneOf("+-.eE", scalars[index]) {
                text.append(scalars[index])
                index += 1
            }
            guard let value = Double(String(text)) else { throw .invalid("Invalid number '\(String(text))' in filter") }
            return .number(value)
        }
        var word = ""
        while index < scalars.count {
            let c = scalars[index]
            if c == "`" {
                word += try quoted("`")
                continue
            }
            if c.properties.isWhitespace || Self.isOneOf("<>=!()'", c) { break }
            if c == "\"" {
                // Only a key may be double-quoted right after a dot.
                if word.hasSuffix(".") {
                    word += try quoted("\"")
                    continue
                }
                break
            }
            word.unicodeScalars.append(c)
            index += 1
        }
        guard !word.isEmpty else {
            throw .invalid("Invalid filter near '\(String(String.UnicodeScalarView(scalars[index...].prefix(20))))'")
        }
        return .word(word)
    }
}

/// Turns parsed clauses and order-by strings into SQL over `steward.runs r`, every
/// value a bind (the comparators and columns come from the parser's fixed lists).
enum RunQuery {
    static func condition(for filter: RunFilter) throws(RegistryError) -> SQL {
        let op = SQL.raw(filter.comparator)
        switch filter.entity {
        case .metric:
            guard case .number(let number) = filter.value else { throw .invalid("metric filters need a number") }
            return
                """
                EXISTS (SELECT 1 FROM steward.latest_metrics m WHERE m.run_id = r.id AND m.key = \(filter.key) AND
                    m.value \(op) \(number))
                """
        case .param, .tag:
            guard case .string(let text) = filter.value else {
                throw .invalid("\(filter.entity.rawValue) filters need a quoted string")
            }
            let table = SQL.raw(filter.entity == .param ? "steward.run_params" : "steward.run_tags")
            return
                """
                EXISTS (SELECT 1 FROM \(table) p WHERE p.run_id = r.id AND p.key = \(filter.key) AND p.value \(op)
                    \(text))
                """
        case .dataset:
            let column = SQL.raw(
                filter.key == "digest" ? "digest" : filter.key == "context" ? "tags->>'mlflow.data.context'" : "name")
            switch filter.value {
            case .list(let items):
                let negate = SQL.raw(filter.comparator == "NOT IN" ? "NOT " : "")
                return
                    """
                    \(negate)EXISTS (SELECT 1 FROM steward.run_inputs i WHERE i.run_id = r.id AND i.\(column) =
                        ANY(\(items)))
                    """
            case .string(let text):
                return "EXISTS (SELECT 1 FROM steward.run_inputs i WHERE i.run_id = r.id AND i.\(column) \(op) \(text))"
            case .number: throw .invalid("dataset filters need a quoted string")
            }
        case .attribute:
            let column = SQL.raw(Self.column(forAttribute: filter.key))
            switch filter.value {
            case .number(let number):
                guard let milliseconds = Int64(exactly: number) else {
                    throw .invalid("attribute \(filter.key) needs an integer")
                }
                return "r.\(column) \(op) \(milliseconds)"
            case .string(let text): return "r.\(column) \(op) \(text)"
            case .list(let items):
                return filter.comparator == "NOT IN"
                    ? "NOT (r.\(column) = ANY(\(items)))" : "r.\(column) = ANY(\(items))"
            }
        }
    }

    private static func column(forAttribute key: String) -> String {
        switch key {
        case "run_id": "id"
        case "run_name": "name"
        default: key
        }
    }

    /// `metrics.acc DESC`, `params.lr`, `start_time ASC`... then start_time DESC, id. A first key
    /// that is a metric is kept apart (`leadingMetric`): the search walks `latest_metrics`' (key,
    /// value) index in its order instead of sorting every matching run.
    static func ordering(_ orderBy: [String]) throws(RegistryError) -> RunOrdering {
        var leadingMetric: (key: String, direction: SQL)?
        var parts: [SQL] = []
        for clause in orderBy where !clause.trimmingCharacters(in: .whitespaces).isEmpty {
            var text = clause.trimmingCharacters(in: .whitespaces)
            var direction = "ASC"
            for suffix in [" DESC", " desc", " ASC", " asc"] where text.hasSuffix(suffix) {
                direction = suffix.trimmingCharacters(in: .whitespaces).uppercased()
                text = String(text.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            }
            var lexer = Lexer(text)
            guard case .word(let identifier)? = try lexer.next(), try lexer.next() == nil else {
                throw .invalid("Invalid order_by clause '\(clause)'")
            }
            let parsed = try RunFilter.orderKey(identifier)
            let order = SQL.raw("\(direction) NULLS LAST")
            switch parsed.entity {
            case .metric where parts.isEmpty && leadingMetric == nil:
                leadingMetric = (parsed.key, SQL.raw(direction))
            case .metric:
                parts.append(
                    """
                    (SELECT m.value FROM steward.latest_metrics m WHERE m.run_id = r.id AND m.key = \(parsed.key))
                        \(order)
                    """
                )
            case .param, .tag:
                let table = SQL.raw(parsed.entity == .param ? "steward.run_params" : "steward.run_tags")
                parts.append(
                    "(SELECT p.value FROM \(table) p WHERE p.run_id = r.id AND p.key = \(parsed.key)) \(order)")
            case .attribute:
                parts.append("r.\(raw: Self.column(forAttribute: parsed.key)) \(order)")
            case .dataset:
                throw .invalid("cannot order by a dataset field")
            }
        }
        parts += ["r.start_time DESC", "r.id"]
        return RunOrdering(leadingMetric: leadingMetric, rest: SQL.joined(parts, separator: ", "))
    }
}

/// A search's order: the first key when it is a metric (its runs come first, in `latest_metrics`'
/// index order; runs without it follow, as NULLS LAST puts them), then the other keys.
struct RunOrdering {
    var leadingMetric: (key: String, direction: SQL)?
    var rest: SQL
}

extension RunFilter {
    /// An order-by key: the filter's identifier rules (a backquoted key already
    /// joined into `identifier` by the lexer), without a comparison.
    static func orderKey(_ identifier: String) throws(RegistryError) -> (entity: Entity, key: String) {
        var rest = Lexer("")
        return try split(identifier, &rest)
    }
}
