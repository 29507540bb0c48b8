// The run's standard plots (loss and accuracy per epoch, test ROC) and the multi-run comparison
// chart for `compare`, all as SVG built by LineChart.

import Core
import Foundation
import Metrics

/// A column of epochs.csv that a comparison can plot.
public enum EpochMetric: String, CaseIterable, Sendable {
    case trainLoss = "train_loss", trainAccuracy = "train_accuracy"
    case valLoss = "val_loss", valAccuracy = "val_accuracy"
    case valF1 = "val_f1", valAUC = "val_auc"
    case epochSeconds = "epoch_seconds", imagesPerSecond = "images_per_second"

    public func value(_ r: EpochRecord) -> Double {
        switch self {
        case .trainLoss: return r.trainLoss
        case .trainAccuracy: return r.trainAccuracy
        case .valLoss: return r.valLoss
        case .valAccuracy: return r.valAccuracy
        case .valF1: return r.valF1
        case .valAUC: return r.valAUC
        case .epochSeconds: return r.epochSeconds
        case .imagesPerSecond: return r.imagesPerSecond
        }
    }

    /// Axis label.
    public var label: String {
        switch self {
        case .trainLoss: return "training loss (cross-entropy)"
        case .trainAccuracy: return "training accuracy"
        case .valLoss: return "validation loss (cross-entropy)"
        case .valAccuracy: return "validation accuracy"
        case .valF1: return "validation F1"
        case .valAUC: return "validation ROC AUC"
        case .epochSeconds: return "seconds per epoch"
        case .imagesPerSecond: return "images per second"
        }
    }

    /// Metrics that live in [0, 1] get a fixed 0...1 axis so runs compare at a glance.
    var unitRange: ClosedRange<Double>? {
        switch self {
        case .trainAccuracy, .valAccuracy, .valF1, .valAUC: return 0...1
        default: return nil
        }
    }
}

public enum Plots {
    /// Train and validation loss per epoch (the validation line is left out when there was none).
    public static func loss(_ records: [EpochRecord], title: String = "Loss per epoch") -> LineChart {
        perEpoch(records, title: title, yLabel: "cross-entropy loss", [.trainLoss, .valLoss], names: ["train", "validation"], yRange: nil)
    }

    /// Train and validation accuracy per epoch, on a 0...1 axis.
    public static func accuracy(_ records: [EpochRecord], title: String = "Accuracy per epoch") -> LineChart {
        perEpoch(records, title: title, yLabel: "accuracy", [.trainAccuracy, .valAccuracy], names: ["train", "validation"], yRange: 0...1)
    }

    private static func perEpoch(_ records: [EpochRecord], title: String, yLabel: String, _ metrics: [EpochMetric],
                                 names: [String], yRange: ClosedRange<Double>?) -> LineChart {
        let x = records.map { Double($0.epoch) }
        var series: [ChartSeries] = []
        for (m, name) in zip(metrics, names) {
            let y = records.map { m.value($0) }
            if y.contains(where: { $0.isFinite }) { series.append(ChartSeries(name: name, x: x, y: y)) }
        }
        return LineChart(title: title, xLabel: "epoch", yLabel: yLabel, series: series, yRange: yRange, integerX: true)
    }

    /// The test ROC curve with its AUC in the legend, and the chance diagonal (dashed).
    public static func roc(_ curve: ROCCurve, auc: Double, title: String = "ROC curve (test set, fake = positive)") -> LineChart {
        let aucText = auc.isFinite ? String(format: "%.3f", auc) : "undefined"
        var series = [ChartSeries(name: "model (AUC \(aucText))", x: curve.fpr, y: curve.tpr)]
        series.append(ChartSeries(name: "chance (AUC 0.5)", x: [0, 1], y: [0, 1], dashed: true))
        return LineChart(title: title, xLabel: "false positive rate (reals called fake)",
                         yLabel: "true positive rate (fakes caught)", series: series, xRange: 0...1, yRange: 0...1)
    }

    /// Several runs' `metric` per epoch on one chart (for `compare`): one series per run.
    public static func comparison(_ runs: [(name: String, records: [EpochRecord])], metric: EpochMetric,
                                  title: String? = nil) -> LineChart {
        let series = runs.map { run in
            ChartSeries(name: run.name, x: run.records.map { Double($0.epoch) }, y: run.records.map { metric.value($0) })
        }
        return LineChart(title: title ?? "\(metric.label.prefix(1).uppercased() + metric.label.dropFirst()) by run",
                         xLabel: "epoch", yLabel: metric.label, series: series, yRange: metric.unitRange, integerX: true)
    }

    /// Writes a chart's SVG to `path` atomically (AtomicFile).
    public static func write(_ chart: LineChart, to path: String) throws {
        try AtomicFile.write(chart.svg(), to: path)
    }
}
