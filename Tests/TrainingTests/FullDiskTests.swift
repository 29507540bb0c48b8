// A full disk (issue 9, probing defect 3): writing the data cache, a checkpoint, a plot or a bench
// result file onto a small tmpfs used to end in a segfault inside libhdf5 (rc 139, after the error
// message). Each writer now runs as a real child process (`deepfake`, `bench`) onto a tmpfs that
// fills up at various points; it must exit 1 with a clear error and leave no file that looks
// complete, and no temporary file. Mounting needs root (CI and this machine run as root).

import Datasets
import Foundation
import Reporting
import TestSupport
import XCTest

final class FullDiskTests: TemporaryFolderTestCase {
    var mounts: [String] = []

    override func tearDownWithError() throws {
        for m in mounts { _ = try? run("/bin/umount", [m]) }
        try super.tearDownWithError()
    }

    /// The built executables sit beside the test bundle.
    func tool(_ name: String) throws -> String { try ChildProcess.builtExecutable(name) }

    /// A fresh tmpfs of `bytes` (page-rounded) mounted at a new folder under `tmp`.
    func smallDisk(_ bytes: Int) throws -> String {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root") }
        let dir = tmp + "/disk\(mounts.count)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", dir])
        guard r.status == 0 else { throw XCTSkip("cannot mount a tmpfs here: \(r.output)") }
        mounts.append(dir)
        return dir
    }

    /// Fills `disk` until `free` bytes are left (a filler file).
    func fill(_ disk: String, leaving free: Int) throws {
        var st = statvfs()
        XCTAssertEqual(statvfs(disk, &st), 0)
        let avail = Int(st.f_bavail) * Int(st.f_bsize)
        try Data(count: max(0, avail - free)).write(to: URL(fileURLWithPath: disk + "/filler"))
    }

    @discardableResult
    /// Runs `exe args`; the output is stdout then stderr.
    func run(_ exe: String, _ args: [String], cwd: String? = nil) throws -> (status: Int32, output: String) {
        let r = try ChildProcess.run(exe, args, environment: [
            "SWIFT_BACKTRACE": "enable=no",
            "OPENBLAS_CORETYPE": ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "Haswell"], in: cwd)
        return (r.status, r.out + r.err)
    }

    /// Every file below `dir` (relative), except the filler.
    func files(_ dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { rel in
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir)
            return !isDir.boolValue && rel != "filler"
        }.sorted()
    }

    func assertCleanFailure(_ r: (status: Int32, output: String), _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, "\(what): expected exit 1 (139 = the libhdf5 segfault): \(r.output.suffix(600))", file: file, line: line)
        XCTAssertTrue(r.output.contains("error:"), "\(what): \(r.output.suffix(600))", file: file, line: line)
    }

    func config(_ data: String, dataPath: String, outputs: String) throws -> String {
        let path = tmp + "/c-\(UUID().uuidString.prefix(6)).yaml"
        try """
        modelType: Classic
        trainData:
          faces: \(data)
        valSize: 0.25
        testSize: 0.5
        imageHeight: 32
        imageWidth: 32
        batchSize: 8
        numEpochs: 1
        nCPUs: 2
        dataPath: \(dataPath)
        outputsPath: \(outputs)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The cache writer, with the disk filling at several points (during the image appends, the
    /// label/path datasets, and the final flush and close).
    func testCacheWriterOnAFullDisk() throws {
        let faces = tmp + "/faces"
        try BuiltinDataset.generate(into: faces, countPerClass: 100, size: 32, seed: 3)
        let roomy = try config(faces, dataPath: tmp + "/roomy", outputs: tmp + "/out")
        let ok = try run(tool("deepfake"), ["prepare", "-c", roomy])
        XCTAssertEqual(ok.status, 0, ok.output)
        let cache = try XCTUnwrap(files(tmp + "/roomy/cache").first)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: tmp + "/roomy/cache/" + cache)[.size] as? Int)
        for fraction in [0.3, 0.7, 0.9, 0.97, 0.99] {
            let disk = try smallDisk(Int(Double(size) * fraction) + 4096)
            let r = try run(tool("deepfake"), ["prepare", "-c", try config(faces, dataPath: disk, outputs: tmp + "/out")])
            assertCleanFailure(r, "cache at \(fraction) of its size")
            XCTAssertEqual(files(disk), [], "nothing left on the disk at \(fraction)")
        }
    }

    /// The checkpoint writers (best.h5, weights only, then last.h5, the whole training state with
    /// the optimiser's moments): the disk fills inside the first, between the two, and inside the second.
    func testCheckpointWriterOnAFullDisk() throws {
        let faces = tmp + "/faces"
        try BuiltinDataset.generate(into: faces, countPerClass: 8, size: 32, seed: 4)
        let roomy = try run(tool("deepfake"), ["-c", try config(faces, dataPath: tmp + "/data", outputs: tmp + "/roomy")])
        XCTAssertEqual(roomy.status, 0, roomy.output)
        func size(_ name: String) throws -> Int {
            let f = try XCTUnwrap(files(tmp + "/roomy").first { $0.hasSuffix("/" + name) })
            return try XCTUnwrap(FileManager.default.attributesOfItem(atPath: tmp + "/roomy/" + f)[.size] as? Int)
        }
        let best = try size("best.h5"), last = try size("last.h5")
        let cases: [(String, Double)] = [("inside best.h5", 0.5 * Double(best)), ("between the two", Double(best) + 0.02 * Double(last)),
                                         ("inside last.h5", Double(best) + 0.5 * Double(last)),
                                         ("near the end of last.h5", Double(best) + 0.99 * Double(last))]
        for (what, room) in cases {
            let disk = try smallDisk(Int(room) + (256 << 10))
            let r = try run(tool("deepfake"), ["-c", try config(faces, dataPath: tmp + "/data", outputs: disk)])
            assertCleanFailure(r, "disk full \(what)")
            let left = files(disk)
            XCTAssertFalse(left.contains { $0.contains(".tmp-") }, "no temporary file \(what): \(left)")
            for f in left where f.hasSuffix(".h5") {   // a checkpoint left behind must be whole
                let got = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: disk + "/" + f)[.size] as? Int)
                // last.h5's training_state JSON may differ by a few digits between runs (timings).
                XCTAssertEqual(Double(got), Double(f.hasSuffix("/best.h5") ? best : last), accuracy: 64, "\(f) \(what)")
            }
        }
    }

    /// The plot writer (`deepfake compare`): room for the tables, none for the SVG.
    func testPlotWriterOnAFullDisk() throws {
        let run1 = tmp + "/run1"
        try FileManager.default.createDirectory(atPath: run1, withIntermediateDirectories: true)
        let w = try EpochCSVWriter(path: run1 + "/epochs.csv")
        for e in 1...3 {
            try w.append(EpochRecord(epoch: e, trainLoss: 0.7, trainAccuracy: 0.5, valLoss: 0.69, valAccuracy: 0.5 + 0.01 * Double(e),
                                     epochSeconds: 1, imagesPerSecond: 100, peakMemoryMB: 10, learningRate: 0.001))
        }
        let disk = try smallDisk(64 << 10)
        try fill(disk, leaving: 8 << 10)
        let r = try run(tool("deepfake"), ["compare", run1, "--output", disk + "/cmp"])
        assertCleanFailure(r, "plot")
        XCTAssertTrue(r.output.contains("cmp_val_accuracy.svg") || r.output.contains("cmp."), r.output)
        let left = files(disk)
        XCTAssertFalse(left.contains { $0.hasSuffix(".svg") || $0.contains("tmp") || $0.hasPrefix(".") }, "\(left)")
    }

    /// The bench result-file writer (`bench run --suite throughput --quick`, which writes nothing
    /// else): the disk holds 1 or 3 of the file's 6 pages
    /// (the old code segfaulted on both).
    func testResultFileWriterOnAFullDisk() throws {
        for pages in [1, 3] {
            let disk = try smallDisk(pages * 4096)
            let r = try run(tool("bench"), ["run", "--suite", "throughput", "--quick", "--out", disk + "/out"], cwd: tmp)
            assertCleanFailure(r, "result file on \(pages) pages")
            let left = files(disk)
            XCTAssertFalse(left.contains { $0.contains(".partial") || $0.contains(".tmp-") }, "\(left)")
            for f in left where f.hasSuffix(".h5") {   // only an empty reservation may be left, never a readable half
                XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: disk + "/" + f)[.size] as? Int, 0, f)
            }
        }
    }
}
