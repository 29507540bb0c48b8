// One bench suite's result file: Reporting's HDF5 benchmark format (BenchmarkResults: accuracy,
// loss, AUC, gates, depth, qubits, parameters, wall time per row) plus the columns a scaling study
// needs beside them, stored as extra datasets under /results so BenchmarkResults.read (and h5py)
// still read the file unchanged:
//   /results/model, dataset, throughput_unit, baseline, note   string[n]
//   /results/image_size, batch_size, epochs, threads            int64[n]
//   /results/throughput                                         float64[n]  (NaN = not measured)
//   /results/ranks, nodes, threads_per_rank                     int64[n]    (0 = not a rank study)
//   /results/hosts, scaling                                     string[n]   (rank hosts and CPU sets;
//                                                               strong / weak / baseline)
//   /results/repeat_seconds                                     float64[n, maxRepeats] (every timed
//                                                               repeat, NaN-padded; absent when none)
//   /results/figure_<name>                                      float64[n]  (named figures: compute_s,
//                                                               allreduce_s, bytes_exchanged, ...; NaN = n/a)
// Files are named `<suite>-<UTC yyyyMMdd-HHmmss>-<6 hex>.h5`; the name is reserved with
// O_CREAT|O_EXCL before writing, so two runs in the same second never collide, and the finished
// file replaces the reservation with one rename(2), so a reader never sees half a study.

import Core
import Foundation
import Reporting
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// One benchmarked configuration: Reporting's row plus the study's own columns.
public struct BenchRecord: Sendable, Equatable {
    /// Name, accuracy/loss/AUC (test set; NaN when not measured), gates, depth, qubits, parameters,
    /// and wall time (seconds the whole measurement of this row took).
    public var row: BenchmarkRow
    /// "Classic", "HQNN", "QNN", "Quantum" (a bare simulator micro-benchmark) or "Preprocess".
    public var model: String
    /// Data the row ran on ("builtin:small", "hard1k", "random").
    public var dataset: String
    public var imageSize: Int
    public var batchSize: Int
    public var epochs: Int
    public var threads: Int
    /// The row's speed figure in `throughputUnit` (NaN = not measured).
    public var throughput: Double
    /// "images/s" or "samples/s".
    public var throughputUnit: String
    /// Name of the row (same file) the report's ratio column divides by; "" = the file's first row.
    public var baseline: String
    /// Free text: "unsupported: ...", "failed: ...", the data source, ...
    public var note: String
    /// Scaling mode of a rank row: "strong", "weak", or "baseline" (the R = 1 row both compare with); "" otherwise.
    public var scaling: String = ""
    /// MPI ranks, distinct hosts they ran on (counted from the ranks' own reports) and compute
    /// threads per rank; 0 = not a multi-rank measurement.
    public var ranks: Int = 0
    public var nodes: Int = 0
    public var threadsPerRank: Int = 0
    /// `host:cpus` of every rank (the CPU set each rank was allowed: shows the binding), "; "-joined.
    public var hosts: String = ""
    /// Every timed repeat, in seconds of the row's timed unit (a step, a layer, a batch), in run order.
    public var repeatSeconds: [Double] = []
    /// Named measured figures (compute_s, allreduce_s, data_wait_s, bytes_exchanged, passes, ...).
    public var figures: [String: Double] = [:]

    public init(row: BenchmarkRow, model: String, dataset: String = "", imageSize: Int = 0, batchSize: Int = 0,
                epochs: Int = 0, threads: Int = 0, throughput: Double = .nan, throughputUnit: String = "images/s",
                baseline: String = "", note: String = "") {
        self.row = row; self.model = model; self.dataset = dataset; self.imageSize = imageSize
        self.batchSize = batchSize; self.epochs = epochs; self.threads = threads; self.throughput = throughput
        self.throughputUnit = throughputUnit; self.baseline = baseline; self.note = note
    }

    /// A figure, NaN when the row has none of that name.
    public func figure(_ name: String) -> Double { figures[name] ?? .nan }

