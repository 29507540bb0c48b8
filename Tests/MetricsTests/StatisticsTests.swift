// Statistics against scipy/sklearn: the values in Fixtures/statistics.json were computed by
// benchmarks/statistics_fixtures.py (scipy.stats.t, ttest_rel, wilcoxon; sklearn roc_auc_score;
// DeLong from its O(m n) definition) and committed, so CI runs no Python.

import Foundation
import XCTest
@testable import Metrics

final class StatisticsTests: XCTestCase {
    func fixture() throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "statistics", withExtension: "json", subdirectory: "Fixtures"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func cases(_ key: String) throws -> [[String: Any]] {
        let c = try XCTUnwrap(try fixture()[key] as? [[String: Any]], "fixture has no \(key)")
        XCTAssertFalse(c.isEmpty)
        return c
    }

    func d(_ o: [String: Any], _ k: String) -> Double { (o[k] as? NSNumber)?.doubleValue ?? .nan }
    func v(_ o: [String: Any], _ k: String) -> [Double] { (o[k] as? [NSNumber])?.map(\.doubleValue) ?? [] }

    func testTQuantilesMatchScipy() throws {
        for c in try cases("t_quantiles") {
            let q = Statistics.tQuantile(d(c, "p"), degreesOfFreedom: d(c, "df"))
            XCTAssertEqual(q, d(c, "q"), accuracy: 1e-9 * max(1, abs(d(c, "q"))), "t.ppf(\(d(c, "p")), \(d(c, "df")))")
        }
        // The textbook table value every 95% interval of 5 seeds uses.
        XCTAssertEqual(Statistics.tQuantile(0.975, degreesOfFreedom: 4), 2.7764451051977987, accuracy: 1e-10)
    }

    func testTCDFMatchesScipy() throws {
        for c in try cases("t_cdf") {
            XCTAssertEqual(Statistics.tCDF(d(c, "t"), degreesOfFreedom: d(c, "df")), d(c, "cdf"), accuracy: 1e-12,
                           "t.cdf(\(d(c, "t")), \(d(c, "df")))")
        }
    }

    func testMeanIntervalsMatchScipy() throws {
        for c in try cases("mean_intervals") {
            let iv = Statistics.meanInterval(v(c, "x"))
            XCTAssertEqual(iv.mean, d(c, "mean"), accuracy: 1e-12)
            XCTAssertEqual(iv.lower, d(c, "lower"), accuracy: 1e-10)
            XCTAssertEqual(iv.upper, d(c, "upper"), accuracy: 1e-10)
        }
        let one = Statistics.meanInterval([0.7])
        XCTAssertEqual(one.mean, 0.7)
        XCTAssertTrue(one.lower.isNaN && one.upper.isNaN, "one value has no interval")
    }

    func testPairedTTestMatchesScipy() throws {
        for c in try cases("paired_t") {
            let r = Statistics.pairedTTest(v(c, "a"), v(c, "b"))
            XCTAssertEqual(r.t, d(c, "t"), accuracy: 1e-9 * max(1, abs(d(c, "t"))))
            XCTAssertEqual(r.p, d(c, "p"), accuracy: 1e-10)
            XCTAssertEqual(r.meanDifference, d(c, "mean_difference"), accuracy: 1e-12)
            XCTAssertEqual(r.lower, d(c, "lower"), accuracy: 1e-10)
            XCTAssertEqual(r.upper, d(c, "upper"), accuracy: 1e-10)
        }
        // Every difference equal: scipy's t is +-inf (p 0) when nonzero, NaN when zero.
        XCTAssertEqual(Statistics.pairedTTest([1, 2, 3], [0, 1, 2]).p, 0)
        XCTAssertTrue(Statistics.pairedTTest([1, 2, 3], [1, 2, 3]).p.isNaN)
    }

    func testWilcoxonMatchesScipy() throws {
        for c in try cases("wilcoxon") {
            let r = Statistics.wilcoxonSignedRank(v(c, "a"), v(c, "b"))
            XCTAssertEqual(r.statistic, d(c, "statistic"), accuracy: 1e-12, "a \(v(c, "a"))")
            XCTAssertEqual(r.p, d(c, "p"), accuracy: 1e-10, "a \(v(c, "a")) (\(r.method))")
        }
        // Five seeds all in one direction: the smallest two-sided exact p, 2/32.
        XCTAssertEqual(Statistics.wilcoxonSignedRank([5, 6, 7, 8, 9], [1, 1, 1, 1, 1]).p, 0.0625, accuracy: 1e-15)
    }

    func testDeLongMatchesTheDefinitionAndSklearnAUC() throws {
        for c in try cases("delong") {
            let labels = v(c, "labels").map { Int32($0) }
            let r = Statistics.deLong(labels: labels, scoresA: v(c, "a"), scoresB: v(c, "b"))
            XCTAssertEqual(r.aucA, d(c, "auc_a"), accuracy: 1e-12)
            XCTAssertEqual(r.aucB, d(c, "auc_b"), accuracy: 1e-12)
            XCTAssertEqual(r.difference, d(c, "difference"), accuracy: 1e-12)
            XCTAssertEqual(r.standardError, d(c, "standard_error"), accuracy: 1e-10)
            XCTAssertEqual(r.z, d(c, "z"), accuracy: 1e-8)
            XCTAssertEqual(r.p, d(c, "p"), accuracy: 1e-10)
            XCTAssertEqual(r.lower, d(c, "lower"), accuracy: 1e-9)
            XCTAssertEqual(r.upper, d(c, "upper"), accuracy: 1e-9)
            // The AUC agrees with the package's own ranking code too.
            XCTAssertEqual(r.aucA, Ranking.rocAUC(labels: labels, pFake: v(c, "a")), accuracy: 1e-12)
        }
        // The same scores twice: no difference and no variance of it.
        let s = [0.1, 0.4, 0.35, 0.8]
        let same = Statistics.deLong(labels: [0, 0, 1, 1], scoresA: s, scoresB: s)
        XCTAssertEqual(same.difference, 0)
        XCTAssertTrue(same.p.isNaN)
    }
}
