// How well one scalar property of an image (its file size, JPEG quality, sharpness...) separates
// fakes from reals on its own: the ROC AUC of the property used as a score, in whichever direction
// separates better, and the threshold of the best single cut (Youden's J = TPR - FPR). The shortcut
// audit flags a property whose AUC is high: a model can learn it instead of the face.

import Foundation

public struct FeatureSeparation: Equatable, Sendable {
    /// max(AUC, 1 - AUC) of the property as a p(fake) score; NaN when undefined (one class, NaN values).
    public var auc: Double
    /// True: larger values mean fake (the raw AUC was >= 0.5); false: smaller values mean fake.
    public var higherMeansFake: Bool
    /// The best cut: "fake when value >= threshold" (higherMeansFake) or "<= threshold" (otherwise).
    public var threshold: Double
    /// Balanced accuracy (TPR + TNR) / 2 of that cut.
    public var balancedAccuracy: Double

    /// `values[i]` of image i with `labels[i]` (1 = fake).
    public init(values: [Double], labels: [Int32]) {
        let raw = Ranking.rocAUC(labels: labels, pFake: values)
        higherMeansFake = raw.isNaN || raw >= 0.5
        auc = raw.isNaN ? .nan : max(raw, 1 - raw)
        // The cut on the oriented score: negate when smaller means fake, so ">= s" is the rule.
        let oriented = higherMeansFake ? values : values.map { -$0 }
        let curve = ROCCurve(labels: labels, pFake: oriented)
        var best = (j: -Double.infinity, threshold: Double.nan, bacc: Double.nan)
        for k in curve.fpr.indices where curve.thresholds[k].isFinite {
            let j = curve.tpr[k] - curve.fpr[k]
            if j > best.j { best = (j, curve.thresholds[k], (curve.tpr[k] + 1 - curve.fpr[k]) / 2) }
        }
        threshold = best.threshold.isNaN ? .nan : (higherMeansFake ? best.threshold : -best.threshold)
        balancedAccuracy = best.bacc
    }

    /// "fake if >= 12.5" or "fake if <= 80"; "undefined" when the AUC is.
    public var rule: String {
        guard !auc.isNaN, !threshold.isNaN else { return "undefined" }
        // No cut does better than chance (e.g. every image has the same value).
        guard balancedAccuracy > 0.5 else { return "no useful cut" }
        return "fake if " + (higherMeansFake ? ">= " : "<= ") + FeatureSeparation.short(threshold)
    }

    /// A compact number: integers as such, else 4 significant digits.
    public static func short(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        var s = String(format: "%.4g", x)
        if s.contains("e") { s = String(format: "%.3e", x) }
        return s
    }
}
