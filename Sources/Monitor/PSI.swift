import Foundation

/// Population Stability Index: sum over bins of (ref - cur) * ln(ref / cur).
public enum PSI {
    /// Steward's default: reference-quantile bins from the dataset's profile;
    /// empty shares (in either sample) become `epsilon` (1e-4) before the sum.
    public static func quantile(referenceShares: [Double], currentCounts: [Int], epsilon: Double = 1e-4) -> Double {
        let total = Double(currentCounts.reduce(0, +))
        guard total > 0, referenceShares.count == currentCounts.count else { return .nan }
        var sum = 0.0
        for (ref, count) in zip(referenceShares, currentCounts) {
            let r = max(ref, epsilon), c = max(Double(count) / total, epsilon)
            sum += (r - c) * log(r / c)
        }
        return sum
    }

    /// Evidently's smoothing: in each sample, empty shares become 1e-4, or the
    /// smallest non-zero share / 1e6 when that is itself <= 1e-4.
    public static func evidently(referenceCounts: [Int], currentCounts: [Int]) -> Double {
        func shares(_ counts: [Int]) -> [Double] {
            let total = Double(counts.reduce(0, +))
            let raw = counts.map { Double($0) / total }
            let smallest = raw.filter { $0 > 0 }.min() ?? 1
            let fill = smallest <= 1e-4 ? smallest / 1e6 : 1e-4
            return raw.map { $0 == 0 ? fill : $0 }
        }
        let r = shares(referenceCounts), c = shares(currentCounts)
        return zip(r, c).reduce(0) { $0 + ($1.0 - $1.1) * log($1.0 / $1.1) }
    }
}
