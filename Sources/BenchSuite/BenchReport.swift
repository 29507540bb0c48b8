// `bench report`: reads result files (or every `*.h5` result file directly in given folders) and
// builds one comparison table per suite: a row per configuration (and per run when several files
// hold the same suite), columns accuracy, loss, AUC, speed, wall time, qubits, gates, depth,
// parameters, and `ratio` = this row's speed / its baseline row's speed (same file; the baseline is
// the row the suite named, e.g. the Classic model at the same size and batch, else the file's
// first row), so "quantum vs classic" and "2 threads vs 1" read off one column.

import Core
import Foundation

public enum BenchReport {
    public enum Format: String, CaseIterable, Sendable { case markdown, csv }

    /// Table columns, in order.
    public static let columns = ["run", "configuration", "accuracy", "loss", "AUC", "speed", "unit", "wall s",
                                 "qubits", "gates", "depth", "parameters", "ratio", "baseline", "gates by kind", "note"]

    /// Result files from files and folders (a folder contributes its `*.h5` files, not
    /// subfolders), sorted by name. Files that are not result files, or are still being written
    /// (empty reservations), go to `skipped` with the reason.
    public static func load(_ inputs: [String]) throws -> (results: [BenchResult], skipped: [String]) {
        var paths: [String] = []
        for input in inputs {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir) else {
                throw DeepfakeError("\(input) does not exist: pass result files (*.h5) or the folder `bench run --out` wrote")
            }
            if isDir.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: input).filter { $0.hasSuffix(".h5") && !$0.hasPrefix(".") }
                paths += names.sorted().map { (input as NSString).appendingPathComponent($0) }
            } else {
                paths.append(input)
            }
        }
        var results: [BenchResult] = [], skipped: [String] = []
        for p in paths {
            let size = (try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0
            if size == 0 { skipped.append("\(p): empty (a run still writing it?)"); continue }
            do { results.append(try BenchResultFile.read(path: p)) } catch {
                skipped.append("\(p): \((error as? DeepfakeError)?.message ?? "\(error)")")
            }
        }
        if results.isEmpty {
            throw DeepfakeError("no benchmark result files in \(inputs.joined(separator: ", "))"
                + (skipped.isEmpty ? "" : " (skipped: \(skipped.joined(separator: "; ")))") + ": run `bench run --out DIR` first")
        }
        return (results, skipped)
    }

    /// Writes the report `text` to `path` (`bench report --output`): never onto one of `inputs`
    /// (files, or folders and the files directly in them), and onto an existing file only with `force`.
    public static func writeOutput(_ text: String, to path: String, inputs: [String], force: Bool) throws {
        let files = inputs.flatMap { input in
            [input] + ((try? FileManager.default.contentsOfDirectory(atPath: input)) ?? [])
                .map { (input as NSString).appendingPathComponent($0) }
        }
        try OutputFiles.checkWritable([path], inputs: files, force: force)
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw DeepfakeError("cannot write --output \(path): \(error.localizedDescription)")
        }
    }

    /// Suites in a fixed order (known ones first), each with its rows' cells.
    public static func tables(_ results: [BenchResult]) -> [(suite: String, files: [BenchResult], rows: [[String]])] {
        let order = ["training", "throughput", "preprocess", "scaling"]
        let suites = Set(results.map(\.suite)).sorted { a, b in
            (order.firstIndex(of: a) ?? order.count, a) < (order.firstIndex(of: b) ?? order.count, b)
        }
        return suites.map { suite in
            let files = results.filter { $0.suite == suite }
            return (suite, files, files.flatMap { f in f.records.map { cells($0, in: f) } })
        }
    }

    /// The cells of one record (see `columns`).
    static func cells(_ r: BenchRecord, in file: BenchResult) -> [String] {
        let base = baseline(of: r, in: file)
        var ratio = "n/a"
        if let b = base {
            if r.throughput.isFinite && b.throughput.isFinite && b.throughput > 0 {
                ratio = String(format: "%.2fx", r.throughput / b.throughput)
            } else if !r.throughput.isFinite && !b.throughput.isFinite && !failed(r) && !failed(b)
                        && r.row.wallSeconds.isFinite && b.row.wallSeconds.isFinite && r.row.wallSeconds > 0 {
                ratio = String(format: "%.2fx", b.row.wallSeconds / r.row.wallSeconds)
            }
        }
        let kinds = r.row.gateCounts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
        return [runLabel(file), r.row.name, num(r.row.accuracy, 4), num(r.row.loss, 4), num(r.row.auc, 4),
                num(r.throughput, r.throughput < 100 ? 2 : 1), r.throughput.isFinite ? r.throughputUnit : "",
                num(r.row.wallSeconds, r.row.wallSeconds >= 1 ? 2 : 4), int(r.row.qubits), int(r.row.totalGates), int(r.row.depth), int(r.row.parameters),
                ratio, base?.row.name ?? "", kinds, r.note]
    }

    /// A configuration that did not run (its note says why): it has no figure to compare.
    static func failed(_ r: BenchRecord) -> Bool { r.note.hasPrefix("unsupported:") || r.note.hasPrefix("failed:") }

    /// The row named by `baseline` in the same file, else the file's first row.
    static func baseline(of r: BenchRecord, in file: BenchResult) -> BenchRecord? {
        if !r.baseline.isEmpty, let b = file.records.first(where: { $0.row.name == r.baseline }) { return b }
        return file.records.first
    }

    /// `<stamp>-<hex>` of `<suite>-<stamp>-<hex>.h5`, else the file name.
    static func runLabel(_ f: BenchResult) -> String {
        let name = ((f.path as NSString).lastPathComponent as NSString).deletingPathExtension
        return name.hasPrefix(f.suite + "-") ? String(name.dropFirst(f.suite.count + 1)) : name
    }

    static func num(_ x: Double, _ digits: Int) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "n/a" }
    static func int(_ x: Int) -> String { x == 0 ? "" : String(x) }

    /// The whole report as Markdown (a section per suite with its files' host/date/commit) or CSV
    /// (one table, a leading `suite` column).
    public static func render(_ results: [BenchResult], format: Format) -> String {
        let t = tables(results)
        switch format {
        case .csv:
            func field(_ s: String) -> String {
                s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            var lines = [(["suite"] + columns).map(field).joined(separator: ",")]
            for (suite, _, rows) in t { for r in rows { lines.append(([suite] + r).map(field).joined(separator: ",")) } }
            return lines.joined(separator: "\n") + "\n"
        case .markdown:
            func line(_ cells: [String]) -> String {
                "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
                    .joined(separator: " | ") + " |"
            }
            var out = "# Benchmark comparison\n"
            for (suite, files, rows) in t {
                out += "\n## \(suite)\n\n"
                for f in files {
                    let a = f.attributes
                    out += "- `\((f.path as NSString).lastPathComponent)`: host \(a["host"] ?? "?"), \(a["cores"] ?? "?") cores, "
                        + "\(a["date"] ?? "?"), commit \(a["commit"].map { String($0.prefix(10)) } ?? "unknown")"
                        + (a["quick"] == "true" ? ", quick" : "") + "\n"
                }
                out += "\nratio = speed / the baseline row's speed (when neither has a speed: baseline wall time / wall time).\n\n"
                out += line(columns) + "\n" + line(columns.map { _ in "---" }) + "\n"
                for r in rows { out += line(r) + "\n" }
            }
            return out
        }
    }
}
