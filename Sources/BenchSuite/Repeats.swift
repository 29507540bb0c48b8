// Repeats and spread: every timed point runs one untimed warm-up and then `repeats` timed runs,
// and the configurations of one study are interleaved (A B A B ...), so machine noise (other
// jobs, frequency changes) hits every configuration alike instead of one run of repeats. Tables
// show the median and the min-max of the kept repeats; the files keep every repeat.

import Core

/// The spread of a list of timings.
public struct Spread: Sendable, Equatable {
    public let median: Double
    public let min: Double
    public let max: Double
    public let count: Int

    /// NaN figures for an empty list.
    public init(_ values: [Double]) {
        let v = values.filter { $0.isFinite }.sorted()
        count = v.count
        guard !v.isEmpty else { median = .nan; min = .nan; max = .nan; return }
        median = v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        min = v[0]; max = v[v.count - 1]
    }
}

/// How many repeats a study runs.
public struct RepeatPlan: Sendable, Equatable {
    /// Timed repeats per configuration (>= 1).
    public var repeats: Int
    /// Untimed runs before the first timed one (allocations, caches, page faults).
    public var warmups: Int

    public init(repeats: Int, warmups: Int = 1) {
        self.repeats = Swift.max(1, repeats); self.warmups = Swift.max(0, warmups)
    }

    /// The default: 5 timed repeats, 2 with --quick; one warm-up each.
    public static func standard(quick: Bool, repeats: Int? = nil) -> RepeatPlan {
        RepeatPlan(repeats: repeats ?? (quick ? 2 : 5))
    }

    /// Runs `warmups` untimed rounds over every configuration, then `repeats` timed rounds,
    /// each round visiting the configurations in order (interleaved). `measure(i)` runs
    /// configuration i once and returns its seconds; the result holds every timed value per
    /// configuration in run order.
    public func interleaved(_ configurations: Int, _ measure: (Int) -> Double) -> [[Double]] {
        for _ in 0..<warmups { for i in 0..<configurations { _ = measure(i) } }
        var out = Array(repeating: [Double](), count: configurations)
        for _ in 0..<repeats { for i in 0..<configurations { out[i].append(measure(i)) } }
        return out
    }
}
