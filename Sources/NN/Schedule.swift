// Learning-rate schedules and early stopping.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A learning rate as a function of a step counter. Whether a "step" is an optimiser step or an
/// epoch is the caller's choice: pass the same unit to `warmupSteps`, `totalSteps` and `rate(at:)`.
public enum LearningRateSchedule: Sendable, Equatable {
    case constant(Float)
    /// Linear warm-up from base/warmupSteps to `base` over `warmupSteps`, then cosine decay
    /// to `minimum` at `totalSteps` (held there afterwards).
    case cosine(base: Float, warmupSteps: Int, totalSteps: Int, minimum: Float)

    /// The rate for 0-based step `t`.
    public func rate(at t: Int) -> Float {
        switch self {
        case .constant(let lr):
            return lr
        case let .cosine(base, warmup, total, minimum):
            if t < warmup { return base * Float(t + 1) / Float(warmup) }
            let span = Swift.max(1, total - warmup)
            let progress = Swift.min(1, Double(t - warmup) / Double(span))
            return minimum + (base - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}

/// Stops training when a monitored metric has not improved for `patience` consecutive epochs.
public struct EarlyStopping: Sendable {
    public enum Mode: Sendable { case max, min }
    public let mode: Mode
    public let patience: Int
    /// Improvement smaller than this does not count.
    public let minDelta: Double
    public private(set) var best: Double?
    public private(set) var bestEpoch: Int?
    public private(set) var epochsWithoutImprovement = 0
    private var epoch = 0

    public init(mode: Mode, patience: Int, minDelta: Double = 0) {
        precondition(patience >= 1, "EarlyStopping patience must be at least 1")
        self.mode = mode; self.patience = patience; self.minDelta = minDelta
    }

    /// What `update` has accumulated, for a resumable checkpoint.
    public struct State: Codable, Sendable, Equatable {
        public var best: Double?
        public var bestEpoch: Int?
        public var epochsWithoutImprovement: Int
        public var epoch: Int
    }

    public var state: State {
        State(best: best, bestEpoch: bestEpoch, epochsWithoutImprovement: epochsWithoutImprovement, epoch: epoch)
    }

    /// Continues from a saved `state` (same mode and patience as the run that saved it).
    public mutating func restore(_ s: State) {
        best = s.best; bestEpoch = s.bestEpoch; epochsWithoutImprovement = s.epochsWithoutImprovement; epoch = s.epoch
    }

    /// Records one epoch's metric. `isBest`: this epoch is the best so far (save a checkpoint);
    /// `shouldStop`: `patience` epochs in a row have not improved on the best.
    public mutating func update(_ value: Double) -> (isBest: Bool, shouldStop: Bool) {
        defer { epoch += 1 }
        let improved: Bool
        if let b = best {
            improved = mode == .max ? value > b + minDelta : value < b - minDelta
        } else {
            improved = !value.isNaN
        }
        if improved {
            best = value; bestEpoch = epoch; epochsWithoutImprovement = 0
        } else {
            epochsWithoutImprovement += 1
        }
        return (improved, epochsWithoutImprovement >= patience)
    }
}
