// Epoch CSV (appends, flushes, resume, read back), test metrics JSON and predictions CSV.

import XCTest
import Foundation
import Metrics
@testable import Reporting

final class EpochCSVTests: XCTestCase {
    func record(_ e: Int) -> EpochRecord {
        EpochRecord(epoch: e, trainLoss: 0.7 / Double(e), trainAccuracy: 0.5 + 0.05 * Double(e), valLoss: 0.8 / Double(e),
                    valAccuracy: 0.5 + 0.0625 * Double(e), valPrecision: 0.6, valRecall: 0.5, valF1: 6.0 / 11,
                    valAUC: e == 1 ? .nan : 0.7, epochSeconds: 12.25, imagesPerSecond: 81.5, peakMemoryMB: 512, learningRate: 0.0002)
    }

    func testRowsAreOnDiskAfterEachAppendAndReadBack() throws {
        let path = try temporaryFolder(self) + "/epochs.csv"
        let w = try EpochCSVWriter(path: path)
        for e in 1...3 {
            try w.append(record(e))
            // Read with a separate handle, as a crash would leave it: every appended row is there.
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.count, 1 + e)
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_precision,val_recall,val_f1,val_auc,epoch_seconds,images_per_second,peak_memory_mb,learning_rate")
        XCTAssertEqual(lines[1], "1,0.7,0.55,0.8,0.5625,0.6,0.5,0.5454545454545454,nan,12.25,81.5,512.0,0.0002")
        XCTAssertEqual(lines[2], "2,0.35,0.6,0.4,0.625,0.6,0.5,0.5454545454545454,0.7,12.25,81.5,512.0,0.0002")
        XCTAssertEqual(try EpochCSVWriter.read(path: path), [record(1), record(2), record(3)])
    }

    func testReopeningAppendsWithoutASecondHeaderAndATornLastLineIsIgnored() throws {
        let path = try temporaryFolder(self) + "/epochs.csv"
        try EpochCSVWriter(path: path).append(record(1))
        try EpochCSVWriter(path: path).append(record(2))
        XCTAssertEqual(try EpochCSVWriter.read(path: path), [record(1), record(2)])
        // A run killed mid-write: a partial line with no newline.
        let h = FileHandle(forWritingAtPath: path)!
        h.seekToEndOfFile(); h.write(Data("3,0.2".utf8)); h.closeFile()
        XCTAssertEqual(try EpochCSVWriter.read(path: path).count, 2)
    }

    func testAForeignFileIsRefused() throws {
        let path = try temporaryFolder(self) + "/x.csv"
        try "a,b\n1,2\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EpochCSVWriter(path: path))
        XCTAssertThrowsError(try EpochCSVWriter.read(path: path))
    }
}

final class TestOutputsTests: XCTestCase {
    func testMetricsJSONHoldsEveryMetricAndTheConfusionMatrix() throws {
        let path = try temporaryFolder(self) + "/test_metrics.json"
        // Same case as MetricsTests: tp 2, fp 2, tn 1, fn 1; AUC 7/9, AP 13/15, EER 1/3 at 0.6.
        let m = BinaryMetrics(labels: [1, 1, 0, 0, 1, 0], pFake: [0.9, 0.4, 0.6, 0.2, 0.7, 0.5])
        try TestOutputs.writeMetricsJSON(m, context: ["model": "Classic", "best_epoch": 3], to: path)
        let o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        XCTAssertEqual(o["count"] as? Int, 6)
        XCTAssertEqual(o["positives_fake"] as? Int, 3); XCTAssertEqual(o["negatives_real"] as? Int, 3)
        XCTAssertEqual(o["threshold"] as? Double, 0.5)
        XCTAssertEqual(o["accuracy"] as? Double, 0.5)
        XCTAssertEqual(o["precision"] as? Double, 0.5)
        XCTAssertEqual(o["recall"] as! Double, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(o["f1"] as! Double, 4.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(o["auc"] as! Double, 7.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(o["average_precision"] as! Double, 13.0 / 15, accuracy: 1e-12)
        XCTAssertEqual(o["eer"] as! Double, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(o["eer_threshold"] as? Double, 0.6)
        XCTAssertEqual(o["confusion_matrix"] as? [String: Int], ["tp": 2, "fp": 2, "tn": 1, "fn": 1])
        XCTAssertEqual((o["context"] as? [String: Any])?["model"] as? String, "Classic")
    }

    func testUndefinedMetricsAreNull() throws {
        let path = try temporaryFolder(self) + "/m.json"
        try TestOutputs.writeMetricsJSON(BinaryMetrics(labels: [1, 1], pFake: [0.2, 0.9]), to: path)
        let o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        XCTAssertTrue(o["auc"] is NSNull); XCTAssertTrue(o["eer"] is NSNull)
        XCTAssertEqual(o["accuracy"] as? Double, 0.5)
    }

    func testPredictionsCSV() throws {
        let path = try temporaryFolder(self) + "/predictions.csv"
        let rows = [Prediction(path: "fake/a.jpg", dataset: "hard1k", label: 1, pFake: 0.75),
                    Prediction(path: "real/b, \"c\".jpg", dataset: "hard1k", label: 0, pFake: 0.5),
                    Prediction(path: "real/d.png", dataset: "deepfake2k", label: 0, pFake: 0.125)]
        try TestOutputs.writePredictionsCSV(rows, to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), """
            path,dataset,label,p_fake,predicted
            fake/a.jpg,hard1k,1,0.75,1
            "real/b, ""c"".jpg",hard1k,0,0.5,1
            real/d.png,deepfake2k,0,0.125,0

            """)
    }
}
