// All metrics of one evaluation (validation epoch or test) in one value, and the running mean that
// makes epoch averages cover the WHOLE epoch (the old tool reported the last batch only).

/// Every metric of one evaluation; fake = 1 = positive. Codable so it goes straight into the test
/// JSON; NaN fields (undefined AUC and friends) are encoded by Reporting's JSON writer as null.
public struct BinaryMetrics: Equatable, Codable, Sendable {
    public var count: Int
    /// Number of fakes (label 1).
    public var positives: Int
    /// Number of reals (label 0).
    public var negatives: Int
    /// Threshold on p(fake) for the confusion matrix.
    public var threshold: Double
    public var confusion: ConfusionMatrix
    public var accuracy: Double
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// NaN when one class only.
    public var auc: Double
    public var averagePrecision: Double
    public var eer: Double
    public var eerThreshold: Double

    /// Computes everything from labels (1 = fake) and p(fake).
    public init(labels: [Int32], pFake: [Double], threshold: Double = 0.5) {
        let cm = ConfusionMatrix(labels: labels, pFake: pFake, threshold: threshold)
        confusion = cm
        count = cm.count; positives = cm.positives; negatives = cm.negatives
        self.threshold = threshold
        accuracy = cm.accuracy; precision = cm.precision; recall = cm.recall; f1 = cm.f1
        auc = Ranking.rocAUC(labels: labels, pFake: pFake)
        averagePrecision = Ranking.averagePrecision(labels: labels, pFake: pFake)
        (eer, eerThreshold) = Ranking.equalErrorRate(labels: labels, pFake: pFake)
    }

    /// Equality that treats NaN as equal to NaN (undefined == undefined), for tests and caching.
    public static func == (a: BinaryMetrics, b: BinaryMetrics) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.count == b.count && a.positives == b.positives && a.negatives == b.negatives
            && a.confusion == b.confusion && same(a.threshold, b.threshold) && same(a.accuracy, b.accuracy)
            && same(a.precision, b.precision) && same(a.recall, b.recall) && same(a.f1, b.f1)
            && same(a.auc, b.auc) && same(a.averagePrecision, b.averagePrecision)
            && same(a.eer, b.eer) && same(a.eerThreshold, b.eerThreshold)
    }
}

/// A mean of per-batch values weighted by batch size: after batches of sizes n_b with means m_b,
/// `mean` = sum_b n_b m_b / sum_b n_b, i.e. the per-sample mean over everything added, however the
/// batches were cut (the last, smaller batch counts for what it holds).
public struct RunningMean: Equatable, Sendable {
    /// sum_b n_b m_b. Public so ranks can allreduce (weightedSum, weight) and rebuild the mean.
    public private(set) var weightedSum = 0.0
    /// sum_b n_b.
    public private(set) var weight = 0.0

    public init() {}

    /// Rebuilds an accumulator from reduced totals.
    public init(weightedSum: Double, weight: Double) {
        self.weightedSum = weightedSum; self.weight = weight
    }

    /// Adds a batch whose per-sample mean is `batchMean` over `count` samples.
    public mutating func add(_ batchMean: Double, count: Int) {
        precondition(count >= 0, "a batch cannot have \(count) samples")
        weightedSum += batchMean * Double(count)
        weight += Double(count)
    }

    /// Adds another accumulator (another rank, another shard).
    public mutating func merge(_ o: RunningMean) {
        weightedSum += o.weightedSum; weight += o.weight
    }

    /// The weighted mean; NaN before anything was added.
    public var mean: Double { weight == 0 ? .nan : weightedSum / weight }

    /// Number of samples added.
    public var count: Int { Int(weight) }
}
