import Foundation

/// A piece of an HTML page, built so that a value can only ever be text: every
/// interpolated value is escaped, and markup comes only from literals and from
/// other `HTML` values (as `SQL` makes every interpolated value a bind).
///
///     let row: HTML = "<td><a href=\"\(Link.path("models", name))\">\(name)</a></td>"
///
/// A model called `<script>` shows as `&lt;script&gt;`, in text and in attributes alike.
public struct HTML: Sendable, ExpressibleByStringInterpolation, Equatable {
    public private(set) var text: String

    public init(stringLiteral text: String) { self.text = text }
    public init(stringInterpolation: Interpolation) { self.text = stringInterpolation.text }

    public static let empty: HTML = ""

    /// Plain text, escaped.
    public init(escaping text: String) { self.text = HTML.escape(text) }

    public mutating func append(_ other: HTML) { text += other.text }

    /// The pieces one after another.
    public static func joined(_ pieces: some Sequence<HTML>, separator: HTML = "") -> HTML {
        var result = HTML.empty
        for (index, piece) in pieces.enumerated() {
            if index > 0 { result.append(separator) }
            result.append(piece)
        }
        return result
    }

    /// `text` with the five characters that mean something in HTML (text or a quoted attribute) escaped.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    public struct Interpolation: StringInterpolationProtocol {
        var text = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        /// A value: escaped.
        public mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            text += HTML.escape(value.description)
        }

        /// Nothing for nil.
        public mutating func appendInterpolation(_ value: (some CustomStringConvertible)?) {
            if let value { text += HTML.escape(value.description) }
        }

        /// Markup built elsewhere, as it is.
        public mutating func appendInterpolation(_ fragment: HTML) { text += fragment.text }

        /// Markup built elsewhere, as it is.
        public mutating func appendInterpolation(_ fragments: [HTML]) {
            for fragment in fragments { text += fragment.text }
        }
    }
}

extension HTML {
    public static func + (lhs: HTML, rhs: HTML) -> HTML {
        var result = lhs
        result.append(rhs)
        return result
    }
}
