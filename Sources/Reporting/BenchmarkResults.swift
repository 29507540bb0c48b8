// Benchmark results as one HDF5 file: one row per configuration (name, accuracy, loss, AUC, gate
// counts by kind, circuit depth, qubits, parameters, wall time), column-wise under /results, so
// `bench report` (or h5py/pandas) reads a whole study at once.
//
// Layout (n rows, k gate kinds):
//   /results/name          string[n]       /results/accuracy, loss, auc, wall_seconds  float64[n]
//   /results/depth, qubits, parameters     int64[n]
//   /results/gate_kinds    string[k]       (sorted union of the rows' kinds)
//   /results/gate_counts   int64[n, k]     (0 where a row has no gate of that kind)
//   root attributes: format = "deepfake-benchmark-results", format_version = 1, plus the caller's.

import Core
import Foundation
import Storage

/// One benchmarked configuration. NaN accuracy/loss/AUC mean "not measured".
public struct BenchmarkRow: Sendable {
    public var name: String
    public var accuracy: Double
    public var loss: Double
    public var auc: Double
    /// Gates by kind ("RX", "CNOT", "Rot", ...); empty for a classical model.
    public var gateCounts: [String: Int]
    /// Circuit depth (0 for a classical model).
    public var depth: Int
    public var qubits: Int
    /// Trainable parameters of the whole model.
    public var parameters: Int
    public var wallSeconds: Double

    public init(name: String, accuracy: Double, loss: Double, auc: Double, gateCounts: [String: Int] = [:],
                depth: Int = 0, qubits: Int = 0, parameters: Int = 0, wallSeconds: Double) {
        self.name = name; self.accuracy = accuracy; self.loss = loss; self.auc = auc
        self.gateCounts = gateCounts; self.depth = depth; self.qubits = qubits
        self.parameters = parameters; self.wallSeconds = wallSeconds
    }

    /// Total gates of all kinds.
    public var totalGates: Int { gateCounts.values.reduce(0, +) }
}

extension BenchmarkRow: Equatable {
    /// NaN equals NaN (both "not measured").
    public static func == (a: BenchmarkRow, b: BenchmarkRow) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.name == b.name && same(a.accuracy, b.accuracy) && same(a.loss, b.loss) && same(a.auc, b.auc)
            && a.gateCounts.filter { $0.value != 0 } == b.gateCounts.filter { $0.value != 0 }
            && a.depth == b.depth && a.qubits == b.qubits && a.parameters == b.parameters
            && same(a.wallSeconds, b.wallSeconds)
    }
}

public enum BenchmarkResults {
    public static let format = "deepfake-benchmark-results"
    public static let formatVersion = 1

    /// Writes `rows` to `path` (replacing it atomically, AtomicFile), so a reader never sees a
    /// half-written study. `attributes` go on the root (machine, date, commit).
    public static func write(_ rows: [BenchmarkRow], to path: String, attributes: [String: String] = [:]) throws {
        do {
            try AtomicFile.replace(path) { tmp in
                let h5 = try H5File.create(tmp)
                do {
                try h5.setAttribute("format", format)
                try h5.setAttribute("format_version", formatVersion)
                for (k, v) in attributes.sorted(by: { $0.key < $1.key }) { try h5.setAttribute(k, v) }
                try h5.createGroup("results")
                try h5.writeStrings("results/name", rows.map { $0.name })
                try h5.write("results/accuracy", rows.map { $0.accuracy })
                try h5.write("results/loss", rows.map { $0.loss })
                try h5.write("results/auc", rows.map { $0.auc })
                try h5.write("results/wall_seconds", rows.map { $0.wallSeconds })
                try h5.write("results/depth", rows.map { Int64($0.depth) })
                try h5.write("results/qubits", rows.map { Int64($0.qubits) })
                try h5.write("results/parameters", rows.map { Int64($0.parameters) })
                let kinds = Set(rows.flatMap { $0.gateCounts.keys }).sorted()
                try h5.writeStrings("results/gate_kinds", kinds)
                let counts = rows.flatMap { r in kinds.map { Int64(r.gateCounts[$0] ?? 0) } }
                try h5.write("results/gate_counts", counts, shape: [rows.count, kinds.count])
                    try h5.finish()
                } catch {
                    h5.abandon()   // closed exactly once, emptied and deleted, even on a full disk
                    throw error
                }
            }
        } catch {
            if let e = error as? DeepfakeError { throw e }
            throw DeepfakeError("cannot write benchmark results \(path): \(error.localizedDescription)")
        }
    }

    /// Reads a file written by `write`; rows in file order.
    public static func read(path: String) throws -> [BenchmarkRow] {
        let h5 = try H5File.open(path)
        defer { h5.close() }
        guard try h5.attributeString("format") == format else {
            throw DeepfakeError("\(path) is not a benchmark results file (no format attribute '\(format)')")
        }
        let names = try h5.readStrings("results/name")
        let n = names.count
        func reals(_ k: String) throws -> [Double] {
            let v = try h5.read("results/\(k)", as: Double.self).values
            guard v.count == n else { throw DeepfakeError("\(path): results/\(k) has \(v.count) rows, names has \(n)") }
            return v
        }
        func ints(_ k: String) throws -> [Int] {
            let v = try h5.read("results/\(k)", as: Int64.self).values.map { Int($0) }
            guard v.count == n else { throw DeepfakeError("\(path): results/\(k) has \(v.count) rows, names has \(n)") }
            return v
        }
        let acc = try reals("accuracy"), loss = try reals("loss"), auc = try reals("auc"), wall = try reals("wall_seconds")
        let depth = try ints("depth"), qubits = try ints("qubits"), params = try ints("parameters")
        let kinds = try h5.readStrings("results/gate_kinds")
        let counts = try h5.read("results/gate_counts", as: Int64.self).values
        guard counts.count == n * kinds.count else {
            throw DeepfakeError("\(path): results/gate_counts holds \(counts.count) values, expected \(n) x \(kinds.count)")
        }
        return (0..<n).map { i in
            var g: [String: Int] = [:]
            for (j, kind) in kinds.enumerated() where counts[i * kinds.count + j] != 0 { g[kind] = Int(counts[i * kinds.count + j]) }
            return BenchmarkRow(name: names[i], accuracy: acc[i], loss: loss[i], auc: auc[i], gateCounts: g,
                                depth: depth[i], qubits: qubits[i], parameters: params[i], wallSeconds: wall[i])
        }
    }
}