    public static func == (a: BenchRecord, b: BenchRecord) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.row == b.row && a.model == b.model && a.dataset == b.dataset && a.imageSize == b.imageSize
            && a.batchSize == b.batchSize && a.epochs == b.epochs && a.threads == b.threads
            && same(a.throughput, b.throughput)
            && a.throughputUnit == b.throughputUnit && a.baseline == b.baseline && a.note == b.note
            && a.scaling == b.scaling && a.ranks == b.ranks && a.nodes == b.nodes && a.threadsPerRank == b.threadsPerRank && a.hosts == b.hosts
            && a.repeatSeconds.count == b.repeatSeconds.count && zip(a.repeatSeconds, b.repeatSeconds).allSatisfy(same)
            && Set(a.figures.keys) == Set(b.figures.keys) && a.figures.allSatisfy { same($0.value, b.figure($0.key)) }
    }
}

/// A result file read back: its root attributes (host, cores, date, commit, suite, quick) and rows.
public struct BenchResult: Sendable {
    public var path: String
    public var attributes: [String: String]
    public var records: [BenchRecord]
    /// The suite attribute, else the file name's prefix before the first '-'.
    public var suite: String {
        attributes["suite"] ?? String((path as NSString).lastPathComponent.split(separator: "-").first ?? "unknown")
    }
}

public enum BenchResultFile {
    /// Writes `records` as a new result file in `directory` (created if needed) and returns its
    /// path, `<suite>-<UTC stamp>-<hex>.h5`; never replaces an existing file. `extra` writes a
    /// suite's own groups (e.g. /comparison) into the file before it is closed and renamed.
    @discardableResult
    public static func write(_ records: [BenchRecord], suite: String, directory: String,
                             attributes: [String: String] = [:], now: Date = Date(),
                             extra: ((H5File) throws -> Void)? = nil) throws -> String {
        let path = try reserveName(suite: suite, directory: directory, now: now)
        let staging = (directory as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).partial")
        var file: H5File?
        do {
            var attrs = attributes
            attrs["suite"] = suite
            try BenchmarkResults.write(records.map(\.row), to: staging, attributes: attrs)
            let h5 = try H5File.open(staging, writable: true)
            file = h5
            try h5.writeStrings("results/model", records.map(\.model))
            try h5.writeStrings("results/dataset", records.map(\.dataset))
            try h5.writeStrings("results/throughput_unit", records.map(\.throughputUnit))
            try h5.writeStrings("results/baseline", records.map(\.baseline))
            try h5.writeStrings("results/note", records.map(\.note))
            try h5.write("results/image_size", records.map { Int64($0.imageSize) })
            try h5.write("results/batch_size", records.map { Int64($0.batchSize) })
            try h5.write("results/epochs", records.map { Int64($0.epochs) })
            try h5.write("results/threads", records.map { Int64($0.threads) })
            try h5.write("results/throughput", records.map(\.throughput))
            try h5.write("results/ranks", records.map { Int64($0.ranks) })
            try h5.write("results/nodes", records.map { Int64($0.nodes) })
            try h5.write("results/threads_per_rank", records.map { Int64($0.threadsPerRank) })
            try h5.writeStrings("results/hosts", records.map(\.hosts))
            try h5.writeStrings("results/scaling", records.map(\.scaling))
            let width = records.map(\.repeatSeconds.count).max() ?? 0
            if width > 0 && !records.isEmpty {
                let grid = records.flatMap { $0.repeatSeconds + Array(repeating: Double.nan, count: width - $0.repeatSeconds.count) }
                try h5.write("results/repeat_seconds", grid, shape: [records.count, width])
            }
            for name in Set(records.flatMap(\.figures.keys)).sorted() {
                try h5.write("results/\(figurePrefix)\(name)", records.map { $0.figure(name) })
            }
            try extra?(h5)
            try h5.finish()
            guard rename(staging, path) == 0 else {
                throw DeepfakeError("cannot move \(staging) to \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            file?.abandon()   // closed exactly once, emptied and deleted, even on a full disk
            try? FileManager.default.removeItem(atPath: staging)
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return path
    }

    /// Creates an empty `<suite>-<stamp>-<hex>.h5` with O_EXCL (a clash draws a new hex part).
    static func reserveName(suite: String, directory: String, now: Date) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DeepfakeError("cannot create the results folder \(directory): \(error.localizedDescription); pass a writable --out")
        }
        let stamp = utcStamp(now)
        for _ in 0..<1000 {
            let path = (directory as NSString).appendingPathComponent(
                "\(suite)-\(stamp)-\(String(format: "%06x", UInt32.random(in: 0..<(1 << 24)))).h5")
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            if fd >= 0 { close(fd); return path }
            if errno != EEXIST {
                throw DeepfakeError("cannot create result file \(path): \(String(cString: strerror(errno))); check that \(directory) is writable")
            }
        }
        throw DeepfakeError("no free result-file name for suite \(suite) in \(directory) after 1000 tries")
    }

    /// `yyyyMMdd-HHmmss` in UTC.
    public static func utcStamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f.string(from: date)
    }

