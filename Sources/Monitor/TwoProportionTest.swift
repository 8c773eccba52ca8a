import Foundation

/// One-sided two-proportion z-test with a pooled variance: is proportion B (a
/// canary's accuracy) lower than proportion A (stable's)? `z` is positive when B is
/// the lower; `pValue` is P(Z >= z) under "B is not lower". Chosen over a
/// sequential test because a rollout looks at fixed analysis windows, each judged
/// once, rather than watching one stream continuously (docs/drift-and-rollouts.md).
public struct TwoProportionTest: Sendable, Equatable {
    public let proportionA: Double, proportionB: Double
    public let z: Double
    public let pValue: Double

    public init(successesA: Int, totalA: Int, successesB: Int, totalB: Int) {
        precondition(totalA > 0 && totalB > 0, "both samples need at least one trial")
        proportionA = Double(successesA) / Double(totalA)
        proportionB = Double(successesB) / Double(totalB)
        let pooled = Double(successesA + successesB) / Double(totalA + totalB)
        let standardError = (pooled * (1 - pooled) * (1 / Double(totalA) + 1 / Double(totalB))).squareRoot()
        // No variance: every trial in both samples went the same way, so the proportions are equal.
        z = standardError == 0 ? 0 : (proportionA - proportionB) / standardError
        pValue = 0.5 * erfc(z / 2.0.squareRoot())
    }
}
