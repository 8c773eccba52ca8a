import Foundation
import Postgres
import TextFeatures

/// One pass over a dataset's rows with bounded memory, whatever its size: counts
/// for the validation report, a digest of each text for the duplicate count (kept
/// in a temporary table of the registering transaction, not in the process), and
/// the reference rows' feature values, sampled.
///
/// The reference profile and the stored reference values come from a reservoir
/// sample of `sampleRows` reference rows, drawn with a fixed seed so the same file
/// always gives the same profile; a dataset with fewer rows is profiled whole.
struct DatasetIngest {
    static let sampleRows = 100_000
    /// Distinct unknown labels named in the report; the rest are only counted.
    static let namedUnknownLabels = 20
    private static let hashBatch = 50_000

    private let connection: PostgresConnection
    private let rules: DatasetRules
    private let tokenizer: WordPieceTokenizer?
    private let features: [String]

    private(set) var rows = 0
    private var emptyTexts = 0
    private var labelCounts: [String: Int] = [:]
    private var unknownLabels: [String: Int] = [:]
    private var otherUnknown = 0
    private var referenceLabels: [String: Int] = [:]
    private var referenceRows = 0
    /// The sample: each sampled reference row's feature values, one row after another.
    private var sample: [Double] = []
    private var sampled = 0
    private var random = SplitMix64(seed: 0x5EED_DA7A)
    private var pendingHashes: [Int] = []

    init(connection: PostgresConnection, rules: DatasetRules, tokenizer: WordPieceTokenizer?) throws {
        self.connection = connection
        self.rules = rules
        self.tokenizer = tokenizer
        features = TextFeatures.names.filter { tokenizer != nil || $0 != "oov_share" }
        try connection.execute("CREATE TEMPORARY TABLE steward_ingest_texts (h bigint) ON COMMIT DROP")
    }

    /// Adds a row; `reference` rows (a dataset's train split) are also profiled.
    mutating func add(text: String, label: String, reference: Bool) throws {
        rows += 1
        if text.allSatisfy(\.isWhitespace) { emptyTexts += 1 }
        let named = String(label.prefix(100))
        if rules.labels.contains(label) {
            labelCounts[label, default: 0] += 1
        } else if unknownLabels[named] != nil || unknownLabels.count < Self.namedUnknownLabels {
            unknownLabels[named, default: 0] += 1
        } else {
            otherUnknown += 1
        }
        // Swift's String hash (seeded per process) equals for equal texts, as Set<String> did.
        pendingHashes.append(text.hashValue)
        if pendingHashes.count >= Self.hashBatch { try flushHashes() }
        guard reference else { return }
        referenceRows += 1
        referenceLabels[label, default: 0] += 1
        if sampled < Self.sampleRows {
            sample += values(text)
            sampled += 1
        } else {
            let slot = Int(random.next() % UInt64(referenceRows))
            if slot < Self.sampleRows {
                sample.replaceSubrange(slot * features.count..<(slot + 1) * features.count, with: values(text))
            }
        }
    }

    private func values(_ text: String) -> [Double] {
        let measured =
            tokenizer.map { TextFeatures(text: text, tokenizer: $0) }
            ?? TextFeatures(text: text, unknownTokens: 0, totalTokens: 0)
        return features.map { measured.value($0) ?? 0 }
    }

    private mutating func flushHashes() throws {
        try connection.copyIn(table: "steward_ingest_texts", columns: ["h"], rows: pendingHashes.lazy.map { [$0] })
        pendingHashes.removeAll(keepingCapacity: true)
    }

    /// The validation report over every row added.
    mutating func report() throws -> ValidationReport {
        try flushHashes()
        let duplicates: Int =
            try connection.query("SELECT count(*) - count(DISTINCT h) AS n FROM steward_ingest_texts").first?.get("n")
            ?? 0
        var unknown = unknownLabels
        if otherUnknown > 0 { unknown["(other labels)"] = otherUnknown }
        return DatasetStore.validate(
            rows: rows, emptyTexts: emptyTexts, duplicates: duplicates, labelCounts: labelCounts,
            unknownLabels: unknown, rules: rules)
    }

    /// The sampled reference rows' values, by feature.
    var referenceColumns: [String: [Double]] {
        var columns: [String: [Double]] = [:]
        for (index, feature) in features.enumerated() {
            columns[feature] = stride(from: index, to: sample.count, by: features.count).map { sample[$0] }
        }
        return columns
    }

    /// The profile: each feature's quantile bins over the sample, label shares over every reference row.
    func profile(source: String) -> ReferenceProfile {
        let total = Double(max(1, referenceRows))
        return ReferenceProfile(
            source: source, features: referenceColumns.compactMapValues { FeatureProfile(values: $0) },
            labels: referenceLabels.mapValues { Double($0) / total })
    }
}

/// A small, seedable generator (Steele, Lea and Flood's SplitMix64): the same
/// seed gives the same sample on every machine.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
