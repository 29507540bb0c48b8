// Threshold metrics for binary real-vs-fake classification: the confusion matrix and what follows
// from it (accuracy, precision, recall, F1).
//
// Convention everywhere: label 1 = fake = positive, 0 = real = negative; `p` is p(fake); an image is
// predicted fake when p >= threshold (0.5 by default), the same rule roc_curve thresholds use.

/// Counts of a binary confusion matrix at one threshold.
public struct ConfusionMatrix: Equatable, Codable, Sendable {
    /// Fakes predicted fake.
    public var tp = 0
    /// Reals predicted fake.
    public var fp = 0
    /// Reals predicted real.
    public var tn = 0
    /// Fakes predicted real.
    public var fn = 0

    public init(tp: Int = 0, fp: Int = 0, tn: Int = 0, fn: Int = 0) {
        self.tp = tp; self.fp = fp; self.tn = tn; self.fn = fn
    }

    /// Counts predictions `p[i] >= threshold` against `labels[i]` (1 = fake). A NaN p counts as
    /// "predicted real" (NaN >= t is false), so a diverged model shows up as bad recall.
    /// - Precondition: equal lengths; labels are 0 or 1.
    public init(labels: [Int32], pFake: [Double], threshold: Double = 0.5) {
        precondition(labels.count == pFake.count, "labels (\(labels.count)) and pFake (\(pFake.count)) differ in length")
        for i in labels.indices {
            let fake = labels[i] == 1
            precondition(fake || labels[i] == 0, "label \(labels[i]) at \(i) is neither 0 (real) nor 1 (fake)")
            switch (fake, pFake[i] >= threshold) {
            case (true, true): tp += 1
            case (false, true): fp += 1
            case (false, false): tn += 1
            case (true, false): fn += 1
            }
        }
    }

    /// Adds another matrix's counts (e.g. from another MPI rank or batch).
    public mutating func add(_ o: ConfusionMatrix) {
        tp += o.tp; fp += o.fp; tn += o.tn; fn += o.fn
    }

    public var count: Int { tp + fp + tn + fn }
    public var positives: Int { tp + fn }
    public var negatives: Int { tn + fp }

    /// (tp + tn) / count; NaN for an empty matrix.
    public var accuracy: Double { count == 0 ? .nan : Double(tp + tn) / Double(count) }

    /// tp / (tp + fp); 0 when nothing is predicted fake (sklearn's zero_division=0).
    public var precision: Double { tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp) }

    /// tp / (tp + fn), the true-positive rate; 0 when there are no fakes (zero_division=0).
    public var recall: Double { tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn) }

    /// Harmonic mean 2PR / (P + R) = 2tp / (2tp + fp + fn); 0 when tp = 0 (including the undefined
    /// 0/0 case, as sklearn with zero_division=0).
    public var f1: Double { tp == 0 ? 0 : Double(2 * tp) / Double(2 * tp + fp + fn) }

    /// fp / (fp + tn); 0 when there are no reals.
    public var falsePositiveRate: Double { fp + tn == 0 ? 0 : Double(fp) / Double(fp + tn) }
}
