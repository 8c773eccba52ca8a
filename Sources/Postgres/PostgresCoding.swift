import Foundation

/// A Swift value sent as a bound parameter, in PostgreSQL's text input format.
/// `nil` text is SQL NULL.
public protocol PostgresEncodable: Sendable {
    var postgresText: String? { get }
}

/// A Swift value read from a column in PostgreSQL's text output format.
public protocol PostgresDecodable {
    init(postgresText text: String) throws
    /// What a NULL column decodes to; by default NULL is an error.
    static func postgresNull() throws -> Self
}

extension PostgresDecodable {
    public static func postgresNull() throws -> Self { throw PostgresDecodingError("unexpected NULL") }
}

struct PostgresDecodingError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// An explicit SQL NULL, for parameters whose Swift type would be ambiguous.
public struct PostgresNull: PostgresEncodable {
    public init() {}
    public var postgresText: String? { nil }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self?.postgresText }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: String) throws { self = .some(try Wrapped(postgresText: text)) }
    public static func postgresNull() throws -> Self { nil }
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self }
    public init(postgresText text: String) { self = text }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public init(postgresText text: String) throws {
        guard let value = Int(text) else { throw PostgresDecodingError("not an integer: \(text.prefix(40))") }
        self = value
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public init(postgresText text: String) throws {
        guard let value = Int64(text) else { throw PostgresDecodingError("not an integer: \(text.prefix(40))") }
        self = value
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public init(postgresText text: String) throws {
        guard let value = Int32(text) else { throw PostgresDecodingError("not a 32-bit integer: \(text.prefix(40))") }
        self = value
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if self == .infinity { return "Infinity" }
        if self == -.infinity { return "-Infinity" }
        return String(self)
    }

    public init(postgresText text: String) throws {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw PostgresDecodingError("not a number: \(text.prefix(40))") }
            self = value
        }
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self ? "true" : "false" }
    public init(postgresText text: String) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw PostgresDecodingError("not a boolean: \(text.prefix(40))")
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { uuidString.lowercased() }
    public init(postgresText text: String) throws {
        guard let value = UUID(uuidString: text) else { throw PostgresDecodingError("not a UUID: \(text.prefix(40))") }
        self = value
    }
}

/// `bytea`, in the hex format.
extension Data: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + count * 2)
        out[0] = UInt8(ascii: "\\")
        out[1] = UInt8(ascii: "x")
        for (i, byte) in enumerated() {
            out[2 + 2 * i] = digits[Int(byte >> 4)]
            out[3 + 2 * i] = digits[Int(byte & 0x0F)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public init(postgresText text: String) throws {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw PostgresDecodingError("not hex-format bytea")
        }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: throw PostgresDecodingError("not hex-format bytea")
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            bytes.append(try nibble(utf8[i]) << 4 | nibble(utf8[i + 1]))
            i += 2
        }
        self = Data(bytes)
    }
}

/// `timestamptz` (sessions run with TimeZone=UTC and DateStyle=ISO), microseconds kept.
extension Date: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { PostgresTimestamp.format(self) }
    public init(postgresText text: String) throws { self = try PostgresTimestamp.parse(text) }
}

enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = time_t((micros / 1_000_000).rounded(.down))
        let fraction = Int(micros - Double(seconds) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", parts.tm_year + 1900, parts.tm_mon + 1,
            parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, fraction)
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]` and `YYYY-MM-DD`.
    static func parse(_ text: String) throws -> Date {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        let bytes = Array(text.utf8)
        var i = 0
        func number(_ digits: Int) throws -> Int {
            guard i + digits <= bytes.count else { throw PostgresDecodingError("not a timestamp: \(text)") }
            var value = 0
            for _ in 0..<digits {
                let c = bytes[i]
                guard (0x30...0x39).contains(c) else { throw PostgresDecodingError("not a timestamp: \(text)") }
                value = value * 10 + Int(c - 0x30)
                i += 1
            }
            return value
        }
        func skip(_ c: Character) throws {
            guard i < bytes.count, bytes[i] == c.asciiValue! else {
                throw PostgresDecodingError("not a timestamp: \(text)")
            }
            i += 1
        }
        var parts = tm()
        parts.tm_year = Int32(try number(4) - 1900)
        try skip("-")
        parts.tm_mon = Int32(try number(2) - 1)
        try skip("-")
        parts.tm_mday = Int32(try number(2))
        var micros = 0.0
        var offsetSeconds = 0
        if i < bytes.count {
            guard bytes[i] == 0x20 || bytes[i] == 0x54 else { throw PostgresDecodingError("not a timestamp: \(text)") }
            i += 1
            parts.tm_hour = Int32(try number(2))
            try skip(":")
            parts.tm_min = Int32(try number(2))
            try skip(":")
            parts.tm_sec = Int32(try number(2))
            if i < bytes.count, bytes[i] == 0x2E {
                i += 1
                var scale = 100_000.0
                while i < bytes.count, (0x30...0x39).contains(bytes[i]) {
                    micros += Double(bytes[i] - 0x30) * scale
                    scale /= 10
                    i += 1
                }
            }
            if i < bytes.count {
                let sign = bytes[i] == 0x2D ? -1 : 1
                guard bytes[i] == 0x2B || bytes[i] == 0x2D else {
                    throw PostgresDecodingError("not a timestamp: \(text)")
                }
                i += 1
                offsetSeconds = try number(2) * 3600
                if i < bytes.count, bytes[i] == 0x3A { i += 1 }
                if i + 2 <= bytes.count { offsetSeconds += try number(2) * 60 }
                offsetSeconds *= sign
            }
        }
        guard i == bytes.count else { throw PostgresDecodingError("not a timestamp: \(text)") }
        let seconds = timegm(&parts) - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + micros / 1_000_000)
    }
}

/// One-dimensional arrays in PostgreSQL's literal syntax (`{"a","b"}`); bind them
/// with a cast, e.g. `$1::text[]`.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public var postgresText: String? {
        // Built as bytes: quote and backslash are ASCII, never inside a multi-byte UTF-8 sequence.
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(count * 12 + 2)
        for (index, element) in enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard let text = element.postgresText else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    public init(postgresText text: String) throws {
        self = try PostgresArrayLiteral.elements(text).map { item in
            guard let item else { return try Element.postgresNull() }
            return try Element(postgresText: item)
        }
    }
}

enum PostgresArrayLiteral {
    /// The elements of a one-dimensional array literal; `nil` for NULL.
    static func elements(_ text: String) throws -> [String?] {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { throw PostgresDecodingError("not an array literal") }
        var items: [String?] = []
        var i = 1
        let end = scalars.count - 1
        if end == 1 { return [] }
        while i < end {
            var item = ""
            if scalars[i] == "\"" {
                i += 1
                while i < end, scalars[i] != "\"" {
                    if scalars[i] == "\\" { i += 1 }
                    guard i < end else { break }
                    item.unicodeScalars.append(scalars[i])
                    i += 1
                }
                i += 1
                items.append(item)
            } else {
                while i < end, scalars[i] != "," {
                    item.unicodeScalars.append(scalars[i])
                    i += 1
                }
                items.append(item == "NULL" ? nil : item)
            }
            guard i == end || scalars[i] == "," else { throw PostgresDecodingError("malformed array literal") }
            i += 1
        }
        return items
    }
}
