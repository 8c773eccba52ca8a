import Foundation

/// MLflow's limits on keys and values.
enum Limits {
    static let keyLength = 250
    static let paramValueLength = 6000
    static let tagValueLength = 8000
    static let batchMetrics = 1000
    static let batchParams = 100
    static let batchTags = 100
    static let batchTotal = 1000
    /// The largest `max_results` MLflow's searches accept.
    static let maxResults = 50_000
    /// The most items one page of a search holds, whatever `max_results` asks: a larger
    /// request gets this many and a next_page_token (the mlflow client's own search
    /// helpers follow it), so no single answer can hold the server's memory hostage.
    static let pageItems = 1000

    /// MLflow's `MAX_EXPERIMENT_TAG_VAL_LENGTH`.
    static let experimentTagValueLength = 20_000
    /// MLflow's `MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH`.
    static let registryTagValueLength = 100_000
    /// The width of MLflow's description columns (registered models and versions).
    static let descriptionLength = 5_000
    /// The widths of MLflow's run name, user and model version source columns.
    static let runNameLength = 250
    static let userIDLength = 256
    static let sourceLength = 500

    /// MLflow's `_validate_length_limit`, with its message. Lengths are Python's:
    /// code points, not grapheme clusters (an emoji with a skin tone is two).
    static func checkLength(_ value: String?, _ what: String, limit: Int) throws(RegistryError) {
        guard let value, value.unicodeScalars.count > limit else { return }
        throw .invalid("'\(what)' exceeds the maximum length of \(limit) characters")
    }

    /// Tags of experiments or of registered models and versions: keys and values within limits.
    static func checkTags(_ tags: [String: String], valueLimit: Int) throws(RegistryError) {
        for (key, value) in tags {
            try checkKey(key, "tag")
            try checkLength(value, "value", limit: valueLimit)
        }
    }

    static func checkKey(_ key: String, _ what: String) throws(RegistryError) {
        if key.isEmpty { throw .invalid("\(what) key must not be empty") }
        if key.unicodeScalars.count > keyLength {
            throw .invalid("\(what) key '\(key.prefix(40))...' is longer than \(keyLength) characters")
        }
        if key.hasPrefix("/") || key.split(separator: "/").contains("..") || key.contains("\0") {
            throw .invalid("\(what) key \(key.debugDescription) is not a valid name")
        }
    }
}
