// One property alone as a real/fake score: AUC in the better direction, the best cut and its rule, by hand.

import XCTest
@testable import Metrics

final class FeatureSeparationTests: XCTestCase {
    func testPerfectSeparationInBothDirections() {
        let up = FeatureSeparation(values: [1, 2, 3, 4], labels: [0, 0, 1, 1])
        XCTAssertEqual(up.auc, 1); XCTAssertTrue(up.higherMeansFake)
        XCTAssertEqual(up.threshold, 3); XCTAssertEqual(up.balancedAccuracy, 1)
        XCTAssertEqual(up.rule, "fake if >= 3")
        // Smaller values mean fake: raw AUC 0, reported as 1 with the direction and the cut "<= 2".
        let down = FeatureSeparation(values: [1, 2, 3, 4], labels: [1, 1, 0, 0])
        XCTAssertEqual(down.auc, 1); XCTAssertFalse(down.higherMeansFake)
        XCTAssertEqual(down.threshold, 2); XCTAssertEqual(down.rule, "fake if <= 2")
    }

    func testPartialSeparationByHand() {
        // Fakes 2, 4 against reals 1, 3: 3 of 4 pairs ordered -> AUC 0.75. Cuts (TPR, FPR): >= 4 (0.5, 0),
        // >= 3 (0.5, 0.5), >= 2 (1, 0.5): J = 0.5 first at 4, balanced accuracy 0.75.
        let s = FeatureSeparation(values: [1, 2, 3, 4], labels: [0, 1, 0, 1])
        XCTAssertEqual(s.auc, 0.75, accuracy: 1e-12)
        XCTAssertTrue(s.higherMeansFake)
        XCTAssertEqual(s.threshold, 4)
        XCTAssertEqual(s.balancedAccuracy, 0.75, accuracy: 1e-12)
        // Ties count one half: equal values carry no information -> 0.5.
        let flat = FeatureSeparation(values: [5, 5, 5, 5], labels: [0, 1, 0, 1])
        XCTAssertEqual(flat.auc, 0.5)
        XCTAssertEqual(flat.rule, "no useful cut")
    }

    func testUndefinedWithOneClass() {
        let s = FeatureSeparation(values: [1, 2], labels: [1, 1])
        XCTAssertTrue(s.auc.isNaN)
        XCTAssertEqual(s.rule, "undefined")
        XCTAssertEqual(FeatureSeparation.short(12), "12")
        XCTAssertEqual(FeatureSeparation.short(0.123456), "0.1235")
    }
}
