// What a comparison point leaves: its result (PointResult: resolved config, parameter counts, wall
// times, per-epoch rows, and per test set the metrics and every image's score) as the study
// folder's point.json (the resume record), and all points of a study in the suite's HDF5 result
// file. The file is an ordinary bench result file (BenchResultFile: one /results row per point and
// test set, so `bench report` and h5py read it as any other) plus the group /comparison:
//   /comparison/points/{id, model, train_set, config_yaml, run_folder, warm_start}  string[p]
//   /comparison/points/{seed, params_circuit, params_classical}                     int64[p]
//   /comparison/points/{train_seconds, cross_test_seconds, wall_seconds}            float64[p]
//   /comparison/tests/{point, in_domain, images}   int64[r]   (r = the /results rows, same order)
//   /comparison/tests/test_set                     string[r]
//   /comparison/tests/{accuracy, auc, f1, eer, precision, recall} float64[r]
//   /comparison/epochs/{point, epoch}              int64[e]
//   /comparison/epochs/{train_loss, train_accuracy, val_loss, val_accuracy, val_f1, val_auc, epoch_seconds} float64[e]
//   /comparison/predictions/{test, label}          int64[k]   (test = row of /comparison/tests)
//   /comparison/predictions/p_fake                 float64[k]
//   /comparison/predictions/path                   string[k]

import Config
import Core
import Foundation
import Metrics
import Reporting
import Storage

/// One epoch of a point's training (epochs.csv's columns the study keeps).
public struct EpochRow: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss, trainAccuracy, valLoss, valAccuracy, valF1, valAUC, epochSeconds: Double

    public init(_ r: EpochRecord) {
        epoch = r.epoch; trainLoss = r.trainLoss; trainAccuracy = r.trainAccuracy; valLoss = r.valLoss
        valAccuracy = r.valAccuracy; valF1 = r.valF1; valAUC = r.valAUC; epochSeconds = r.epochSeconds
    }

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, valLoss: Double, valAccuracy: Double, valF1: Double,
                valAUC: Double, epochSeconds: Double) {
        self.epoch = epoch; self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy; self.valLoss = valLoss
        self.valAccuracy = valAccuracy; self.valF1 = valF1; self.valAUC = valAUC; self.epochSeconds = epochSeconds
    }

    /// Equality that treats NaN as equal to NaN (an epoch without validation read back).
    public static func == (a: EpochRow, b: EpochRow) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.epoch == b.epoch && same(a.trainLoss, b.trainLoss) && same(a.trainAccuracy, b.trainAccuracy)
            && same(a.valLoss, b.valLoss) && same(a.valAccuracy, b.valAccuracy) && same(a.valF1, b.valF1)
            && same(a.valAUC, b.valAUC) && same(a.epochSeconds, b.epochSeconds)
    }

    // NaN (an epoch without validation) is null in JSON.
    enum CodingKeys: String, CodingKey { case epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, valF1, valAUC, epochSeconds }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        func v(_ k: CodingKeys) throws -> Double { try c.decodeIfPresent(Double.self, forKey: k) ?? .nan }
        epoch = try c.decode(Int.self, forKey: .epoch)
        trainLoss = try v(.trainLoss); trainAccuracy = try v(.trainAccuracy); valLoss = try v(.valLoss)
        valAccuracy = try v(.valAccuracy); valF1 = try v(.valF1); valAUC = try v(.valAUC); epochSeconds = try v(.epochSeconds)
    }
    public func encode(to e: Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        func put(_ x: Double, _ k: CodingKeys) throws { if x.isFinite { try c.encode(x, forKey: k) } }
        try c.encode(epoch, forKey: .epoch)
        try put(trainLoss, .trainLoss); try put(trainAccuracy, .trainAccuracy); try put(valLoss, .valLoss)
        try put(valAccuracy, .valAccuracy); try put(valF1, .valF1); try put(valAUC, .valAUC); try put(epochSeconds, .epochSeconds)
    }
}

/// One test set of a point: every image's label and score; the metrics follow from them.
public struct TestResult: Codable, Equatable, Sendable {
    public var testSet: String
    public var inDomain: Bool
    public var paths: [String]
    public var labels: [Int32]
    public var pFake: [Double]

