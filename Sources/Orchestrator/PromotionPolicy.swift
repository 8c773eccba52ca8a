import Foundation

/// A promotion policy: clauses joined by `and`, each comparing two arithmetic
/// expressions over the candidate's metrics, the Production version's metrics
/// (`production.<metric>`) and dataset facts (`dataset.rows`, ...):
///
///     accuracy >= 0.80 and f1 >= production.f1 + 0.005 and eval_rows >= 500
///
/// Names: a bare name is a candidate metric; `candidate.x` the same;
/// `production.x` the current Production version's metric; `dataset.x` a fact of
/// the candidate's training dataset. Operators `+ - * /`, parentheses, numbers;
/// comparisons `< <= > >= == !=`. Evaluation is pure: it never does I/O.
public struct PromotionPolicy: Sendable, Equatable {
    public let source: String
    public let clauses: [Clause]

    public struct Clause: Sendable, Equatable {
        public let text: String
        public let left: Expression
        public let comparison: String
        public let right: Expression
    }

    public indirect enum Expression: Sendable, Equatable {
        case number(Double)
        case name(scope: String, key: String)
        case binary(String, Expression, Expression)
        case negate(Expression)
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// 1-based column of the offending character.
        public let column: Int
        public let message: String
        public var description: String { "policy error at column \(column): \(message)" }
    }

    public init(parsing source: String) throws(ParseError) {
        var parser = Parser(source)
        self.source = source
        self.clauses = try parser.policy()
    }

    // MARK: Evaluation

    public struct Inputs: Sendable {
        public var candidate: [String: Double]
        public var production: [String: Double]?
        public var dataset: [String: Double]
        public init(candidate: [String: Double], production: [String: Double]?, dataset: [String: Double]) {
            self.candidate = candidate
            self.production = production
            self.dataset = dataset
        }
    }

    public struct ClauseResult: Sendable, Equatable, Codable {
        public let clause: String
        public let passed: Bool
        public let left: Double?
        public let right: Double?
        public let reason: String
    }

    public struct Verdict: Sendable, Equatable, Codable {
        public let passed: Bool
        public let clauses: [ClauseResult]
        public var reasons: [String] { clauses.filter { !$0.passed }.map(\.reason) }
    }

    public func evaluate(_ inputs: Inputs) -> Verdict {
        let results = clauses.map { clause -> ClauseResult in
            let left = Self.value(clause.left, inputs), right = Self.value(clause.right, inputs)
            switch (left, right) {
            case (.failure(let missing), _), (_, .failure(let missing)):
                return ClauseResult(
                    clause: clause.text, passed: false, left: nil, right: nil,
                    reason: "\(clause.text): \(missing.reason)")
            case (.success(let l), .success(let r)):
                let passed = Self.compare(l, clause.comparison, r)
                let shown = "\(clause.text): \(Self.format(l)) \(clause.comparison) \(Self.format(r))"
                return ClauseResult(
                    clause: clause.text, passed: passed, left: l, right: r,
                    reason: shown + (passed ? " holds" : " does not hold"))
            }
        }
        return Verdict(passed: results.allSatisfy(\.passed), clauses: results)
    }

    struct Missing: Error { let reason: String }

    static func value(_ expression: Expression, _ inputs: Inputs) -> Result<Double, Missing> {
        switch expression {
        case .number(let number):
            return .success(number)
        case .name(let scope, let key):
            let source: [String: Double]?
            switch scope {
            case "production":
                guard let production = inputs.production else {
                    return .failure(Missing(reason: "there is no Production version to compare with"))
                }
                source = production
            case "dataset": source = inputs.dataset
            default: source = inputs.candidate
            }
            guard let value = source?[key], value.isFinite else {
                let owner =
                    scope == "production"
                    ? "the Production version" : scope == "dataset" ? "the dataset" : "the candidate"
                return .failure(Missing(reason: "\(owner) has no metric \(key)"))
            }
            return .success(value)
        case .negate(let inner):
            return value(inner, inputs).map { -$0 }
        case .binary(let op, let lhs, let rhs):
            return value(lhs, inputs).flatMap { l in
                value(rhs, inputs).flatMap { r -> Result<Double, Missing> in
                    switch op {
                    case "+": return .success(l + r)
                    case "-": return .success(l - r)
                    case "*": return .success(l * r)
                    default: return r == 0 ? .failure(Missing(reason: "division by zero")) : .success(l / r)
                    }
                }
            }
        }
    }

    static func compare(_ l: Double, _ op: String, _ r: Double) -> Bool {
        // A hair of tolerance so `0.8 >= 0.8` survives float rounding of sums.
        let epsilon = 1e-12 * max(1, abs(l), abs(r))
        switch op {
        case "<": return l < r - epsilon
        case "<=": return l <= r + epsilon
        case ">": return l > r + epsilon
        case ">=": return l >= r - epsilon
        case "==": return abs(l - r) <= epsilon
        default: return abs(l - r) > epsilon
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.6g", value)
    }
}

/// Recursive descent over the policy text, remembering columns for errors.
private struct Parser {
    let characters: [Character]
    var index = 0
    /// Nested signs and parentheses; bounded, since each level is a recursive call
    /// on a worker thread's stack (hundreds of leading '-' once crashed the daemon).
    var depth = 0
    static let maxDepth = 32

