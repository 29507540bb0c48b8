// `bench report`: reads result files (or every `*.h5` result file directly in given folders) and
// builds one table per suite (ReportTables: the columns each suite has, speed-up and efficiency
// for the rank suites, median and min-max of the repeats), narrow enough to read: columns empty
// in every row are dropped, and each row's note becomes a reference [n] listed under the table.
// A ratio compares like with like only: a row with the baseline it names in its own file, in the
// same unit; a row that names none has no ratio.

import Core
import Foundation

public enum BenchReport {
    public enum Format: String, CaseIterable, Sendable { case markdown, csv }

    /// One suite's table, before empty columns are dropped.
    public struct Table: Sendable {
        public var suite: String
        public var files: [BenchResult]
        public var columns: [String]
        public var rows: [[String]]
        /// Notes of the rows, in first-use order; a row's "note" cell is "[k]" for notes[k - 1].
        public var notes: [String]

        /// The table without the columns that are empty (or "n/a") in every row.
        public var narrowed: Table {
            let keep = columns.indices.filter { c in rows.contains { !["", "n/a"].contains($0[c]) } }
            var t = self
            t.columns = keep.map { columns[$0] }
            t.rows = rows.map { r in keep.map { r[$0] } }
            return t
        }

        /// The cells of the named column (nil when the table has no such column).
        public func column(_ name: String) -> [String]? {
            columns.firstIndex(of: name).map { c in rows.map { $0[c] } }
        }
    }

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

    /// Suites in a fixed order (known ones first), each with its full table (see `Table.narrowed`).
    public static func tables(_ results: [BenchResult]) -> [Table] {
        let order = BenchSuiteName.allCases.map(\.rawValue)
        let suites = Set(results.map(\.suite)).sorted { a, b in
            (order.firstIndex(of: a) ?? order.count, a) < (order.firstIndex(of: b) ?? order.count, b)
        }
        return suites.map { suite in
            let files = results.filter { $0.suite == suite }
            return ReportTables.table(suite: suite, files: files)
        }
    }

    /// The row named by `baseline` in the same file, when it exists, is in the same unit and has
    /// a figure: the only comparison a ratio is given for.
    static func baseline(of r: BenchRecord, in file: BenchResult) -> BenchRecord? {
        guard !r.baseline.isEmpty, let b = file.records.first(where: { $0.row.name == r.baseline }),
              b.throughputUnit == r.throughputUnit, !failed(b) else { return nil }
        return b
    }

    /// A configuration that did not run (its note says why): it has no figure to compare.
    static func failed(_ r: BenchRecord) -> Bool { r.note.hasPrefix("unsupported:") || r.note.hasPrefix("failed:") }

    /// `<stamp>-<hex>` of `<suite>-<stamp>-<hex>.h5`, else the file name.
    static func runLabel(_ f: BenchResult) -> String {
        let name = ((f.path as NSString).lastPathComponent as NSString).deletingPathExtension
        return name.hasPrefix(f.suite + "-") ? String(name.dropFirst(f.suite.count + 1)) : name
    }

    /// The whole report as Markdown (a section per suite with its files' environment, the
    /// narrowed table and its notes) or CSV (one row per table row, a leading `suite` column,
    /// the union of every suite's columns).
    public static func render(_ results: [BenchResult], format: Format) -> String {
        let t = tables(results).map(\.narrowed)
        switch format {
        case .csv:
            func field(_ s: String) -> String {
                s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            var header: [String] = []
            for table in t { for c in table.columns where !header.contains(c) { header.append(c) } }
            var lines = [(["suite"] + header).map(field).joined(separator: ",")]
            for table in t {
                for r in table.rows {
                    let cells = header.map { h -> String in
                        guard let i = table.columns.firstIndex(of: h) else { return "" }
                        if h == "note", let k = Int(r[i].dropFirst().dropLast()), r[i].hasPrefix("[") { return table.notes[k - 1] }
                        return r[i]
                    }
                    lines.append(([table.suite] + cells).map(field).joined(separator: ","))
                }
            }
            return lines.joined(separator: "\n") + "\n"
        case .markdown:
            func line(_ cells: [String]) -> String {
                "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
                    .joined(separator: " | ") + " |"
            }
            var out = "# Benchmark comparison\n"
            for table in t {
                if table.suite == BenchSuiteName.comparison.rawValue { out += comparisonSection(table.files); continue }
                out += "\n## \(table.suite)\n\n"
                for f in table.files { out += "- " + fileLine(f) + "\n" }
                out += "\n" + line(table.columns) + "\n" + line(table.columns.map { _ in "---" }) + "\n"
                for r in table.rows { out += line(r) + "\n" }
                if let legend = ReportTables.legend[table.suite] { out += "\n" + legend + "\n" }
                if !table.notes.isEmpty {
                    out += "\n" + table.notes.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n") + "\n"
                }
            }
            return out
        }
    }

    /// The comparison files' statistics (ComparisonReport), one section per study name.
    static func comparisonSection(_ files: [BenchResult]) -> String {
        var out = ""
        for (study, group) in comparisonStudies(files) {
            out += ComparisonReport.markdown(group.points, title: study)
            out += "\n" + group.files.map { "- " + fileLine($0) + "\n" }.joined()
            for e in group.errors { out += "- \(e)\n" }
        }
        return out
    }

    /// Comparison files grouped by their study attribute, with their points merged (a resumed
    /// study's later file wins for a point met twice).
    static func comparisonStudies(_ files: [BenchResult]) -> [(String, (files: [BenchResult], points: [PointResult], errors: [String]))] {
        var names: [String] = []
        var groups: [String: (files: [BenchResult], points: [[PointResult]], errors: [String])] = [:]
        for f in files {
            let name = f.attributes["study"] ?? "unnamed"
            if groups[name] == nil { names.append(name); groups[name] = ([], [], []) }
            groups[name]!.files.append(f)
            do { groups[name]!.points.append(try ComparisonResultFile.read(path: f.path)) } catch {
                groups[name]!.errors.append("\(f.path): \((error as? DeepfakeError)?.message ?? "\(error)")")
            }
        }
        return names.map { n in (n, (groups[n]!.files, ComparisonReport.merge(groups[n]!.points), groups[n]!.errors)) }
    }

    /// One file's provenance line: name, host, CPU, cores, date, commit, build, BLAS, MPI, Slurm.
    static func fileLine(_ f: BenchResult) -> String {
        let a = f.attributes
        var parts = ["`\((f.path as NSString).lastPathComponent)`: host \(a["host"] ?? "?")"]
        if let cpu = a["cpu_model"] { parts.append(cpu) }
        parts.append("\(a["cores_per_node"] ?? a["cores"] ?? "?") cores")
        parts.append(a["date"] ?? "?")
        parts.append("commit \(a["commit"].map { String($0.prefix(10)) } ?? "unknown")")
        if let b = a["build_configuration"] { parts.append("\(b) build" + (a["build_flags"].map { " (\($0))" } ?? "")) }
        if let o = a["openblas_core"] { parts.append("OpenBLAS \(o)") }
        if let m = a["mpi_library"] { parts.append(m) }
        if let j = a["slurm_job_id"], !j.isEmpty { parts.append("Slurm job \(j) on \(a["slurm_nodelist"] ?? "?")") }
        if let b = a["binding"] { parts.append("binding: \(b)") }
        if a["quick"] == "true" { parts.append("quick") }
        return parts.joined(separator: ", ")
    }
}