    public init(testSet: String, inDomain: Bool, paths: [String], labels: [Int32], pFake: [Double]) {
        self.testSet = testSet; self.inDomain = inDomain; self.paths = paths; self.labels = labels; self.pFake = pFake
    }

    /// Reads a run's test_predictions.csv (TestOutputs' columns path, dataset, label, p_fake, predicted).
    public init(testSet: String, inDomain: Bool, predictionsCSV path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DeepfakeError("cannot read \(path): the run wrote no test predictions (set testSize > 0)")
        }
        var lines = PredictionsCSV.rows(text)
        guard let header = lines.first, Array(header.prefix(4)) == Array(TestOutputs.predictionColumns.prefix(4)) else {
            throw DeepfakeError("\(path) does not start with the header \(TestOutputs.predictionColumns.joined(separator: ","))")
        }
        lines.removeFirst()
        var paths: [String] = [], labels: [Int32] = [], scores: [Double] = []
        for (i, r) in lines.enumerated() {
            guard r.count >= 4, let l = Int32(r[2]), let s = Double(r[3]) else {
                throw DeepfakeError("\(path): row \(i + 2) is not path,dataset,label,p_fake,predicted")
            }
            paths.append(r[0]); labels.append(l); scores.append(s)
        }
        self.init(testSet: testSet, inDomain: inDomain, paths: paths, labels: labels, pFake: scores)
    }

    public var metrics: BinaryMetrics { BinaryMetrics(labels: labels, pFake: pFake) }
}

