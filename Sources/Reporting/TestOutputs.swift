// Test-set outputs of a run: the metrics as JSON (every metric, the confusion matrix, threshold
// and counts; undefined values as null) and one CSV row per test image.

import Core
import Foundation
import Metrics

/// One test image's prediction.
public struct Prediction: Equatable, Sendable {
    /// The image's path (as the dataset index records it).
    public var path: String
    /// The config's dataset name it came from.
    public var dataset: String
    /// 1 = fake, 0 = real.
    public var label: Int32
    /// Model's p(fake).
    public var pFake: Double

    public init(path: String, dataset: String, label: Int32, pFake: Double) {
        self.path = path; self.dataset = dataset; self.label = label; self.pFake = pFake
    }
}

public enum TestOutputs {
    /// The JSON object written by `writeMetricsJSON`: snake_case keys, NaN as null.
    /// `context` adds run facts (model, datasets, checkpoint epoch, ...) under "context".
    public static func metricsObject(_ m: BinaryMetrics, context: [String: Any] = [:]) -> [String: Any] {
        func num(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
        var o: [String: Any] = [
            "count": m.count, "positives_fake": m.positives, "negatives_real": m.negatives,
            "threshold": num(m.threshold),
            "accuracy": num(m.accuracy), "precision": num(m.precision), "recall": num(m.recall),
            "f1": num(m.f1), "auc": num(m.auc), "average_precision": num(m.averagePrecision),
            "eer": num(m.eer), "eer_threshold": num(m.eerThreshold),
            "confusion_matrix": ["tp": m.confusion.tp, "fp": m.confusion.fp,
                                 "tn": m.confusion.tn, "fn": m.confusion.fn],
            "positive_class": "fake (label 1)",
        ]
        if !context.isEmpty { o["context"] = context }
        return o
    }

    /// Writes `metricsObject` as pretty, key-sorted JSON (stable diffs between runs).
    public static func writeMetricsJSON(_ m: BinaryMetrics, context: [String: Any] = [:], to path: String) throws {
        try writeJSON(metricsObject(m, context: context), to: path)
    }

    /// Writes any JSON-serialisable object (pretty, sorted keys) atomically (AtomicFile).
    public static func writeJSON(_ object: Any, to path: String) throws {
        guard JSONSerialization.isValidJSONObject(object) else {
            throw DeepfakeError("cannot write \(path): the object is not JSON-serialisable (NaN or infinity must be null)")
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try AtomicFile.write(data + Data("\n".utf8), to: path)
        } catch let e as DeepfakeError {
            throw e
        } catch {
            throw DeepfakeError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// The predictions CSV header.
    public static let predictionColumns = ["path", "dataset", "label", "p_fake", "predicted"]

    /// Writes one row per image: path, dataset, label, p_fake, predicted (1 when p_fake >= threshold).
    /// Fields holding a comma, quote or newline are quoted as RFC 4180 says.
    public static func writePredictionsCSV(_ rows: [Prediction], threshold: Double = 0.5, to path: String) throws {
        var text = predictionColumns.joined(separator: ",") + "\n"
        text.reserveCapacity(rows.count * 64)
        for r in rows {
            let predicted = r.pFake >= threshold ? 1 : 0
            text += "\(csvField(r.path)),\(csvField(r.dataset)),\(r.label),\(r.pFake.isNaN ? "nan" : r.pFake.description),\(predicted)\n"
        }
        try AtomicFile.write(text, to: path)
    }

    /// RFC 4180 quoting: wrap in quotes and double inner quotes when needed.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
