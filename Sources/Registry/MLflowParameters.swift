import Foundation
import HTTPKit

/// A request's arguments the way MLflow's clients send them: the query string
/// for GET, a JSON body otherwise. Typed reads answer MLflow's own 400s, and
/// unknown fields are ignored. int64 fields may come as numbers or strings
/// (Protocol Buffers' JSON mapping); string fields must be strings.
struct MLflowParameters {
    private let values: [String: Any]
    /// A GET's repeated query parameters (`run_ids=a&run_ids=b`), for list fields.
    private var lists: [String: [String]] = [:]

    init(_ request: Request) throws(HTTPError) {
        if request.method == .GET {
            values = request.query
            lists = request.queryValues
            return
        }
        guard !request.body.isEmpty else {
            values = [:]
            return
        }
        guard let object = try? JSONSerialization.jsonObject(with: request.body, options: [.fragmentsAllowed]) else {
            throw Self.invalid("Malformed JSON in the request body")
        }
        guard let dictionary = object as? [String: Any] else {
            throw Self.invalid("The request body must be a JSON object")
        }
        values = dictionary
    }

    init(values: [String: Any]) { self.values = values }

    static func invalid(_ message: String) -> HTTPError {
        HTTPError(status: 400, code: "INVALID_PARAMETER_VALUE", message: message)
    }

    static func missing(_ name: String) -> HTTPError {
        invalid(
            "Missing value for required parameter '\(name)'. See the API docs for more information about request "
                + "parameters."
        )
    }

    private static func wrongType(_ name: String, _ value: Any) -> HTTPError {
        invalid(
            "Invalid value \(String(describing: value).prefix(100)) for parameter '\(name)' supplied: Hint: Value was "
                + "of type '\(typeName(value))'."
        )
    }

    private static func typeName(_ value: Any) -> String {
        switch value {
        case is String: "str"
        case let number as NSNumber: isBoolean(number) ? "bool" : "number"
        case is [Any]: "list"
        case is [String: Any]: "dict"
        default: "null"
        }
    }

    /// JSON true/false arrive as NSNumber too; their type code is 'c'.
    private static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    func has(_ name: String) -> Bool { values[name] != nil && !(values[name] is NSNull) }

    func string(_ name: String) throws(HTTPError) -> String? {
        guard let value = values[name], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw Self.wrongType(name, value) }
        return text
    }

    func requiredString(_ name: String) throws(HTTPError) -> String {
        guard let text = try string(name), !text.isEmpty else { throw Self.missing(name) }
        return text
    }

    /// The run id, sent as `run_id` or the older `run_uuid`.
    func runID() throws(HTTPError) -> String {
        if let id = try string("run_id"), !id.isEmpty { return id }
        if let id = try string("run_uuid"), !id.isEmpty { return id }
        throw Self.missing("run_id")
    }

    func int64(_ name: String) throws(HTTPError) -> Int64? {
        guard let value = values[name], !(value is NSNull) else { return nil }
        if let text = value as? String {
            guard let parsed = Int64(text) else { throw Self.wrongType(name, value) }
            return parsed
        }
        guard let number = value as? NSNumber, !Self.isBoolean(number) else { throw Self.wrongType(name, value) }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9.2e18 else { throw Self.wrongType(name, value) }
        return number.int64Value
    }

    func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(HTTPError) -> Int {
        guard let value = try int64(name) else { return defaultValue }
        guard range.contains(Int(value)) else {
            throw Self.invalid(
                "Invalid value \(value) for parameter '\(name)': must be in \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(value)
    }

    func double(_ name: String) throws(HTTPError) -> Double? {
        guard let value = values[name], !(value is NSNull) else { return nil }
        if let text = value as? String {
            guard let parsed = ProtoDouble.parse(text) else { throw Self.wrongType(name, value) }
            return parsed
        }
        guard let number = value as? NSNumber, !Self.isBoolean(number) else { throw Self.wrongType(name, value) }
        return number.doubleValue
    }

    func bool(_ name: String) throws(HTTPError) -> Bool? {
        guard let value = values[name], !(value is NSNull) else { return nil }
        if let text = value as? String { return text.lowercased() == "true" }
        guard let number = value as? NSNumber, Self.isBoolean(number) else { throw Self.wrongType(name, value) }
        return number.boolValue
    }

    func objects(_ name: String) throws(HTTPError) -> [MLflowParameters] {
        guard let value = values[name], !(value is NSNull) else { return [] }
        guard let list = value as? [Any] else { throw Self.wrongType(name, value) }
        var result: [MLflowParameters] = []
        for item in list {
            guard let object = item as? [String: Any] else {
                throw Self.invalid("Invalid value for parameter '\(name)': expected a list of objects")
            }
            result.append(MLflowParameters(values: object))
        }
        return result
    }

    func object(_ name: String) throws(HTTPError) -> MLflowParameters? {
        guard let value = values[name], !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else { throw Self.wrongType(name, value) }
        return MLflowParameters(values: object)
    }

    func strings(_ name: String) throws(HTTPError) -> [String] {
        if let list = lists[name] { return list }
        guard let value = values[name], !(value is NSNull) else { return [] }
        if let single = value as? String { return [single] }
        guard let list = value as? [Any] else { throw Self.wrongType(name, value) }
        var result: [String] = []
        for item in list {
            guard let text = item as? String else { throw Self.wrongType(name, item) }
            result.append(text)
        }
        return result
    }

    /// `[{"key": ..., "value": ...}]` as a dictionary.
    func keyValues(_ name: String) throws(HTTPError) -> [String: String] {
        var result: [String: String] = [:]
        for item in try objects(name) {
            result[try item.requiredString("key")] = try item.string("value") ?? ""
        }
        return result
    }
}

/// The log-batch body, decoded straight into types: it is the hot path of metric
/// logging (up to 1000 metrics a call), where reading untyped JSON values cost more
/// than writing the batch. A field of the wrong type is a 400 that names it.
struct LogBatchBody: Decodable {
    struct Metric: Decodable {
        var key: String?
        var value: ProtoDouble?
        var timestamp: ProtoInt64?
        var step: ProtoInt64?
    }

    struct KeyValue: Decodable {
        var key: String?
        var value: String?
    }

    var runID: String?
    var runUUID: String?
    var metrics: [Metric]?
    var params: [KeyValue]?
    var tags: [KeyValue]?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", runUUID = "run_uuid", metrics, params, tags
    }
}

/// An int64 in Protocol Buffers' JSON mapping: a number or a string of digits.
struct ProtoInt64: Decodable {
    let value: Int64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Int64(text) {
            value = number
        } else if let number = try? container.decode(Double.self), number.rounded() == number, abs(number) < 9.2e18 {
            value = Int64(number)
        } else {
            throw DecodingError.typeMismatch(
                Int64.self, .init(codingPath: decoder.codingPath, debugDescription: "not an integer"))
        }
    }
}

/// A double in Protocol Buffers' JSON mapping: a number, or a string ("NaN", "Infinity", "-Infinity", digits).
struct ProtoDouble: Decodable {
    let value: Double

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Self.parse(text) {
            value = number
        } else {
            throw DecodingError.typeMismatch(
                Double.self, .init(codingPath: decoder.codingPath, debugDescription: "not a number"))
        }
    }

    static func parse(_ text: String) -> Double? {
        switch text {
        case "NaN": .nan
        case "Infinity": .infinity
        case "-Infinity": -.infinity
        default: Double(text)
        }
    }
}
