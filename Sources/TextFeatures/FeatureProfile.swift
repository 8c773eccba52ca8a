/// A feature's reference distribution: inner bin edges at the reference's
/// 10%..90% quantiles (linear interpolation, repeated edges dropped) and the
/// share of reference values in each bin. Bins are right-closed: a value's bin
/// is the number of edges strictly below it.
public struct FeatureProfile: Sendable, Equatable, Codable {
    public var edges: [Double]
    public var counts: [Int]
    public var shares: [Double]
    public var n: Int
    public var mean: Double
    public var min: Double
    public var max: Double

    public init(edges: [Double], counts: [Int], shares: [Double], n: Int, mean: Double, min: Double, max: Double) {
        self.edges = edges
        self.counts = counts
        self.shares = shares
        self.n = n
        self.mean = mean
        self.min = min
        self.max = max
    }

    public init?(values: [Double], bins: Int = 10) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        var edges: [Double] = []
        for index in 1..<bins {
            let q = Self.quantile(sorted, Double(index) / Double(bins))
            if edges.last.map({ q > $0 }) ?? true { edges.append(q) }
        }
        var counts = [Int](repeating: 0, count: edges.count + 1)
        for value in values { counts[Self.bin(value, edges)] += 1 }
        self.edges = edges
        self.counts = counts
        shares = counts.map { Double($0) / Double(values.count) }
        n = values.count
        mean = values.reduce(0, +) / Double(values.count)
        min = sorted.first!
        max = sorted.last!
    }

    /// numpy's default ("linear") quantile of sorted values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    /// Number of edges strictly below `value` (binary search).
    public static func bin(_ value: Double, _ edges: [Double]) -> Int {
        var low = 0, high = edges.count
        while low < high {
            let mid = (low + high) / 2
            if edges[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// The reference profile stored with a dataset: one `FeatureProfile` per text
/// feature, and label shares.
public struct ReferenceProfile: Sendable, Equatable, Codable {
    public var format = 1
    public var source: String
    public var binning = "reference-quantile"
    public var bins = 10
    public var features: [String: FeatureProfile]
    public var labels: [String: Double]

    public init(source: String, features: [String: FeatureProfile], labels: [String: Double]) {
        self.source = source
        self.features = features
        self.labels = labels
    }

    /// Each feature's values over `texts` (no OOV share without a tokenizer).
    public static func featureColumns(texts: [String], tokenizer: WordPieceTokenizer?) -> [String: [Double]] {
        var columns: [String: [Double]] = [:]
        for text in texts {
            let features: TextFeatures
            if let tokenizer {
                features = TextFeatures(text: text, tokenizer: tokenizer)
            } else {
                features = TextFeatures(text: text, unknownTokens: 0, totalTokens: 0)
            }
            for name in TextFeatures.names where tokenizer != nil || name != "oov_share" {
                columns[name, default: []].append(features.value(name)!)
            }
        }
        return columns
    }

    /// Profiles `texts` (and their labels) with `tokenizer` for the OOV share.
    public init(source: String, texts: [String], labels: [String], tokenizer: WordPieceTokenizer?) {
        self.init(source: source, columns: Self.featureColumns(texts: texts, tokenizer: tokenizer), labels: labels)
    }

    public init(source: String, columns: [String: [Double]], labels: [String]) {
        var counts: [String: Int] = [:]
        for label in labels { counts[label, default: 0] += 1 }
        self.init(
            source: source, features: columns.compactMapValues { FeatureProfile(values: $0) },
            labels: counts.mapValues { Double($0) / Double(Swift.max(1, labels.count)) })
    }
}
