// BenchSuite end to end: a real (tiny) training study and throughput/preprocess studies write
// HDF5 result files that read back with the right fields; `report` tabulates two files with the
// expected rows, columns and ratios; result-file names never collide; peer commands and the
// quantum-resources reader.

@testable import BenchSuite
import Config
import Core
import Datasets
import Foundation
import Reporting
import TestSupport
import XCTest

final class BenchSuiteTests: TemporaryFolderTestCase {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// `bench run --suite training --quick` through the library, on 32 built-in generated faces
    /// (the debug-build ResNet-18 is slow): 1 configuration x {Classic, HQNN}, 1 epoch.
    func testTrainingStudyWritesReadableResultFile() throws {
        let faces = tmp + "/faces"
        try BuiltinDataset.generate(into: faces, countPerClass: 16, size: 32, seed: 7)
        let study = TrainingStudy(models: [.classic, .hqnn], imageSizes: [32], batchSizes: [16], epochs: 1,
                                  trainData: DatasetEntry(name: "tiny", source: .localFolder(faces)), threads: 2)
        var lines: [String] = []
        let files = try BenchRunner.run(BenchRunner.Options(suites: [.training], outDirectory: tmp + "/out", quick: true,
                                                            training: study, threads: 2, packageRoot: packageRoot)) { lines.append($0) }
        XCTAssertEqual(files.count, 1)
        let path = files[0]
        XCTAssertTrue((path as NSString).lastPathComponent.hasPrefix("training-"))
        XCTAssertTrue(path.hasSuffix(".h5"))

        // Reporting's own reader sees the standard columns.
        let rows = try BenchmarkResults.read(path: path)
        XCTAssertEqual(rows.map(\.name), ["Classic 32px b16", "HQNN 32px b16"])

        let result = try BenchResultFile.read(path: path)
        XCTAssertEqual(result.suite, "training")
        XCTAssertEqual(result.attributes["quick"], "true")
        XCTAssertEqual(result.attributes["cores"], String(ProcessInfo.processInfo.activeProcessorCount))
        XCTAssertFalse(result.attributes["host", default: ""].isEmpty)
        XCTAssertNotNil(result.attributes["date"])
        if let commit = result.attributes["commit"] { XCTAssertEqual(commit.count, 40) }

        let classic = result.records[0]
        XCTAssertEqual(classic.model, "Classic")
        XCTAssertEqual(classic.imageSize, 32)
        XCTAssertEqual(classic.batchSize, 16)
        XCTAssertEqual(classic.epochs, 1)
        XCTAssertEqual(classic.threads, 2)
        XCTAssertEqual(classic.dataset, "tiny")
        XCTAssert((0...1).contains(classic.row.accuracy), "accuracy \(classic.row.accuracy)")
        XCTAssert((0...1).contains(classic.row.auc), "AUC \(classic.row.auc)")
        XCTAssert(classic.row.loss.isFinite && classic.row.loss > 0, "loss \(classic.row.loss)")
        XCTAssertGreaterThan(classic.row.wallSeconds, 0)
        XCTAssertGreaterThan(classic.throughput, 0)
        XCTAssertEqual(classic.throughputUnit, "images/s")
        XCTAssertEqual(classic.row.parameters, 11_177_538)  // torchvision ResNet-18 with a 2-class fc
        XCTAssertEqual(classic.row.qubits, 0)
        XCTAssertTrue(classic.row.gateCounts.isEmpty)

        // HQNN trains (a "failed:" or "unsupported:" note would be a regression, not a pass), with
        // the circuit resources of the run's quantum_resources.json: 2 parallel 4-qubit circuits, 1 layer.
        let hqnn = result.records[1]
        XCTAssertEqual(hqnn.baseline, "Classic 32px b16")
        XCTAssertFalse(hqnn.note.hasPrefix("unsupported:") || hqnn.note.hasPrefix("failed:"), hqnn.note)
        XCTAssert((0...1).contains(hqnn.row.accuracy), "accuracy \(hqnn.row.accuracy)")
        XCTAssertEqual(hqnn.row.qubits, 4)
        XCTAssertEqual(hqnn.row.gateCounts, ["RX": 8, "Rot": 8, "CNOT": 8])
        XCTAssertGreaterThan(hqnn.row.depth, 0)
        XCTAssertGreaterThan(hqnn.row.parameters, classic.row.parameters - 1000)
        // The work folder (weights, run folders) is removed; the data cache stays for later studies.
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp + "/out")
        XCTAssertFalse(left.contains { $0.hasPrefix("training-runs-") }, "\(left)")
        XCTAssertTrue(lines.contains { $0.contains("training data") }, "\(lines)")
    }

    /// With process isolation a configuration whose training process dies by a signal is a
    /// "failed" row and the study goes on.
    func testCrashedTrainingProcessBecomesAFailedRow() throws {
        let faces = tmp + "/faces"
        try BuiltinDataset.generate(into: faces, countPerClass: 8, size: 32, seed: 7)
        let crasher = tmp + "/crasher.sh"
        try "#!/bin/sh\nkill -ILL $$\n".write(toFile: crasher, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: crasher)
        var study = TrainingStudy(models: [.classic, .qnn], imageSizes: [32], batchSizes: [16], epochs: 1,
                                  trainData: DatasetEntry(name: "tiny", source: .localFolder(faces)), threads: 1)
        study.isolationExecutable = crasher
        let records = try TrainingSuite.run(study, outDirectory: tmp + "/out", packageRoot: packageRoot) { _ in }
        XCTAssertEqual(records.map(\.row.name), ["Classic 32px b16", "QNN 32px b16"])
        for r in records {
            XCTAssertTrue(r.note.hasPrefix("failed: the training process crashed (signal 4)"), r.note)
            XCTAssertTrue(r.row.accuracy.isNaN)
        }
    }

    func record(_ name: String, model: String, speed: Double, baseline: String = "", acc: Double = 0.75,
                gates: [String: Int] = [:], qubits: Int = 0, depth: Int = 0, note: String = "") -> BenchRecord {
        BenchRecord(row: BenchmarkRow(name: name, accuracy: acc, loss: 0.5, auc: 0.8, gateCounts: gates, depth: depth,
                                      qubits: qubits, parameters: 100, wallSeconds: 2),
                    model: model, dataset: "builtin:small", imageSize: 32, batchSize: 16, epochs: 1, threads: 2,
                    throughput: speed, throughputUnit: "images/s", baseline: baseline, note: note)
    }

    func testReportOfTwoFilesHasRowsColumnsAndRatios() throws {
        let out = tmp + "/results"
        let a = try BenchResultFile.write([
            record("Classic 32px b16", model: "Classic", speed: 100),
            record("HQNN 32px b16", model: "HQNN", speed: 25, baseline: "Classic 32px b16",
                   gates: ["RX": 4, "Rot": 4, "CNOT": 4], qubits: 4, depth: 7),
            record("QNN 32px b16", model: "QNN", speed: .nan, baseline: "Classic 32px b16", acc: .nan, note: "unsupported: not yet"),
        ], suite: "training", directory: out, attributes: ["host": "h1", "commit": String(repeating: "a", count: 40)])
        let b = try BenchResultFile.write([
            record("Classic 64px b32", model: "Classic", speed: 40),
            record("Classic 128px b32", model: "Classic", speed: 10),
        ], suite: "throughput", directory: out)
        XCTAssertNotEqual(a, b)

        let (results, skipped) = try BenchReport.load([out])
        XCTAssertEqual(results.count, 2)
        XCTAssertTrue(skipped.isEmpty)
        let tables = BenchReport.tables(results)
        XCTAssertEqual(tables.map(\.suite), ["training", "throughput"])
        let training = tables[0]
        XCTAssertEqual(training.column("configuration"), ["Classic 32px b16", "HQNN 32px b16", "QNN 32px b16"])
        XCTAssertEqual(training.column("ratio"), ["1.00x", "0.25x", "n/a"])
        XCTAssertEqual(training.column("baseline"), ["", "Classic 32px b16", "Classic 32px b16"])
        XCTAssertEqual(training.column("qubits"), ["", "4", ""])
        XCTAssertEqual(training.column("gates"), ["", "12", ""])
        XCTAssertEqual(training.column("depth"), ["", "7", ""])
        XCTAssertEqual(training.column("gates by kind")?[1], "CNOT:4 RX:4 Rot:4")
        XCTAssertEqual(training.column("accuracy"), ["0.7500", "0.7500", "n/a"])
        XCTAssertEqual(training.column("speed")?[0], "100.0")
        // The long note is a reference, listed under the table.
        XCTAssertEqual(training.column("note"), ["", "", "[1]"])
        XCTAssertEqual(training.notes, ["unsupported: not yet"])
        // No named baseline: no ratio (like with like only; the first row is not a default baseline).
        XCTAssertEqual(tables[1].column("ratio"), ["", ""])
        // Narrowed: a column empty in every row is dropped (one file: no run column).
        XCTAssertNil(tables[1].narrowed.column("ratio"))
        XCTAssertNil(training.narrowed.column("run"))
        XCTAssertNotNil(training.narrowed.column("gates by kind"))

        let md = BenchReport.render(results, format: .markdown)
        for needle in ["## training", "## throughput", "| configuration | accuracy | loss | AUC | speed",
                       "| HQNN 32px b16 |", "0.25x", "host h1", "commit aaaaaaaaaa", "\n1. unsupported: not yet\n"] {
            XCTAssertTrue(md.contains(needle), "markdown lacks \(needle):\n\(md)")
        }
        let tableLines = md.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| configuration") && !$0.hasPrefix("| ---") }
        XCTAssertEqual(tableLines.count, 5)

        let csv = BenchReport.render(results, format: .csv).split(separator: "\n")
        XCTAssertEqual(csv.count, 6)
        XCTAssertTrue(csv[0].hasPrefix("suite,configuration,accuracy,loss,AUC,speed"), String(csv[0]))
        XCTAssertTrue(csv[2].hasPrefix("training,") && csv[2].contains(",0.25x,"), String(csv[2]))
        XCTAssertTrue(csv[3].hasSuffix(",unsupported: not yet"), String(csv[3]))

        // A reserved (still empty) file and a non-result HDF5 file are skipped, not fatal.
        FileManager.default.createFile(atPath: out + "/training-20990101-000000-000000.h5", contents: Data())
        XCTAssertEqual(try BenchReport.load([out]).skipped.count, 1)
        XCTAssertThrowsError(try BenchReport.load([tmp + "/nothing-here"]))
    }

    func testResultFileNamesNeverCollide() throws {
        let now = Date()
        var paths = Set<String>()
        for i in 0..<12 {
            let p = try BenchResultFile.write([record("r\(i)", model: "Classic", speed: Double(i + 1))],
                                              suite: "throughput", directory: tmp, now: now)
            paths.insert(p)
        }
        XCTAssertEqual(paths.count, 12)
        let stamp = BenchResultFile.utcStamp(now)
        for p in paths {
            XCTAssertTrue((p as NSString).lastPathComponent.hasPrefix("throughput-\(stamp)-"))
        }
        // Every file still holds its own row (none was overwritten).
        let names = try paths.map { try BenchResultFile.read(path: $0).records[0].row.name }
        XCTAssertEqual(Set(names), Set((0..<12).map { "r\($0)" }))
        // No staging or reservation leftovers.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp).count, 12)
    }

    func testThroughputRowsCarryFiguresAndCircuitResources() throws {
        let s = ThroughputStudy(classicSizes: [32], classicBatch: 2, classicSteps: 1, hqnnBatch: 8, hqnnLayers: 2, hqnnCircuits: 2,
                                forwardBatch: 16, quanvImages: 1, quanvSize: 8, repeats: 1)
        let rows = ThroughputSuite.run(s, threads: 1) { _ in }
        XCTAssertEqual(rows.count, 4)
        for r in rows { XCTAssertGreaterThan(r.throughput, 0, r.row.name) }
        let head = try XCTUnwrap(rows.first { $0.row.name.hasPrefix("HQNN head 2x8q L=2 B=8") })
        // Per circuit: AngleEmbedding 8 RX + 2 layers x (8 Rot + 8 CNOT); two circuits.
        XCTAssertEqual(head.row.gateCounts, ["RX": 16, "Rot": 32, "CNOT": 32])
        XCTAssertEqual(head.row.qubits, 8)
        XCTAssertEqual(head.row.parameters, 2 * 2 * 8 * 3)
        XCTAssertGreaterThan(head.row.depth, 2)
        let layer = try XCTUnwrap(rows.first { $0.row.name.hasPrefix("8-qubit layer forward") })
        XCTAssertEqual(layer.row.totalGates, 8 + 6 * 16)
        let quanv = try XCTUnwrap(rows.first { $0.row.name.hasPrefix("quanvolution") })
        XCTAssertEqual(quanv.row.qubits, 4)
        let path = try BenchResultFile.write(rows, suite: "throughput", directory: tmp)
        XCTAssertEqual(try BenchResultFile.read(path: path).records, rows)
    }

    func testPreprocessQuickMeasuresBuiltinSet() throws {
        let rows = try PreprocessSuite.run(quick: true, threads: 2, size: 32, scratch: tmp + "/scratch", datasets: nil) { _ in }
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0].dataset, "builtin:small")
        XCTAssertGreaterThan(rows[0].throughput, 0)
        XCTAssertTrue(rows[0].note.contains("240 images"), rows[0].note)
    }

    func testQuantumResourcesFileIsRead() throws {
        var row = BenchmarkRow(name: "HQNN", accuracy: 0.5, loss: 1, auc: 0.5, parameters: 10, wallSeconds: 1)
        try RunFolderReader.applyResources([
            "layers": [["qubits": 4, "depth": 5, "copies": 2, "gate_counts": ["RX": 4, "Rot": 4, "CNOT": 4]],
                       ["qubits": 4, "depth": 6, "gate_counts": ["RX": 4, "Rot": 4, "CNOT": 4]]],
            "parameters": 1234,
        ], to: &row)
        XCTAssertEqual(row.gateCounts, ["RX": 12, "Rot": 12, "CNOT": 12])
        XCTAssertEqual(row.qubits, 4)
        XCTAssertEqual(row.depth, 6)
        XCTAssertEqual(row.parameters, 1234)
        try RunFolderReader.applyResources(["qubits": 8, "depth": 3, "gateCounts": ["RY": 8]], to: &row)
        XCTAssertEqual(row.gateCounts, ["RY": 8])
        XCTAssertEqual(row.qubits, 8)
        XCTAssertThrowsError(try RunFolderReader.applyResources(["note": "nothing"], to: &row))
    }

    func testBaseConfigSuppliesEverySettingButTheGrid() throws {
        var study = TrainingStudy()
        try study.useBaseConfig(path: packageRoot + "/configs/bench/training-hard1k.yaml")
        XCTAssertNil(study.trainData)
        let base = try XCTUnwrap(study.baseConfig)
        let (entry, kaggle, note) = TrainingSuite.chooseData(study.trainData, base: study.baseConfig, packageRoot: packageRoot,
                                                             datasets: nil)
        XCTAssertEqual(entry.name, "hard1k")
        XCTAssertEqual(kaggle, "../shared/datasets/kagglehub")
        XCTAssertTrue(note.contains("base config"))
        let c = try TrainingSuite.makeConfig(model: .hqnn, size: 64, batch: 32, epochs: 2, entry: entry, kagglePath: kaggle,
                                             threads: 3, base: base)
        XCTAssertEqual(c.modelType, .quantum)
        XCTAssertEqual(c.quanType, .hqnn)
        XCTAssertEqual([c.imageHeight, c.imageWidth, c.batchSize, c.numEpochs, c.nCPUs], [64, 64, 32, 2, 3])
        XCTAssertEqual(c.learningRate, 0.0002)
        XCTAssertEqual(c.valSize, 0.3)
        XCTAssertEqual(c.nQuantumLayers, 2)
        // The generated config survives the YAML round trip DeepfakeApp.train reads it through.
        XCTAssertEqual(try Config.parse(yaml: c.toYAML()), c)
        // Without a base: the demo's settings on the chosen data.
        let d = try TrainingSuite.makeConfig(model: .classic, size: 32, batch: 16, epochs: 1,
                                             entry: DatasetEntry(name: "demo", source: .builtin(variant: "small")),
                                             kagglePath: "/tmp", threads: 1)
        XCTAssertEqual([d.valSize, d.testSize, d.learningRate], [0.2, 0.5, 0.001])
        XCTAssertNoThrow(try Config.load(path: packageRoot + "/configs/bench/training.yaml"))
    }

    func testPeerCommandsCoverTheScriptsPresent() throws {
        let dir = packageRoot + "/benchmarks"
        let c = Peers.comparisons(benchmarksDir: dir, python: "py")
        let scripts = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".py") && $0 != "quantum_common.py" }
        XCTAssertEqual(Set(c.map(\.script)), Set(scripts))
        if let torch = c.first(where: { $0.script == "torch_resnet_throughput.py" }) {
            XCTAssertEqual(torch.swift, ".build/release/bench run --suite throughput --out results/bench")
            XCTAssertTrue(torch.peer.hasPrefix("py benchmarks/torch_resnet_throughput.py --sizes 32,64,128 --batch 32 --steps 10 --repeats 5"))
        }
        if let hqnn = c.first(where: { $0.script == "quantum_hqnn.py" }) {
            XCTAssertTrue(hqnn.peer.contains("--swift-cmd \".build/release/bench quantum hqnn\""))
        }
        // No machine path built in: the datasets folder and the interpreter are handed in.
        let pre = try XCTUnwrap(c.first { $0.script == "preprocess_pillow.py" })
        XCTAssertTrue(pre.peer.contains("--root DATASETS/kagglehub/datasets"), pre.peer)
        let withData = Peers.comparisons(benchmarksDir: dir, python: "py", datasets: "/data/sets")
        XCTAssertTrue(withData.first { $0.script == "preprocess_pillow.py" }!.peer.contains("--root /data/sets/kagglehub/datasets"))
        XCTAssertEqual(Peers.python(flag: nil, environment: [:]), "python3")
        XCTAssertEqual(Peers.python(flag: nil, environment: ["DEEPFAKE_BENCH_PYTHON": "/v/bin/python"]), "/v/bin/python")
        XCTAssertEqual(Peers.python(flag: "/x/python", environment: ["DEEPFAKE_BENCH_PYTHON": "/v/bin/python"]), "/x/python")
        let text = Peers.text(benchmarksDir: dir, python: "py")
        for s in scripts { XCTAssertTrue(text.contains(s), s) }
        XCTAssertTrue(Peers.text(benchmarksDir: tmp, python: "py").hasPrefix("no peer scripts"))
    }
}