/// Parses RFC 4180 CSV (quoted fields, doubled quotes) into rows of fields.
enum PredictionsCSV {
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, wasQuoted = false
        var it = Array(text).makeIterator()
        var pending: Character? = nil
        while let ch = pending ?? it.next() {
            pending = nil
            if quoted {
                if ch == "\"" {
                    if let n = it.next() { if n == "\"" { field.append("\"") } else { quoted = false; pending = n } } else { quoted = false }
                } else { field.append(ch) }
            } else if ch == "\"" && field.isEmpty && !wasQuoted { quoted = true; wasQuoted = true }
            else if ch == "," { row.append(field); field = ""; wasQuoted = false }
            else if ch == "\n" || ch == "\r\n" {
                row.append(field); field = ""; wasQuoted = false
                rows.append(row); row = []
            } else if ch != "\r" { field.append(ch) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// A finished point.
public struct PointResult: Codable, Equatable, Sendable {
    public var id: String
    /// "HQNN-twin" (with the variant, "HQNN-twin q4 l2 strong").
    public var model: String
    public var trainSet: String
    public var seed: Int
    /// The resolved config the point trained with (Config.toYAML()).
    public var configYAML: String
    public var runFolder: String
    public var bestWeights: String
    /// The checkpoint the body was warm-started from ("" = none).
    public var warmStart: String
    public var circuitParameters: Int
    public var classicalParameters: Int
    /// Training + validation + in-domain test (no data preparation).
    public var trainSeconds: Double
    public var crossTestSeconds: Double
    public var wallSeconds: Double
    public var epochs: [EpochRow]
    /// In-domain first, then the cross sets in study order.
    public var tests: [TestResult]

    public func save(path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try enc.encode(self) } catch { throw DeepfakeError("cannot encode point \(id): \(error)") }
        try AtomicFile.write(data, to: path)
    }

    public static func load(path: String) throws -> PointResult {
        guard let data = FileManager.default.contents(atPath: path) else { throw DeepfakeError("cannot read \(path)") }
        do { return try JSONDecoder().decode(PointResult.self, from: data) } catch {
            throw DeepfakeError("\(path) is not a finished comparison point (\(error)); move it away to rerun that point")
        }
    }

    /// One bench record per test set: accuracy and AUC in Reporting's columns, the rest as figures.
    public var records: [BenchRecord] {
        let config = try? Config.parse(yaml: configYAML, source: "point \(id)")
        return tests.map { t in
            let m = t.metrics
            var r = BenchRecord(row: BenchmarkRow(name: "\(model) \(trainSet)->\(t.testSet) s\(seed)", accuracy: m.accuracy, loss: .nan,
                                                  auc: m.auc, parameters: circuitParameters + classicalParameters, wallSeconds: trainSeconds),
                                model: model, dataset: trainSet, imageSize: config?.imageHeight ?? 0, batchSize: config?.batchSize ?? 0,
                                epochs: epochs.count, threads: config?.nCPUs ?? 0, note: "")
            r.figures = ["f1": m.f1, "eer": m.eer, "precision": m.precision, "recall": m.recall, "seed": Double(seed),
                         "in_domain": t.inDomain ? 1 : 0, "params_circuit": Double(circuitParameters),
                         "params_classical": Double(classicalParameters)]
            return r
        }
    }
}

public enum ComparisonResultFile {
    /// Writes the study's result file `comparison-<stamp>-<hex>.h5` in `directory`; returns its path.
    @discardableResult
    public static func write(_ points: [PointResult], directory: String, attributes: [String: String]) throws -> String {
        try BenchResultFile.write(points.flatMap(\.records), suite: "comparison", directory: directory, attributes: attributes) { h5 in
            try writeGroup(points, into: h5)
        }
    }

    static func writeGroup(_ points: [PointResult], into h5: H5File) throws {
        let g = "comparison/points/"
        try h5.writeStrings(g + "id", points.map(\.id))
        try h5.writeStrings(g + "model", points.map(\.model))
        try h5.writeStrings(g + "train_set", points.map(\.trainSet))
        try h5.writeStrings(g + "config_yaml", points.map(\.configYAML))
        try h5.writeStrings(g + "run_folder", points.map(\.runFolder))
        try h5.writeStrings(g + "warm_start", points.map(\.warmStart))
        try h5.write(g + "seed", points.map { Int64($0.seed) })
        try h5.write(g + "params_circuit", points.map { Int64($0.circuitParameters) })
        try h5.write(g + "params_classical", points.map { Int64($0.classicalParameters) })
        try h5.write(g + "train_seconds", points.map(\.trainSeconds))
        try h5.write(g + "cross_test_seconds", points.map(\.crossTestSeconds))
        try h5.write(g + "wall_seconds", points.map(\.wallSeconds))
        let tests = points.enumerated().flatMap { (i, p) in p.tests.map { (i, $0, $0.metrics) } }
        let t = "comparison/tests/"
        try h5.write(t + "point", tests.map { Int64($0.0) })
        try h5.writeStrings(t + "test_set", tests.map(\.1.testSet))
        try h5.write(t + "in_domain", tests.map { Int64($0.1.inDomain ? 1 : 0) })
        try h5.write(t + "images", tests.map { Int64($0.1.labels.count) })
        try h5.write(t + "accuracy", tests.map(\.2.accuracy))
        try h5.write(t + "auc", tests.map(\.2.auc))
        try h5.write(t + "f1", tests.map(\.2.f1))
        try h5.write(t + "eer", tests.map(\.2.eer))
        try h5.write(t + "precision", tests.map(\.2.precision))
        try h5.write(t + "recall", tests.map(\.2.recall))
        let epochs = points.enumerated().flatMap { (i, p) in p.epochs.map { (i, $0) } }
        let e = "comparison/epochs/"
        try h5.write(e + "point", epochs.map { Int64($0.0) })
        try h5.write(e + "epoch", epochs.map { Int64($0.1.epoch) })
        try h5.write(e + "train_loss", epochs.map(\.1.trainLoss))
        try h5.write(e + "train_accuracy", epochs.map(\.1.trainAccuracy))
        try h5.write(e + "val_loss", epochs.map(\.1.valLoss))
        try h5.write(e + "val_accuracy", epochs.map(\.1.valAccuracy))
        try h5.write(e + "val_f1", epochs.map(\.1.valF1))
        try h5.write(e + "val_auc", epochs.map(\.1.valAUC))
        try h5.write(e + "epoch_seconds", epochs.map(\.1.epochSeconds))
        let preds = tests.enumerated().flatMap { (k, x) in x.1.labels.indices.map { (k, x.1, $0) } }
        let pr = "comparison/predictions/"
        try h5.write(pr + "test", preds.map { Int64($0.0) })
        try h5.write(pr + "label", preds.map { Int64($0.1.labels[$0.2]) })
        try h5.write(pr + "p_fake", preds.map { $0.1.pFake[$0.2] })
        try h5.writeStrings(pr + "path", preds.map { $0.1.paths[$0.2] })
    }

    /// Reads the points of a comparison result file back (metrics are recomputed from the scores).
    public static func read(path: String) throws -> [PointResult] {
        let h5 = try H5File.open(path)
        defer { h5.close() }
        guard h5.exists("comparison/points/id") else {
            throw DeepfakeError("\(path) has no /comparison group: it is not a comparison study's result file")
        }
        func s(_ k: String) throws -> [String] { try h5.readStrings("comparison/" + k) }
        func i(_ k: String) throws -> [Int] { try h5.read("comparison/" + k, as: Int64.self).values.map { Int($0) } }
        func d(_ k: String) throws -> [Double] { try h5.read("comparison/" + k, as: Double.self).values }
        let ids = try s("points/id"), model = try s("points/model"), train = try s("points/train_set")
        let yaml = try s("points/config_yaml"), folder = try s("points/run_folder"), warm = try s("points/warm_start")
        let seed = try i("points/seed"), pc = try i("points/params_circuit"), pk = try i("points/params_classical")
        let ts = try d("points/train_seconds"), cs = try d("points/cross_test_seconds"), ws = try d("points/wall_seconds")
        let n = ids.count
        for (k, c) in [("model", model.count), ("seed", seed.count), ("wall_seconds", ws.count), ("config_yaml", yaml.count)] where c != n {
            throw DeepfakeError("\(path): /comparison/points/\(k) has \(c) rows, id has \(n)")
        }
        var points = (0..<n).map { j in
            PointResult(id: ids[j], model: model[j], trainSet: train[j], seed: seed[j], configYAML: yaml[j], runFolder: folder[j],
                        bestWeights: (folder[j] as NSString).appendingPathComponent(RunFile.bestWeights.rawValue), warmStart: warm[j],
                        circuitParameters: pc[j], classicalParameters: pk[j], trainSeconds: ts[j], crossTestSeconds: cs[j],
                        wallSeconds: ws[j], epochs: [], tests: [])
        }
        let tPoint = try i("tests/point"), tSet = try s("tests/test_set"), tIn = try i("tests/in_domain")
        let pTest = try i("predictions/test"), pLabel = try i("predictions/label"), pScore = try d("predictions/p_fake")
        let pPath = try s("predictions/path")
        var tests = (0..<tPoint.count).map { TestResult(testSet: tSet[$0], inDomain: tIn[$0] == 1, paths: [], labels: [], pFake: []) }
        for k in pTest.indices {
            guard tests.indices.contains(pTest[k]) else { throw DeepfakeError("\(path): prediction \(k) names test row \(pTest[k]), which does not exist") }
            tests[pTest[k]].paths.append(pPath[k]); tests[pTest[k]].labels.append(Int32(pLabel[k])); tests[pTest[k]].pFake.append(pScore[k])
        }
        for (k, t) in tests.enumerated() {
            guard points.indices.contains(tPoint[k]) else { throw DeepfakeError("\(path): test row \(k) names point \(tPoint[k]), which does not exist") }
            points[tPoint[k]].tests.append(t)
        }
        let ePoint = try i("epochs/point"), eNum = try i("epochs/epoch")
        let cols = try ["train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_f1", "val_auc", "epoch_seconds"].map { try d("epochs/" + $0) }
        for k in ePoint.indices where points.indices.contains(ePoint[k]) {
            points[ePoint[k]].epochs.append(EpochRow(epoch: eNum[k], trainLoss: cols[0][k], trainAccuracy: cols[1][k], valLoss: cols[2][k],
                                                     valAccuracy: cols[3][k], valF1: cols[4][k], valAUC: cols[5][k], epochSeconds: cols[6][k]))
        }
        return points
    }
}
