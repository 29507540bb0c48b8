// Reads what a finished training run left in its folder into a BenchRecord: test metrics
// (test_metrics.json), per-epoch throughput (epochs.csv), the model's parameter count, and for
// quantum models the circuit resources (quantum_resources.json, when the Training target writes it).

import App
import Config
import Core
import Foundation
import Reporting
import Training

enum RunFolderReader {
    static func fill(_ record: inout BenchRecord, runFolder: String, config: Config) throws {
        let folder = RunFolder(existing: runFolder)
        // A run that did not finish (status.json not "done") is marked failed by the caller, never read as a result.
        if let status = RunStatus.read(runFolder: runFolder), status.state != .done {
            throw DeepfakeError("run \(runFolder) did not finish (status.json: \(status.state.rawValue)\(status.error.map { ", \($0)" } ?? ""))")
        }
        let metrics = try jsonObject(folder.file(.testMetrics))
        record.row.accuracy = number(metrics["accuracy"])
        record.row.auc = number(metrics["auc"])
        record.row.loss = number((metrics["context"] as? [String: Any])?["loss"] ?? metrics["loss"])
        let epochs = try EpochCSVWriter.read(path: folder.file(.epochs))
        record.epochs = epochs.count
        // Images/s over all epochs: images / seconds, not the mean of per-epoch rates.
        let seconds = epochs.map(\.epochSeconds).reduce(0, +)
        let images = epochs.map { $0.imagesPerSecond * $0.epochSeconds }.reduce(0, +)
        record.throughput = seconds > 0 ? images / seconds : .nan
        record.throughputUnit = "images/s"
        if let model = try? ModelFactory.make(config, context: .serial, log: RunLog(echo: false)) {
            record.row.parameters = model.network.parameterCount
        }
        if FileManager.default.fileExists(atPath: folder.file(.quantumResources)) {
            try applyResources(try jsonObject(folder.file(.quantumResources)), to: &record.row)
        }
    }

    /// Reads qubits, gates by kind, depth and parameters from a resources object. Top-level keys
    /// win; otherwise a list under "layers"/"circuits" is aggregated: each entry's gate counts
    /// (one copy of its circuit) times its "copies" (default 1), summed; depth and qubits their
    /// maximum, since parallel copies run side by side, each on its own register.
    static func applyResources(_ o: [String: Any], to row: inout BenchmarkRow) throws {
        let list = (o["layers"] ?? o["circuits"] ?? o["quantum_layers"]) as? [[String: Any]] ?? []
        func gates(_ x: [String: Any]) -> [String: Int] {
            let g = (x["gate_counts"] ?? x["gateCounts"] ?? x["gates"]) as? [String: Any] ?? [:]
            return g.compactMapValues { ($0 as? NSNumber)?.intValue }
        }
        func int(_ x: [String: Any], _ keys: [String]) -> Int? {
            for k in keys { if let v = x[k] as? NSNumber { return v.intValue } }
            return nil
        }
        var g = gates(o)
        if g.isEmpty {
            for c in list {
                let copies = max(1, int(c, ["copies"]) ?? 1)
                g.merge(gates(c).mapValues { $0 * copies }, uniquingKeysWith: +)
            }
        }
        row.gateCounts = g
        row.qubits = int(o, ["qubits", "n_qubits", "nQubits"]) ?? list.compactMap { int($0, ["qubits", "n_qubits"]) }.max() ?? 0
        row.depth = int(o, ["depth", "circuit_depth"]) ?? list.compactMap { int($0, ["depth"]) }.max() ?? 0
        if let p = int(o, ["parameters", "model_parameters", "total_parameters"]) { row.parameters = p }
        if row.qubits == 0 && g.isEmpty {
            throw DeepfakeError("quantum resources file has no qubits or gate counts: expected keys qubits, gate_counts, depth")
        }
    }

    static func jsonObject(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeepfakeError("the run left no \((path as NSString).lastPathComponent) in \((path as NSString).deletingLastPathComponent): did it train and test?")
        }
        guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DeepfakeError("\(path) is not a JSON object")
        }
        return o
    }

    /// A JSON number, or NaN for null/missing.
    static func number(_ v: Any?) -> Double { (v as? NSNumber)?.doubleValue ?? .nan }
}
