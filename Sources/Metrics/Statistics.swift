// Statistics for comparing models over seeds: Student-t quantiles and intervals, the paired t-test,
// the Wilcoxon signed-rank test and DeLong's test for two correlated ROC AUCs (the same test
// images scored by two models). Pure functions of their inputs, checked against scipy/sklearn
// values (Tests/MetricsTests/Fixtures/statistics.json, made by benchmarks/statistics_fixtures.py).
//
// The special functions are the textbook ones: the regularised incomplete beta function by its
// continued fraction (modified Lentz), the t distribution through it, and the normal tail through
// erfc. Quantiles are found by bisection on the CDF: slow-ish but exact to double precision and
// simple to trust, and a report needs a handful of them.

import Foundation

public enum Statistics {
    // MARK: Descriptive

    public static func mean(_ x: [Double]) -> Double {
        x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count)
    }

    /// Sample standard deviation (n - 1 in the denominator); NaN below two values.
    public static func standardDeviation(_ x: [Double]) -> Double {
        guard x.count >= 2 else { return .nan }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    /// A mean with its two-sided confidence interval from the t distribution with n - 1 degrees of
    /// freedom (NaN bounds below two values).
    public struct Interval: Equatable, Sendable {
        public var mean: Double
        public var lower: Double
        public var upper: Double
        public var count: Int
        public var halfWidth: Double { (upper - lower) / 2 }
    }

    public static func meanInterval(_ x: [Double], level: Double = 0.95) -> Interval {
        let m = mean(x)
        guard x.count >= 2 else { return Interval(mean: m, lower: .nan, upper: .nan, count: x.count) }
        let h = tQuantile(0.5 + level / 2, degreesOfFreedom: Double(x.count - 1)) * standardDeviation(x) / Double(x.count).squareRoot()
        return Interval(mean: m, lower: m - h, upper: m + h, count: x.count)
    }

    // MARK: Distributions

    /// ln Γ(x) for x > 0.
    static func logGamma(_ x: Double) -> Double { lgamma(x) }

    /// The regularised incomplete beta function I_x(a, b).
    public static func incompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * log(x) + b * log(1 - x))
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
        if x < (a + 1) / (a + b + 2) { return front * betaFraction(x, a, b) / a }
        return 1 - front * betaFraction(1 - x, b, a) / b
    }

    /// Continued fraction of the incomplete beta function (modified Lentz).
    static func betaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }

    /// P(T <= t) for Student's t with `df` degrees of freedom.
    public static func tCDF(_ t: Double, degreesOfFreedom df: Double) -> Double {
        if t.isNaN || df.isNaN || df <= 0 { return .nan }
        if t.isInfinite { return t > 0 ? 1 : 0 }
        let tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5)  // P(T > |t|)
        return t >= 0 ? 1 - tail : tail
    }

    /// Two-sided tail probability P(|T| >= |t|).
    public static func tTwoSided(_ t: Double, degreesOfFreedom df: Double) -> Double {
        if t.isNaN || df.isNaN || df <= 0 { return .nan }
        if t.isInfinite { return 0 }
        return min(1, incompleteBeta(df / (df + t * t), df / 2, 0.5))
    }

    /// The p-quantile of Student's t (bisection on the CDF to double precision).
    public static func tQuantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        guard p > 0, p < 1, df > 0 else { return p == 0 ? -.infinity : p == 1 ? .infinity : .nan }
        if p == 0.5 { return 0 }
        if p < 0.5 { return -tQuantile(1 - p, degreesOfFreedom: df) }
        var lo = 0.0, hi = 1.0
        while tCDF(hi, degreesOfFreedom: df) < p { lo = hi; hi *= 2; if hi > 1e300 { return .infinity } }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mid == lo || mid == hi { break }
            if tCDF(mid, degreesOfFreedom: df) < p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// P(Z <= z) for the standard normal.
    public static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// Two-sided tail probability P(|Z| >= |z|).
    public static func normalTwoSided(_ z: Double) -> Double { z.isNaN ? .nan : erfc(abs(z) / 2.0.squareRoot()) }

    // MARK: Paired tests

    /// The paired t-test of a - b (scipy.stats.ttest_rel): the mean difference with its confidence
    /// interval, t, degrees of freedom and the two-sided p-value. With every difference equal the
    /// test is undefined (t and p NaN) unless the differences are nonzero (then t infinite, p 0).
    public struct PairedTest: Equatable, Sendable {
        public var meanDifference: Double
        public var lower: Double
        public var upper: Double
        public var t: Double
        public var degreesOfFreedom: Int
        public var p: Double
        public var count: Int
    }

    public static func pairedTTest(_ a: [Double], _ b: [Double], level: Double = 0.95) -> PairedTest {
        precondition(a.count == b.count, "pairedTTest: \(a.count) and \(b.count) values are not pairs")
        let d = zip(a, b).map { $0 - $1 }
        let iv = meanInterval(d, level: level)
        let n = d.count
        guard n >= 2 else { return PairedTest(meanDifference: iv.mean, lower: .nan, upper: .nan, t: .nan, degreesOfFreedom: n - 1, p: .nan, count: n) }
        let se = standardDeviation(d) / Double(n).squareRoot()
        let t: Double = se > 0 ? iv.mean / se : (iv.mean == 0 ? .nan : (iv.mean > 0 ? .infinity : -.infinity))
        return PairedTest(meanDifference: iv.mean, lower: iv.lower, upper: iv.upper, t: t, degreesOfFreedom: n - 1,
                          p: tTwoSided(t, degreesOfFreedom: Double(n - 1)), count: n)
    }

    /// Midranks (1-based; tied values share the mean of their ranks), and whether any tie occurred.
    public static func midranks(_ x: [Double]) -> (ranks: [Double], ties: Bool) {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var ranks = Array(repeating: 0.0, count: x.count)
        var ties = false
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            if j > i { ties = true }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = r }
            i = j + 1
        }
        return (ranks, ties)
    }

    /// The Wilcoxon signed-rank test of a - b, two-sided, as scipy.stats.wilcoxon (1.17) decides by
    /// default: zero differences dropped; with no ties and no zeros the exact null distribution of
    /// W+ (n <= 50); with ties or zeros and at most 13 pairs the exact permutation distribution of
    /// the midrank statistic over all 2^n sign patterns; otherwise the normal approximation with the
    /// tie correction and no continuity correction. `statistic` is min(W+, W-), as scipy reports it.
    public struct SignedRankTest: Equatable, Sendable {
        public var statistic: Double
        public var p: Double
        public var count: Int
        public var method: String
    }

    public static func wilcoxonSignedRank(_ a: [Double], _ b: [Double]) -> SignedRankTest {
        precondition(a.count == b.count, "wilcoxonSignedRank: \(a.count) and \(b.count) values are not pairs")
        let all = zip(a, b).map { $0 - $1 }.filter { !$0.isNaN }
        let d = all.filter { $0 != 0 }
        let zeros = all.count - d.count
        let n = d.count
        guard n > 0 else { return SignedRankTest(statistic: .nan, p: .nan, count: 0, method: "none") }
        let (r, ties) = midranks(d.map(abs))
        let plus = zip(d, r).filter { $0.0 > 0 }.map(\.1).reduce(0, +)
        let minus = zip(d, r).filter { $0.0 < 0 }.map(\.1).reduce(0, +)
        let w = min(plus, minus)
        if !ties && zeros == 0 && n <= 50 {
            // Counts of each W+ over the 2^n equally likely sign patterns (W+ is an integer here).
            let maxW = n * (n + 1) / 2
            var counts = [Double](repeating: 0, count: maxW + 1)
            counts[0] = 1
            for k in 1...n {
                for s in stride(from: maxW, through: k, by: -1) { counts[s] += counts[s - k] }
            }
            let total = pow(2.0, Double(n))
            let cdf = counts[0...Int(w)].reduce(0, +) / total
            return SignedRankTest(statistic: w, p: min(1, 2 * cdf), count: n, method: "exact")
        }
        if all.count <= 13 {
            // Every sign pattern of the midranks is equally likely under the null.
            var le = 0, ge = 0
            let patterns = 1 << n
            for mask in 0..<patterns {
                var s = 0.0
                for k in 0..<n where mask & (1 << k) != 0 { s += r[k] }
                if s <= plus + 1e-9 { le += 1 }
                if s >= plus - 1e-9 { ge += 1 }
            }
            let p = min(1, 2 * Double(min(le, ge)) / Double(patterns))
            return SignedRankTest(statistic: w, p: p, count: n, method: "permutation")
        }
        let nd = Double(n)
        let mu = nd * (nd + 1) / 4
        var variance = nd * (nd + 1) * (2 * nd + 1) / 24
        // Tie correction: sum over tie groups of (t^3 - t) / 48.
        var groups: [Double: Int] = [:]
        for x in r { groups[x, default: 0] += 1 }
        variance -= groups.values.map { Double($0 * $0 * $0 - $0) }.reduce(0, +) / 48
        let z = (w - mu) / variance.squareRoot()
        return SignedRankTest(statistic: w, p: normalTwoSided(z), count: n, method: "normal")
    }

    // MARK: DeLong

    /// DeLong's test of two correlated AUCs: the same images (labels 1 = positive) scored by two
    /// models. AUCs, their difference a - b with its standard error and a normal confidence
    /// interval, z and the two-sided p-value (DeLong, DeLong & Clarke-Pearson 1988, computed with
    /// midranks as Sun & Xu 2014 do).
    public struct DeLongTest: Equatable, Sendable {
        public var aucA: Double
        public var aucB: Double
        public var difference: Double
        public var standardError: Double
        public var lower: Double
        public var upper: Double
        public var z: Double
        public var p: Double
        public var positives: Int
        public var negatives: Int
    }

    /// AUC and its structural components: V10 per positive, V01 per negative.
    static func deLongComponents(labels: [Int32], scores: [Double]) -> (auc: Double, v10: [Double], v01: [Double]) {
        let pos = zip(labels, scores).filter { $0.0 == 1 }.map(\.1)
        let neg = zip(labels, scores).filter { $0.0 != 1 }.map(\.1)
        let m = Double(pos.count), n = Double(neg.count)
        let all = midranks(pos + neg).ranks
        let rPos = midranks(pos).ranks, rNeg = midranks(neg).ranks
        // Number of negatives below each positive (ties half) = overall rank - rank among positives.
        let v10 = pos.indices.map { (all[$0] - rPos[$0]) / n }
        let v01 = neg.indices.map { 1 - (all[pos.count + $0] - rNeg[$0]) / m }
        return (v10.reduce(0, +) / m, v10, v01)
    }

    public static func deLong(labels: [Int32], scoresA: [Double], scoresB: [Double], level: Double = 0.95) -> DeLongTest {
        precondition(labels.count == scoresA.count && labels.count == scoresB.count, "deLong: labels and scores differ in length")
        let m = labels.filter { $0 == 1 }.count, n = labels.count - m
        guard m >= 2 && n >= 2 else {
            return DeLongTest(aucA: .nan, aucB: .nan, difference: .nan, standardError: .nan, lower: .nan, upper: .nan,
                              z: .nan, p: .nan, positives: m, negatives: n)
        }
        let a = deLongComponents(labels: labels, scores: scoresA), b = deLongComponents(labels: labels, scores: scoresB)
        func cov(_ x: [Double], _ y: [Double]) -> Double {
            let mx = mean(x), my = mean(y)
            return zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / Double(x.count - 1)
        }
        let varA = cov(a.v10, a.v10) / Double(m) + cov(a.v01, a.v01) / Double(n)
        let varB = cov(b.v10, b.v10) / Double(m) + cov(b.v01, b.v01) / Double(n)
        let covAB = cov(a.v10, b.v10) / Double(m) + cov(a.v01, b.v01) / Double(n)
        let diff = a.auc - b.auc
        let se = max(0, varA + varB - 2 * covAB).squareRoot()
        let z: Double = se > 0 ? diff / se : (diff == 0 ? .nan : (diff > 0 ? .infinity : -.infinity))
        let q = -normalQuantile((1 - level) / 2)
        return DeLongTest(aucA: a.auc, aucB: b.auc, difference: diff, standardError: se, lower: diff - q * se, upper: diff + q * se,
                          z: z, p: z.isInfinite ? 0 : normalTwoSided(z), positives: m, negatives: n)
    }

    /// The p-quantile of the standard normal (bisection on erfc).
    public static func normalQuantile(_ p: Double) -> Double {
        guard p > 0, p < 1 else { return p == 0 ? -.infinity : p == 1 ? .infinity : .nan }
        var lo = -40.0, hi = 40.0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mid == lo || mid == hi { break }
            if normalCDF(mid) < p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}
