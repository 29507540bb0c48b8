// `deepfake compare --output` never destroys data (issue 9, probing defect 1): an output prefix
// that lands on a run folder's own file (epochs.csv) is refused even with --force, and existing
// outputs are replaced only with --force.

import Core
import Foundation
import Reporting
@testable import App
@testable import Training
import XCTest

final class CompareOutputTests: TemporaryFolderTestCase {
    private func runFolder(_ name: String) throws -> String {
        let folder = tmp + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let w = try EpochCSVWriter(path: folder + "/epochs.csv")
        try w.append(EpochRecord(epoch: 1, trainLoss: 0.7, trainAccuracy: 0.5, valLoss: 0.69, valAccuracy: 0.55,
                                 epochSeconds: 1, imagesPerSecond: 100, peakMemoryMB: 10, learningRate: 0.001))
        return folder
    }

    /// The probe: `compare run --output run/epochs` replaced the run's epochs.csv with the table.
    func testOutputOntoARunFileIsRefusedEvenWithForce() throws {
        let run = try runFolder("run1")
        let before = try Data(contentsOf: URL(fileURLWithPath: run + "/epochs.csv"))
        for force in [false, true] {
            XCTAssertThrowsError(try RunComparison.write(runFolders: [run], outputPrefix: run + "/epochs", force: force)) { e in
                XCTAssertTrue("\(e)".contains("input"), "\(e)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/epochs.csv")), before)
        XCTAssertEqual(try EpochCSVWriter.read(path: run + "/epochs.csv").count, 1)
    }

    func testExistingOutputsNeedForce() throws {
        let run = try runFolder("run1")
        let prefix = tmp + "/cmp"
        try RunComparison.write(runFolders: [run], outputPrefix: prefix)
        let md = try String(contentsOfFile: prefix + ".md", encoding: .utf8)
        XCTAssertTrue(md.contains("run1"))
        try "mine".write(toFile: prefix + ".csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunComparison.write(runFolders: [run], outputPrefix: prefix)) { e in
            XCTAssertTrue("\(e)".contains("already exists") && "\(e)".contains("--force"), "\(e)")
        }
        XCTAssertEqual(try String(contentsOfFile: prefix + ".csv", encoding: .utf8), "mine")
        try RunComparison.write(runFolders: [run], outputPrefix: prefix, force: true)
        XCTAssertTrue(try String(contentsOfFile: prefix + ".csv", encoding: .utf8).hasPrefix("run,"))
    }
}
