// Metrics on hand-computed cases (arithmetic in the comments), ties, one-class inputs, and the
// epoch running mean.

import XCTest
@testable import Metrics

final class ConfusionTests: XCTestCase {
    // labels 1 1 0 0 1 0, p .9 .4 .6 .2 .7 .5; predicted fake when p >= .5: 1 0 1 0 1 1
    // -> tp = 2 (i0, i4), fn = 1 (i1), fp = 2 (i2, i5), tn = 1 (i3).
    let labels: [Int32] = [1, 1, 0, 0, 1, 0]
    let p = [0.9, 0.4, 0.6, 0.2, 0.7, 0.5]

    func testCountsAndDerivedRates() {
        let cm = ConfusionMatrix(labels: labels, pFake: p)
        XCTAssertEqual(cm, ConfusionMatrix(tp: 2, fp: 2, tn: 1, fn: 1))
        XCTAssertEqual(cm.accuracy, 3.0 / 6)        // (tp + tn) / 6
        XCTAssertEqual(cm.precision, 2.0 / 4)       // tp / (tp + fp)
        XCTAssertEqual(cm.recall, 2.0 / 3)          // tp / (tp + fn)
        XCTAssertEqual(cm.f1, 4.0 / 7, accuracy: 1e-15)  // 2tp / (2tp + fp + fn) = 4 / 7
        XCTAssertEqual(cm.falsePositiveRate, 2.0 / 3)
        XCTAssertEqual(cm.positives, 3); XCTAssertEqual(cm.negatives, 3)
    }

    func testThresholdIsInclusiveAndMovable() {
        // At 0.6, p = .5 becomes "real": fp 2 -> 1, tn 1 -> 2.
        XCTAssertEqual(ConfusionMatrix(labels: labels, pFake: p, threshold: 0.6), ConfusionMatrix(tp: 2, fp: 1, tn: 2, fn: 1))
    }

    func testUndefinedRatesAreZeroAndEmptyAccuracyIsNaN() {
        // Nothing predicted fake, no fakes at all: precision, recall and F1 are 0/0 -> 0.
        let cm = ConfusionMatrix(labels: [0, 0], pFake: [0.1, 0.2])
        XCTAssertEqual(cm, ConfusionMatrix(tp: 0, fp: 0, tn: 2, fn: 0))
        XCTAssertEqual(cm.precision, 0); XCTAssertEqual(cm.recall, 0); XCTAssertEqual(cm.f1, 0)
        XCTAssertEqual(cm.accuracy, 1)
        XCTAssertTrue(ConfusionMatrix().accuracy.isNaN)
    }

    func testAddMergesCounts() {
        var a = ConfusionMatrix(tp: 1, fp: 2, tn: 3, fn: 4)
        a.add(ConfusionMatrix(tp: 10, fp: 20, tn: 30, fn: 40))
        XCTAssertEqual(a, ConfusionMatrix(tp: 11, fp: 22, tn: 33, fn: 44))
    }
}

final class RankingTests: XCTestCase {
    let labels: [Int32] = [1, 1, 0, 0, 1, 0]
    let p = [0.9, 0.4, 0.6, 0.2, 0.7, 0.5]

    func testAUCCountsWinningPairs() {
        // Fakes {.9, .4, .7} vs reals {.6, .2, .5}: .9 beats 3, .4 beats 1 (.2), .7 beats 3 -> 7 / 9.
        XCTAssertEqual(Ranking.rocAUC(labels: labels, pFake: p), 7.0 / 9, accuracy: 1e-15)
        // Perfect and inverted rankings.
        XCTAssertEqual(Ranking.rocAUC(labels: [0, 0, 1, 1], pFake: [0.1, 0.2, 0.3, 0.4]), 1)
        XCTAssertEqual(Ranking.rocAUC(labels: [1, 1, 0, 0], pFake: [0.1, 0.2, 0.3, 0.4]), 0)
    }

    func testAUCTiesUseMidranks() {
        // Ascending .2(r1), .5 .5 (ranks 2, 3 -> 2.5 each), .8 (r4). Fake ranks 2.5 + 4 = 6.5;
        // U = 6.5 - P(P+1)/2 = 6.5 - 3 = 3.5; AUC = 3.5 / (2 * 2) = 0.875 (the tied pair counts 1/2).
        XCTAssertEqual(Ranking.rocAUC(labels: [1, 0, 1, 0], pFake: [0.5, 0.5, 0.8, 0.2]), 0.875)
        // All scores tied: every pair is a tie -> 0.5.
        XCTAssertEqual(Ranking.rocAUC(labels: [1, 0, 0, 1, 0], pFake: [0.3, 0.3, 0.3, 0.3, 0.3]), 0.5)
    }

    func testAveragePrecisionStepwise() {
        // Descending: .9(F) .7(F) .6(R) .5(R) .4(F) .2(R). Recall rises at .9 (1/3, P 1), .7 (2/3, P 1),
        // .4 (1, P 3/5): AP = 1/3 + 1/3 + 1/3 * 3/5 = 13/15.
        XCTAssertEqual(Ranking.averagePrecision(labels: labels, pFake: p), 13.0 / 15, accuracy: 1e-15)
        // All tied: one step with tp = P, fp = N -> AP = P / (P + N) = 2/5.
        XCTAssertEqual(Ranking.averagePrecision(labels: [1, 0, 0, 1, 0], pFake: [0.3, 0.3, 0.3, 0.3, 0.3]), 0.4, accuracy: 1e-15)
        // A tie across classes at the top: {.8 F, .8 R} then .1 F -> steps (tp1 fp1: R 1/2 P 1/2),
        // (tp2 fp1: R 1 P 2/3): AP = 1/2 * 1/2 + 1/2 * 2/3 = 7/12.
        XCTAssertEqual(Ranking.averagePrecision(labels: [1, 0, 1], pFake: [0.8, 0.8, 0.1]), 7.0 / 12, accuracy: 1e-15)
    }

