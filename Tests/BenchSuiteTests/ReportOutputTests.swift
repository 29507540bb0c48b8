// `bench report --output` never destroys data (issue 9, probing defect 1): the output may not be
// one of the result files read (by path, through a hard link or a symlink), and an existing file is
// replaced only with --force.

@testable import BenchSuite
import Core
import Foundation
import Reporting
import TestSupport
import XCTest

final class ReportOutputTests: TemporaryFolderTestCase {
    private func resultFile() throws -> String {
        let row = BenchmarkRow(name: "Classic 32px", accuracy: 0.5, loss: 0.7, auc: 0.5, depth: 0, qubits: 0,
                               parameters: 10, wallSeconds: 1)
        return try BenchResultFile.write([BenchRecord(row: row, model: "Classic", throughput: 10)], suite: "training", directory: tmp + "/out")
    }

    /// The probe: `bench report r.h5 --output r.h5` turned r.h5 into 644 bytes of text.
    func testOutputOntoTheInputIsRefusedAndTheInputSurvives() throws {
        let r = try resultFile()
        let before = try Data(contentsOf: URL(fileURLWithPath: r))
        let (results, _) = try BenchReport.load([r])
        let text = BenchReport.render(results, format: .markdown)
        try FileManager.default.createSymbolicLink(atPath: tmp + "/alias.h5", withDestinationPath: r)
        XCTAssertEqual(link(r, tmp + "/hard.h5"), 0)
        for target in [r, tmp + "/out/../out/" + (r as NSString).lastPathComponent, tmp + "/alias.h5", tmp + "/hard.h5"] {
            for force in [false, true] {
                XCTAssertThrowsError(try BenchReport.writeOutput(text, to: target, inputs: [r], force: force)) { e in
                    XCTAssertTrue("\(e)".contains("input"), "\(e)")
                }
            }
        }
        // A folder input protects the files in it too.
        XCTAssertThrowsError(try BenchReport.writeOutput(text, to: r, inputs: [tmp + "/out"], force: true))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: r)), before)
        XCTAssertEqual(try BenchResultFile.read(path: r).records.count, 1)
    }

    func testExistingOutputNeedsForce() throws {
        let r = try resultFile()
        let text = BenchReport.render(try BenchReport.load([r]).results, format: .csv)
        let out = tmp + "/table.csv"
        try "keep me".write(toFile: out, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BenchReport.writeOutput(text, to: out, inputs: [r], force: false)) { e in
            XCTAssertTrue("\(e)".contains("already exists") && "\(e)".contains("--force"), "\(e)")
        }
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "keep me")
        try BenchReport.writeOutput(text, to: out, inputs: [r], force: true)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), text)
        let fresh = tmp + "/fresh.md"
        try BenchReport.writeOutput(text, to: fresh, inputs: [r], force: false)
        XCTAssertEqual(try String(contentsOfFile: fresh, encoding: .utf8), text)
    }
}
