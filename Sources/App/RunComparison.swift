// RunComparison: `deepfake compare RUN...`: one table (Markdown and CSV) of several runs' best
// validation and test figures, and SVG charts of their per-epoch curves side by side.

import Core
import Foundation
import Reporting
import Training

public enum RunComparison {
    public struct Row {
        public var run: String
        public var epochs: Int
        public var bestValAUC: Double
        public var bestValAccuracy: Double
        public var lastTrainLoss: Double
        public var meanImagesPerSecond: Double
        public var totalSeconds: Double
        public var test: [String: Any]
    }

    public static func rows(runFolders: [String]) throws -> [(Row, [EpochRecord])] {
        try runFolders.map { folder in
            let run = RunFolder(existing: folder)
            let csv = run.file(.epochs)
            guard FileManager.default.fileExists(atPath: csv) else {
                throw DeepfakeError("\(folder) has no epochs.csv: pass run folders made by `deepfake -c CONFIG` (training runs)")
            }
            let records = try EpochCSVWriter.read(path: csv)
            var test: [String: Any] = [:]
            let metricsPath = run.file(.testMetrics)
            if let data = FileManager.default.contents(atPath: metricsPath),
               let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] { test = o }
            func best(_ f: (EpochRecord) -> Double) -> Double { records.map(f).filter { !$0.isNaN }.max() ?? .nan }
            // Runs that did not finish are marked in the table (status.json, when the folder has one).
            let state = RunStatus.read(runFolder: folder).map(\.state) ?? .done
            let name = (folder as NSString).lastPathComponent + (state == .done ? "" : " (\(state.rawValue), unfinished)")
            let row = Row(run: name, epochs: records.count,
                          bestValAUC: best(\.valAUC), bestValAccuracy: best(\.valAccuracy),
                          lastTrainLoss: records.last?.trainLoss ?? .nan,
                          meanImagesPerSecond: records.isEmpty ? .nan : records.map(\.imagesPerSecond).reduce(0, +) / Double(records.count),
                          totalSeconds: records.map(\.epochSeconds).reduce(0, +), test: test)
            return (row, records)
        }
    }

    /// The files `write` creates for `outputPrefix`.
    public static func outputFiles(prefix: String) -> [String] {
        [prefix + ".md", prefix + ".csv", prefix + "_val_accuracy.svg", prefix + "_val_loss.svg"]
    }

    /// Writes `<prefix>.md`, `<prefix>.csv`, `<prefix>_val_accuracy.svg` and `<prefix>_val_loss.svg`.
    /// Never replaces a file of a run folder; replaces other existing outputs only with `force`.
    public static func write(runFolders: [String], outputPrefix: String, force: Bool = false) throws {
        guard !runFolders.isEmpty else { throw DeepfakeError("compare needs at least one run folder") }
        let inputs = runFolders.flatMap { folder in
            [folder] + ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .map { (folder as NSString).appendingPathComponent($0) }
        }
        try OutputFiles.checkWritable(outputFiles(prefix: outputPrefix), inputs: inputs, force: force)
        let all = try rows(runFolders: runFolders)
        let dir = (outputPrefix as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        func f(_ x: Double, _ digits: Int = 4) -> String { x.isNaN ? "n/a" : String(format: "%.\(digits)f", x) }
        func t(_ o: [String: Any], _ k: String) -> String { (o[k] as? Double).map { f($0) } ?? "n/a" }
        let header = ["run", "epochs", "best_val_auc", "best_val_accuracy", "last_train_loss", "test_accuracy", "test_auc",
                      "test_f1", "test_eer", "images_per_second", "train_seconds"]
        var md = "| " + header.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: header.count) + "\n"
        var csv = header.joined(separator: ",") + "\n"
        for (r, _) in all {
            let cells = [r.run, String(r.epochs), f(r.bestValAUC), f(r.bestValAccuracy), f(r.lastTrainLoss),
                         t(r.test, "accuracy"), t(r.test, "auc"), t(r.test, "f1"), t(r.test, "eer"),
                         f(r.meanImagesPerSecond, 1), f(r.totalSeconds, 1)]
            md += "| " + cells.joined(separator: " | ") + " |\n"
            csv += cells.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(md, to: outputPrefix + ".md")
        try AtomicFile.write(csv, to: outputPrefix + ".csv")
        let runs = all.map { (name: $0.0.run, records: $0.1) }
        try Plots.write(Plots.comparison(runs, metric: .valAccuracy), to: outputPrefix + "_val_accuracy.svg")
        try Plots.write(Plots.comparison(runs, metric: .valLoss), to: outputPrefix + "_val_loss.svg")
        print(md, terminator: "")
    }
}