    /// Dataset-name prefix of a named figure under /results.
    static let figurePrefix = "figure_"

    /// Reads a result file. Files written by BenchmarkResults alone (no extra columns) read with
    /// defaults: model "", throughput NaN.
    public static func read(path: String) throws -> BenchResult {
        let rows = try BenchmarkResults.read(path: path)
        let h5 = try H5File.open(path)
        defer { h5.close() }
        var attrs: [String: String] = [:]
        for name in try h5.attributeNames() {
            if let s = try? h5.attributeString(name) { attrs[name] = s }
            else if let i = try? h5.attributeInt(name) { attrs[name] = String(i) }
            else if let d = try? h5.attributeDouble(name) { attrs[name] = String(d) }
        }
        let n = rows.count
        func strings(_ k: String, _ fallback: String = "") throws -> [String] {
            guard h5.exists("results/\(k)") else { return Array(repeating: fallback, count: n) }
            let v = try h5.readStrings("results/\(k)")
            guard v.count == n else { throw DeepfakeError("\(path): results/\(k) has \(v.count) rows, names has \(n)") }
            return v
        }
        func ints(_ k: String) throws -> [Int] {
            guard h5.exists("results/\(k)") else { return Array(repeating: 0, count: n) }
            let v = try h5.read("results/\(k)", as: Int64.self).values.map { Int($0) }
            guard v.count == n else { throw DeepfakeError("\(path): results/\(k) has \(v.count) rows, names has \(n)") }
            return v
        }
        let model = try strings("model"), dataset = try strings("dataset"), unit = try strings("throughput_unit", "images/s")
        let baseline = try strings("baseline"), note = try strings("note")
        let size = try ints("image_size"), batch = try ints("batch_size"), epochs = try ints("epochs"), threads = try ints("threads")
        var throughput = Array(repeating: Double.nan, count: n)
        if h5.exists("results/throughput") {
            throughput = try h5.read("results/throughput", as: Double.self).values
            guard throughput.count == n else { throw DeepfakeError("\(path): results/throughput has \(throughput.count) rows, names has \(n)") }
        }
        let ranks = try ints("ranks"), nodes = try ints("nodes"), perRank = try ints("threads_per_rank")
        let hosts = try strings("hosts"), scaling = try strings("scaling")
        var repeats = Array(repeating: [Double](), count: n)
        if h5.exists("results/repeat_seconds") {
            let (v, shape) = try h5.read("results/repeat_seconds", as: Double.self)
            guard shape.count == 2, shape[0] == n else {
                throw DeepfakeError("\(path): results/repeat_seconds has shape \(shape), expected [\(n), repeats]")
            }
            for i in 0..<n { repeats[i] = Array(v[(i * shape[1])..<((i + 1) * shape[1])]).filter { !$0.isNaN } }
        }
        var figures = Array(repeating: [String: Double](), count: n)
        for name in try h5.list("results") where name.hasPrefix(figurePrefix) {
            let v = try h5.read("results/\(name)", as: Double.self).values
            guard v.count == n else { throw DeepfakeError("\(path): results/\(name) has \(v.count) rows, names has \(n)") }
            for i in 0..<n where !v[i].isNaN { figures[i][String(name.dropFirst(figurePrefix.count))] = v[i] }
        }
        let records = (0..<n).map { i in
            var r = BenchRecord(row: rows[i], model: model[i], dataset: dataset[i], imageSize: size[i], batchSize: batch[i],
                                epochs: epochs[i], threads: threads[i], throughput: throughput[i], throughputUnit: unit[i],
                                baseline: baseline[i], note: note[i])
            r.ranks = ranks[i]; r.nodes = nodes[i]; r.threadsPerRank = perRank[i]; r.hosts = hosts[i]; r.scaling = scaling[i]
            r.repeatSeconds = repeats[i]; r.figures = figures[i]
            return r
        }
        return BenchResult(path: path, attributes: attrs, records: records)
    }
}
