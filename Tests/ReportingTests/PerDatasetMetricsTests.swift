// Per-test-set metrics: hand-computed AUC, confusion and accuracy per dataset, the in-domain flag,
// the pooled in-domain / cross-dataset split, and the per_dataset object of test_metrics.json.

import XCTest
import Foundation
import Metrics
@testable import Reporting

final class PerDatasetMetricsTests: XCTestCase {
    /// deepfake2k (cross-dataset): labels 0,1,1 with p 0.2,0.3,0.8: both fakes above the real -> AUC 1;
    /// at 0.5: TP 1 (0.8), FN 1 (0.3), TN 1 -> accuracy 2/3, precision 1, recall 1/2.
    /// hard1k (in-domain): labels 0,0,1,1 with p 0.1,0.6,0.4,0.9: 3 of 4 (fake, real) pairs ordered
    /// right -> AUC 3/4; TP 1, FP 1 (0.6), TN 1, FN 1 (0.4) -> accuracy, precision, recall 1/2.
    /// Interleaved, and deepfake2k first, to check grouping and first-appearance order.
    let rows = [
        Prediction(path: "d/r1.jpg", dataset: "deepfake2k", label: 0, pFake: 0.2),
        Prediction(path: "h/r1.jpg", dataset: "hard1k", label: 0, pFake: 0.1),
        Prediction(path: "d/f1.jpg", dataset: "deepfake2k", label: 1, pFake: 0.3),
        Prediction(path: "h/r2.jpg", dataset: "hard1k", label: 0, pFake: 0.6),
        Prediction(path: "h/f1.jpg", dataset: "hard1k", label: 1, pFake: 0.4),
        Prediction(path: "d/f2.jpg", dataset: "deepfake2k", label: 1, pFake: 0.8),
        Prediction(path: "h/f2.jpg", dataset: "hard1k", label: 1, pFake: 0.9),
    ]

    func testEveryMetricPerDatasetByHand() throws {
        let per = PerDatasetMetrics.compute(rows, trainDatasets: ["hard1k"])
        XCTAssertEqual(per.map(\.dataset), ["deepfake2k", "hard1k"])
        XCTAssertEqual(per.map(\.inDomain), [false, true])
        let d = per[0].metrics, h = per[1].metrics
        XCTAssertEqual(d.count, 3); XCTAssertEqual(d.negatives, 1); XCTAssertEqual(d.positives, 2)
        XCTAssertEqual(d.auc, 1.0, accuracy: 1e-12)
        XCTAssertEqual(d.accuracy, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(d.precision, 1.0, accuracy: 1e-12)
        XCTAssertEqual(d.recall, 0.5, accuracy: 1e-12)
        XCTAssertEqual(d.f1, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual([d.confusion.tp, d.confusion.fp, d.confusion.tn, d.confusion.fn], [1, 0, 1, 1])
        XCTAssertEqual(h.count, 4)
        XCTAssertEqual(h.auc, 0.75, accuracy: 1e-12)
        XCTAssertEqual(h.accuracy, 0.5, accuracy: 1e-12)
        XCTAssertEqual(h.precision, 0.5, accuracy: 1e-12)
        XCTAssertEqual(h.recall, 0.5, accuracy: 1e-12)
        XCTAssertEqual([h.confusion.tp, h.confusion.fp, h.confusion.tn, h.confusion.fn], [1, 1, 1, 1])
    }

    func testPooledInDomainAndCrossDataset() {
        let pooled = PerDatasetMetrics.pooledByDomain(rows, trainDatasets: ["hard1k"])
        XCTAssertEqual(pooled.inDomain?.count, 4)
        XCTAssertEqual(pooled.inDomain?.auc ?? .nan, 0.75, accuracy: 1e-12)
        XCTAssertEqual(pooled.crossDataset?.count, 3)
        XCTAssertEqual(pooled.crossDataset?.auc ?? .nan, 1.0, accuracy: 1e-12)
        // Both trained on: no cross-dataset group; the log then has no pooled lines either.
        XCTAssertNil(PerDatasetMetrics.pooledByDomain(rows, trainDatasets: ["hard1k", "deepfake2k"]).crossDataset)
        let lines = PerDatasetMetrics.logLines(rows, trainDatasets: ["hard1k"])
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[0].hasPrefix("test on deepfake2k (cross-dataset): 3 images (1 real, 2 fake), accuracy 0.6667"), lines[0])
        XCTAssertTrue(lines[0].contains("AUC 1.0000"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("test on hard1k (in-domain): 4 images (2 real, 2 fake)"), lines[1])
        XCTAssertTrue(lines[1].contains("AUC 0.7500"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("test pooled in-domain: 4 images"), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("test pooled cross-dataset: 3 images"), lines[3])
        XCTAssertEqual(PerDatasetMetrics.logLines(rows, trainDatasets: ["other"]).count, 2)
    }

    func testJSONKeepsPooledFieldsAndAddsPerDataset() throws {
        let pooled = BinaryMetrics(labels: rows.map(\.label), pFake: rows.map(\.pFake))
        let per = PerDatasetMetrics.compute(rows, trainDatasets: ["hard1k"])
        let path = try temporaryFolder(self) + "/test_metrics.json"
        try TestOutputs.writeJSON(PerDatasetMetrics.metricsObject(pooled: pooled, perDataset: per, context: ["model": "Classic"]), to: path)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        // Pooled over all 7: fakes 0.4, 0.9, 0.3, 0.8 against reals 0.1, 0.6, 0.2 win 2+3+2+3 of 12 pairs.
        XCTAssertEqual(o["auc"] as? Double ?? .nan, 10.0 / 12, accuracy: 1e-12)
        XCTAssertEqual(o["count"] as? Int, 7)
        XCTAssertEqual((o["context"] as? [String: Any])?["model"] as? String, "Classic")
        // The top level is exactly today's object plus per_dataset.
        let today = TestOutputs.metricsObject(pooled, context: ["model": "Classic"])
        XCTAssertEqual(Set(o.keys), Set(today.keys).union(["per_dataset"]))
        let perDataset = try XCTUnwrap(o["per_dataset"] as? [String: [String: Any]])
        XCTAssertEqual(Set(perDataset.keys), ["hard1k", "deepfake2k"])
        XCTAssertEqual(perDataset["hard1k"]?["in_domain"] as? Bool, true)
        XCTAssertEqual(perDataset["deepfake2k"]?["in_domain"] as? Bool, false)
        XCTAssertEqual(perDataset["hard1k"]?["auc"] as? Double ?? .nan, 0.75, accuracy: 1e-12)
        XCTAssertEqual(perDataset["deepfake2k"]?["count"] as? Int, 3)
        XCTAssertEqual((perDataset["hard1k"]?["confusion_matrix"] as? [String: Int])?["fp"], 1)
        XCTAssertEqual(Set(perDataset["hard1k"]!.keys), Set(TestOutputs.metricsObject(pooled).keys).union(["in_domain"]))
    }

    func testOneClassDatasetWritesNullAUC() throws {
        let one = [Prediction(path: "a", dataset: "reals", label: 0, pFake: 0.3),
                   Prediction(path: "b", dataset: "reals", label: 0, pFake: 0.7)]
        let per = PerDatasetMetrics.compute(one, trainDatasets: [])
        XCTAssertTrue(per[0].metrics.auc.isNaN)
        let object = PerDatasetMetrics.jsonObject(per)
        XCTAssertTrue(JSONSerialization.isValidJSONObject(object))
        XCTAssertTrue((object["reals"] as? [String: Any])?["auc"] is NSNull)
    }
}
