/// A statement with its parameters, built so that a value can only ever be a
/// parameter: every interpolated value becomes the next `$n` and its bind, and
/// text that must go into the statement itself is marked `raw:`.
///
///     let recent: SQL = "SELECT * FROM steward.runs WHERE experiment_id = \(id) AND status = \(status.rawValue)"
///     try c.query(recent)   // "... experiment_id = $1 AND status = $2", [id, "RUNNING"]
///
/// Fragments compose: interpolating an `SQL` appends its text with its binds
/// renumbered after the ones before it, so a filter built elsewhere slots in
/// without anyone counting placeholders.
///
///     var filter: SQL = "model_name = \(model)"
///     if let version { filter.append(" AND model_version = \(version)") }
///     try pool.query("SELECT count(*) AS n FROM steward.prediction_log WHERE \(filter)")
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The statement, with `$1`... placeholders.
    public private(set) var text: String
    public private(set) var binds: [any PostgresEncodable]

    public init(stringLiteral text: String) {
        self.text = text
        self.binds = []
    }

    public init(stringInterpolation: Interpolation) {
        self.text = stringInterpolation.text
        self.binds = stringInterpolation.binds
    }

    /// Text written by the program (an identifier chosen from a fixed list, say), never input.
    public static func raw(_ text: String) -> SQL { SQL(stringLiteral: text) }

    public mutating func append(_ other: SQL) {
        text += Self.renumbered(other.text, after: binds.count)
        binds += other.binds
    }

    /// The fragments joined by `separator` (" AND ", ", "), their binds renumbered in order.
    public static func joined(_ parts: [SQL], separator: String) -> SQL {
        var result: SQL = ""
        for (index, part) in parts.enumerated() {
            if index > 0 { result.append(.raw(separator)) }
            result.append(part)
        }
        return result
    }

    /// The text only; binds are never printed (they may be secrets or personal data).
    public var description: String { text }

    public struct Interpolation: StringInterpolationProtocol {
        var text = ""
        var binds: [any PostgresEncodable] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + 4 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        /// A value: the next placeholder, and the value as its bind.
        public mutating func appendInterpolation(_ value: (any PostgresEncodable)?) {
            binds.append(value ?? Optional<String>.none)
            text += "$\(binds.count)"
        }

        /// Another statement's text, its binds after these.
        public mutating func appendInterpolation(_ fragment: SQL) {
            text += SQL.renumbered(fragment.text, after: binds.count)
            binds += fragment.binds
        }

        /// Text that goes into the statement as it is: never pass input here.
        public mutating func appendInterpolation(raw text: some CustomStringConvertible) {
            self.text += text.description
        }
    }

    /// `$n` placeholders moved up by `offset` (a `$` followed by digits, outside
    /// quotes: fragments never hold literals with `$` in them, their values are binds).
    static func renumbered(_ text: String, after offset: Int) -> String {
        guard offset > 0, text.contains("$") else { return text }
        var out = "", digits = "", inPlaceholder = false
        func flush() {
            if inPlaceholder { out += "$" + (Int(digits).map { String($0 + offset) } ?? digits) }
            digits = ""
            inPlaceholder = false
        }
        for character in text {
            if inPlaceholder, character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            flush()
            if character == "$" { inPlaceholder = true } else { out.append(character) }
        }
        flush()
        return out
    }
}

extension PostgresConnection {
    /// Runs one statement, its values bound as parameters (sent as text, so the
    /// server infers or casts their types).
    ///
    /// `prepared: true` is for a hot statement whose text comes from a small set (every
    /// value a bind): it is parsed once per connection and PostgreSQL may reuse its plan,
    /// which saves most of a short lookup's time. At most `preparedLimit` are kept; past
    /// that the connection's statements are dropped and prepared again as used.
    @discardableResult
    public func query(_ sql: SQL, prepared: Bool = false) throws -> PostgresRows {
        try query(text: sql.text, binds: sql.binds, prepared: prepared)
    }
}