    func testROCCurvePoints() {
        // Thresholds inf, .9, .7, .6, .5, .4, .2 with (fpr, tpr) from cumulative (fp, tp) / (3, 3).
        let roc = ROCCurve(labels: labels, pFake: p)
        XCTAssertEqual(roc.thresholds, [.infinity, 0.9, 0.7, 0.6, 0.5, 0.4, 0.2])
        XCTAssertEqual(roc.fpr, [0, 0, 0, 1.0 / 3, 2.0 / 3, 2.0 / 3, 1])
        XCTAssertEqual(roc.tpr, [0, 1.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1])
    }

    func testEqualErrorRate() {
        // From the curve above, d = FPR - FNR: -1, -2/3, -1/3, 0 at threshold .6 -> EER 1/3 exactly.
        let exact = Ranking.equalErrorRate(labels: labels, pFake: p)
        XCTAssertEqual(exact.eer, 1.0 / 3, accuracy: 1e-15); XCTAssertEqual(exact.threshold, 0.6)
        // labels 1 1 0, p .9 .2 .5: points (0,0) inf, (0, 1/2) at .9 (d = -1/2), (1, 1/2) at .5
        // (d = +1/2): t = 1/2, EER = 0 + 1/2 * (1 - 0) = 0.5, threshold .9 + 1/2 (.5 - .9) = 0.7.
        let mid = Ranking.equalErrorRate(labels: [1, 1, 0], pFake: [0.9, 0.2, 0.5])
        XCTAssertEqual(mid.eer, 0.5, accuracy: 1e-15); XCTAssertEqual(mid.threshold, 0.7, accuracy: 1e-15)
        // Perfect separation: EER 0 at the lowest fake score.
        let perfect = Ranking.equalErrorRate(labels: [0, 0, 1, 1], pFake: [0.1, 0.2, 0.3, 0.4])
        XCTAssertEqual(perfect.eer, 0); XCTAssertEqual(perfect.threshold, 0.3)
    }

    func testOneClassAndNaNScoresAreUndefined() {
        for (l, s) in [([1, 1, 1] as [Int32], [0.1, 0.5, 0.9]), ([0, 0] as [Int32], [0.2, 0.3]),
                       ([1, 0] as [Int32], [Double.nan, 0.3]), ([] as [Int32], [] as [Double])] {
            XCTAssertTrue(Ranking.rocAUC(labels: l, pFake: s).isNaN)
            XCTAssertTrue(Ranking.averagePrecision(labels: l, pFake: s).isNaN)
            let e = Ranking.equalErrorRate(labels: l, pFake: s)
            XCTAssertTrue(e.eer.isNaN && e.threshold.isNaN)
            XCTAssertTrue(ROCCurve(labels: l, pFake: s).isEmpty)
        }
        // The threshold metrics stay defined for one class.
        let m = BinaryMetrics(labels: [1, 1, 1], pFake: [0.1, 0.5, 0.9])
        XCTAssertEqual(m.accuracy, 2.0 / 3); XCTAssertEqual(m.recall, 2.0 / 3); XCTAssertTrue(m.auc.isNaN)
    }

    func testBinaryMetricsBundlesEverything() {
        let m = BinaryMetrics(labels: labels, pFake: p)
        XCTAssertEqual(m.count, 6); XCTAssertEqual(m.positives, 3); XCTAssertEqual(m.negatives, 3)
        XCTAssertEqual(m.confusion, ConfusionMatrix(tp: 2, fp: 2, tn: 1, fn: 1))
        XCTAssertEqual(m.f1, 4.0 / 7, accuracy: 1e-15)
        XCTAssertEqual(m.auc, 7.0 / 9, accuracy: 1e-15)
        XCTAssertEqual(m.averagePrecision, 13.0 / 15, accuracy: 1e-15)
        XCTAssertEqual(m.eer, 1.0 / 3, accuracy: 1e-15); XCTAssertEqual(m.eerThreshold, 0.6)
        XCTAssertEqual(m, BinaryMetrics(labels: labels, pFake: p))
    }
}

final class RunningMeanTests: XCTestCase {
    func testEpochMeanWeightsEveryBatchBySize() {
        // Batches of 32 with mean 1.0, 32 with mean 2.0, and a last one of 8 with mean 4.0:
        // (32*1 + 32*2 + 8*4) / 72 = 128 / 72 = 1.777...; the last batch alone would say 4.0.
        var m = RunningMean()
        XCTAssertTrue(m.mean.isNaN)
        m.add(1.0, count: 32); m.add(2.0, count: 32); m.add(4.0, count: 8)
        XCTAssertEqual(m.mean, 128.0 / 72, accuracy: 1e-15)
        XCTAssertEqual(m.count, 72)
        // Merging two shards gives the mean of the union.
        var a = RunningMean(); a.add(1.0, count: 32)
        var b = RunningMean(); b.add(2.0, count: 32); b.add(4.0, count: 8)
        a.merge(b)
        XCTAssertEqual(a, m)
        XCTAssertEqual(RunningMean(weightedSum: m.weightedSum, weight: m.weight).mean, m.mean)
    }
}
