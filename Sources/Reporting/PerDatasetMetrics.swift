// Test metrics split by the dataset each test image came from: every metric per dataset, whether
// that dataset was also trained on (in-domain) or not (cross-dataset), and the pooled numbers of
// each of those two groups. A pooled test AUC over a mix of in-domain and unseen datasets hides
// the number that matters (how the model does on data it never saw), so the run reports both.

import Foundation
import Metrics

/// One test dataset's metrics.
public struct DatasetMetrics: Equatable, Sendable {
    /// The config's dataset name.
    public var dataset: String
    /// True when the run also trained on this dataset (its name is in trainData).
    public var inDomain: Bool
    public var metrics: BinaryMetrics
}

public enum PerDatasetMetrics {
    /// Metrics per dataset of `predictions`, in order of first appearance (the config's order,
    /// since test images are indexed dataset by dataset). `trainDatasets`: the run's trainData names.
    public static func compute(_ predictions: [Prediction], trainDatasets: [String], threshold: Double = 0.5) -> [DatasetMetrics] {
        var order: [String] = []
        var groups: [String: (labels: [Int32], pFake: [Double])] = [:]
        for p in predictions {
            if groups[p.dataset] == nil { order.append(p.dataset); groups[p.dataset] = ([], []) }
            groups[p.dataset]!.labels.append(p.label)
            groups[p.dataset]!.pFake.append(p.pFake)
        }
        let train = Set(trainDatasets)
        return order.map { name in
            let g = groups[name]!
            return DatasetMetrics(dataset: name, inDomain: train.contains(name),
                                  metrics: BinaryMetrics(labels: g.labels, pFake: g.pFake, threshold: threshold))
        }
    }

    /// Pooled metrics of the in-domain and of the cross-dataset predictions (nil where a group is empty).
    public static func pooledByDomain(_ predictions: [Prediction], trainDatasets: [String],
                                      threshold: Double = 0.5) -> (inDomain: BinaryMetrics?, crossDataset: BinaryMetrics?) {
        let train = Set(trainDatasets)
        func pool(_ keep: (Prediction) -> Bool) -> BinaryMetrics? {
            let rows = predictions.filter(keep)
            return rows.isEmpty ? nil : BinaryMetrics(labels: rows.map(\.label), pFake: rows.map(\.pFake), threshold: threshold)
        }
        return (pool { train.contains($0.dataset) }, pool { !train.contains($0.dataset) })
    }

    /// The `per_dataset` object of test_metrics.json: name -> TestOutputs.metricsObject + "in_domain".
    public static func jsonObject(_ perDataset: [DatasetMetrics]) -> [String: Any] {
        var out: [String: Any] = [:]
        for d in perDataset {
            var o = TestOutputs.metricsObject(d.metrics)
            o["in_domain"] = d.inDomain
            out[d.dataset] = o
        }
        return out
    }

    /// The pooled metrics object with "per_dataset" added (the top-level fields stay as they were).
    public static func metricsObject(pooled: BinaryMetrics, perDataset: [DatasetMetrics], context: [String: Any] = [:]) -> [String: Any] {
        var o = TestOutputs.metricsObject(pooled, context: context)
        o["per_dataset"] = jsonObject(perDataset)
        return o
    }

    /// One log line for a group of test images (a dataset, or a pooled domain).
    public static func logLine(label: String, _ m: BinaryMetrics) -> String {
        label + String(format: ": %d images (%d real, %d fake), accuracy %.4f, precision %.4f, recall %.4f, F1 %.4f, AUC %.4f, AP %.4f, EER %.4f",
                       m.count, m.negatives, m.positives, m.accuracy, m.precision, m.recall, m.f1, m.auc, m.averagePrecision, m.eer)
    }

    /// The log lines: one per dataset (marked in-domain or cross-dataset), then the pooled
    /// in-domain and cross-dataset numbers when the test set holds both kinds. `perDataset`: what
    /// `compute` returned for these predictions, when the caller already has it (nil = compute).
    public static func logLines(_ predictions: [Prediction], trainDatasets: [String], threshold: Double = 0.5,
                                perDataset: [DatasetMetrics]? = nil) -> [String] {
        let per = perDataset ?? compute(predictions, trainDatasets: trainDatasets, threshold: threshold)
        var lines = per.map { logLine(label: "test on \($0.dataset) (\($0.inDomain ? "in-domain" : "cross-dataset"))", $0.metrics) }
        let pooled = pooledByDomain(predictions, trainDatasets: trainDatasets, threshold: threshold)
        if let i = pooled.inDomain, let c = pooled.crossDataset {
            lines.append(logLine(label: "test pooled in-domain", i))
            lines.append(logLine(label: "test pooled cross-dataset", c))
        }
        return lines
    }
}