    init(_ text: String) { characters = Array(text) }

    func error(_ message: String, at position: Int? = nil) -> PromotionPolicy.ParseError {
        PromotionPolicy.ParseError(column: (position ?? index) + 1, message: message)
    }

    mutating func skipSpaces() { while index < characters.count, characters[index].isWhitespace { index += 1 } }

    mutating func policy() throws(PromotionPolicy.ParseError) -> [PromotionPolicy.Clause] {
        var clauses: [PromotionPolicy.Clause] = []
        skipSpaces()
        if index == characters.count { throw error("the policy is empty") }
        while true {
            clauses.append(try clause())
            skipSpaces()
            if index == characters.count { return clauses }
            let start = index
            let word = identifier()
            guard word?.lowercased() == "and" || peek("&&") else {
                throw error("expected 'and' between clauses", at: start)
            }
            if word == nil { index += 2 }
        }
    }

    func peek(_ text: String) -> Bool {
        let chars = Array(text)
        return index + chars.count <= characters.count && Array(characters[index..<(index + chars.count)]) == chars
    }

    mutating func clause() throws(PromotionPolicy.ParseError) -> PromotionPolicy.Clause {
        skipSpaces()
        let start = index
        let left = try sum()
        skipSpaces()
        let comparisonStart = index
        var comparison = ""
        for candidate in ["<=", ">=", "==", "!=", "<", ">"] where peek(candidate) {
            comparison = candidate
            break
        }
        guard !comparison.isEmpty else {
            throw error("expected a comparison (<, <=, >, >=, ==, !=)", at: comparisonStart)
        }
        index += comparison.count
        let right = try sum()
        let text = String(characters[start..<index]).trimmingCharacters(in: .whitespaces)
        return PromotionPolicy.Clause(text: text, left: left, comparison: comparison, right: right)
    }

    mutating func sum() throws(PromotionPolicy.ParseError) -> PromotionPolicy.Expression {
        var value = try product()
        while true {
            skipSpaces()
            guard index < characters.count, characters[index] == "+" || characters[index] == "-" else { return value }
            let op = String(characters[index])
            index += 1
            value = .binary(op, value, try product())
        }
    }

    mutating func product() throws(PromotionPolicy.ParseError) -> PromotionPolicy.Expression {
        var value = try unary()
        while true {
            skipSpaces()
            guard index < characters.count, characters[index] == "*" || characters[index] == "/" else { return value }
            let op = String(characters[index])
            index += 1
            value = .binary(op, value, try unary())
        }
    }

    mutating func unary() throws(PromotionPolicy.ParseError) -> PromotionPolicy.Expression {
        skipSpaces()
        guard index < characters.count else { throw error("the policy ends where a value was expected") }
        let c = characters[index]
        if c == "-" || c == "(" {
            guard depth < Self.maxDepth else {
                throw error("nested too deeply (at most \(Self.maxDepth) signs and parentheses)")
            }
            depth += 1
        }
        defer { if c == "-" || c == "(" { depth -= 1 } }
        if c == "-" {
            index += 1
            return .negate(try unary())
        }
        if c == "(" {
            index += 1
            let inner = try sum()
            skipSpaces()
            guard index < characters.count, characters[index] == ")" else { throw error("expected ')'") }
            index += 1
            return inner
        }
        if c.isNumber || c == "." {
            let start = index
            while index < characters.count,
                characters[index].isNumber || characters[index] == "." || characters[index] == "e"
                    || characters[index] == "E"
                    || ((characters[index] == "-" || characters[index] == "+") && "eE".contains(characters[index - 1]))
            {
                index += 1
            }
            guard let number = Double(String(characters[start..<index])) else { throw error("not a number", at: start) }
            return .number(number)
        }
        let start = index
        guard let name = identifier() else { throw error("expected a metric name, a number or '('", at: start) }
        if name.hasSuffix(".") || name.hasPrefix(".") {
            throw error("'\(name)' is not a name: expected scope.metric", at: start)
        }
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2, ["candidate", "production", "dataset"].contains(parts[0]) {
            guard !parts[1].isEmpty else { throw error("expected a name after '\(parts[0]).'", at: start) }
            return .name(scope: parts[0], key: parts[1])
        }
        if ["and", "or", "not"].contains(name.lowercased()) {
            throw error("'\(name)' cannot stand here (only 'and' joins clauses)", at: start)
        }
        return .name(scope: "candidate", key: name)
    }

    mutating func identifier() -> String? {
        let start = index
        while index < characters.count,
            characters[index].isLetter || characters[index].isNumber || "_.".contains(characters[index])
        {
            index += 1
        }
        return index > start ? String(characters[start..<index]) : nil
    }
}
