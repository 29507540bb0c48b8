// Ranking metrics that use the scores, not one threshold: ROC curve, ROC AUC (exact, ties by
// midranks), average precision (step-wise, as sklearn) and the equal error rate.
//
// Undefined-case rule, used throughout: when the labels hold only one class, or any score is NaN,
// AUC, average precision and EER are NaN (sklearn raises or warns instead). NaN propagates into the
// epoch CSV and JSON as "nan" / null so a reader sees "not computable", never a made-up 0.5.

/// The ROC curve at every distinct score, scores descending, like sklearn's
/// `roc_curve(y, p, drop_intermediate=False)`: point 0 is (0, 0) at threshold +inf, then one
/// point per distinct score s with fpr/tpr of the rule "predict fake when p >= s".
public struct ROCCurve: Equatable, Sendable {
    public var fpr: [Double]
    public var tpr: [Double]
    public var thresholds: [Double]

    /// Builds the curve; empty when the curve is undefined (one class only, or NaN scores).
    public init(labels: [Int32], pFake: [Double]) {
        fpr = []; tpr = []; thresholds = []
        guard let steps = RankSteps(labels: labels, pFake: pFake) else { return }
        fpr.append(0); tpr.append(0); thresholds.append(.infinity)
        for s in steps.steps {
            fpr.append(Double(s.fp) / Double(steps.negatives))
            tpr.append(Double(s.tp) / Double(steps.positives))
            thresholds.append(s.score)
        }
    }

    public var isEmpty: Bool { fpr.isEmpty }
}

/// Cumulative (tp, fp) at each distinct score, scores descending: the shared core of the curves.
struct RankSteps {
    struct Step { var score: Double; var tp: Int; var fp: Int }
    var steps: [Step] = []
    var positives = 0, negatives = 0

    /// nil when undefined: one class only, or a NaN score.
    init?(labels: [Int32], pFake: [Double]) {
        precondition(labels.count == pFake.count, "labels (\(labels.count)) and pFake (\(pFake.count)) differ in length")
        if pFake.contains(where: { $0.isNaN }) { return nil }
        positives = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = pFake.indices.sorted { pFake[$0] > pFake[$1] }
        var tp = 0, fp = 0
        for (k, i) in order.enumerated() {
            if labels[i] == 1 { tp += 1 } else { fp += 1 }
            // Close a step only after the last of a run of tied scores.
            if k + 1 == order.count || pFake[order[k + 1]] != pFake[i] {
                steps.append(Step(score: pFake[i], tp: tp, fp: fp))
            }
        }
    }
}

public enum Ranking {
    /// ROC AUC by the Mann-Whitney U statistic: with midranks r_i of all scores ascending (tied
    /// scores share the mean of their ranks), AUC = (sum_{i fake} r_i - P(P+1)/2) / (P N), which
    /// equals P(score_fake > score_real) + 0.5 P(tie). Exact; O(n log n). NaN when undefined.
    public static func rocAUC(labels: [Int32], pFake: [Double]) -> Double {
        precondition(labels.count == pFake.count, "labels (\(labels.count)) and pFake (\(pFake.count)) differ in length")
        if pFake.contains(where: { $0.isNaN }) { return .nan }
        let p = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }, n = labels.count - p
        guard p > 0, n > 0 else { return .nan }
        let order = pFake.indices.sorted { pFake[$0] < pFake[$1] }
        var rankSumFake = 0.0
        var start = 0
        while start < order.count {
            var end = start  // [start, end] is a run of equal scores
            while end + 1 < order.count && pFake[order[end + 1]] == pFake[order[start]] { end += 1 }
            let midrank = Double(start + end + 2) / 2  // ranks are 1-based: (start+1 + end+1) / 2
            for k in start...end where labels[order[k]] == 1 { rankSumFake += midrank }
            start = end + 1
        }
        let P = Double(p), N = Double(n)
        return (rankSumFake - P * (P + 1) / 2) / (P * N)
    }

    /// Average precision as sklearn's `average_precision_score`: AP = sum_k (R_k - R_{k-1}) P_k over
    /// the distinct thresholds, scores descending, with R_0 = 0 (a step function, no interpolation).
    /// NaN when undefined.
    public static func averagePrecision(labels: [Int32], pFake: [Double]) -> Double {
        guard let r = RankSteps(labels: labels, pFake: pFake) else { return .nan }
        var ap = 0.0, prevRecall = 0.0
        for s in r.steps {
            let recall = Double(s.tp) / Double(r.positives)
            let precision = Double(s.tp) / Double(s.tp + s.fp)
            ap += (recall - prevRecall) * precision
            prevRecall = recall
        }
        return ap
    }

    /// Equal error rate: the rate where FPR = FNR (FNR = 1 - TPR) on the ROC curve, linearly
    /// interpolated between the two curve points where FPR - FNR changes sign, and the score
    /// threshold there (interpolated the same way; when the crossing lies next to the +inf start
    /// point, the finite neighbour's threshold is used). NaN, NaN when undefined.
    public static func equalErrorRate(labels: [Int32], pFake: [Double]) -> (eer: Double, threshold: Double) {
        let roc = ROCCurve(labels: labels, pFake: pFake)
        guard !roc.isEmpty else { return (.nan, .nan) }
        // d = FPR - FNR goes from -1 at (0, 0) to +1 at (1, 1), so a crossing exists.
        let d = roc.fpr.indices.map { roc.fpr[$0] - (1 - roc.tpr[$0]) }
        guard let i = d.firstIndex(where: { $0 >= 0 }) else { return (.nan, .nan) }
        if d[i] == 0 || i == 0 { return (roc.fpr[i], roc.thresholds[i]) }
        let t = -d[i - 1] / (d[i] - d[i - 1])  // in (0, 1]
        let eer = roc.fpr[i - 1] + t * (roc.fpr[i] - roc.fpr[i - 1])
        let a = roc.thresholds[i - 1], b = roc.thresholds[i]
        let threshold = a.isFinite ? a + t * (b - a) : b
        return (eer, threshold)
    }
}
