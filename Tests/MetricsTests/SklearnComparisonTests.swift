// Metrics against scikit-learn 1.9.1. The constants below were computed once by
// benchmarks/metrics_sklearn_reference.py (numpy default_rng(7), 24 samples, scores rounded to one
// decimal so there are ties within and across classes) and pasted here; CI never runs Python.

import XCTest
@testable import Metrics

final class SklearnComparisonTests: XCTestCase {
    let labels: [Int32] = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0]
    let scores = [0.5, 0.6, 0.7, 0.7, 1.0, 0.9, 0.8, 0.6, 0.1, 0.1, 0.4, 0.4, 0.4, 0.3, 0.3, 0.9, 0.4, 0.7, 0.3, 0.2, 0.4, 0.1, 0.4, 0.1]

    func testAgainstSklearn() {
        let m = BinaryMetrics(labels: labels, pFake: scores)
        // confusion_matrix(labels, scores >= 0.5).ravel() -> tn, fp, fn, tp = 11, 1, 3, 9
        XCTAssertEqual(m.confusion, ConfusionMatrix(tp: 9, fp: 1, tn: 11, fn: 3))
        XCTAssertEqual(m.accuracy, 0.8333333333333334, accuracy: 1e-15)   // accuracy_score
        XCTAssertEqual(m.precision, 0.9, accuracy: 1e-15)                 // precision_score
        XCTAssertEqual(m.recall, 0.75, accuracy: 1e-15)                   // recall_score
        XCTAssertEqual(m.f1, 0.8181818181818182, accuracy: 1e-15)         // f1_score
        XCTAssertEqual(m.auc, 0.9375, accuracy: 1e-15)                    // roc_auc_score
        XCTAssertEqual(m.averagePrecision, 0.9199074074074075, accuracy: 1e-15)  // average_precision_score
        // EER by interpolating roc_curve where FPR - FNR changes sign (same rule, numpy).
        XCTAssertEqual(m.eer, 0.16666666666666669, accuracy: 1e-15)
        XCTAssertEqual(m.eerThreshold, 0.4666666666666667, accuracy: 1e-15)
    }

    func testROCCurveMatchesSklearn() {
        // roc_curve(labels, scores, drop_intermediate=False)
        let roc = ROCCurve(labels: labels, pFake: scores)
        let fpr = [0.0, 0.0, 0.0, 0.0, 0.0, 0.08333333333333333, 0.08333333333333333, 0.3333333333333333, 0.5833333333333334, 0.6666666666666666, 1.0]
        let tpr = [0.0, 0.08333333333333333, 0.25, 0.3333333333333333, 0.5833333333333334, 0.6666666666666666, 0.75, 1.0, 1.0, 1.0, 1.0]
        let thr = [Double.infinity, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
        XCTAssertEqual(roc.thresholds, thr)
        XCTAssertEqual(roc.fpr.count, fpr.count)
        for i in fpr.indices {
            XCTAssertEqual(roc.fpr[i], fpr[i], accuracy: 1e-15)
            XCTAssertEqual(roc.tpr[i], tpr[i], accuracy: 1e-15)
        }
    }
}
