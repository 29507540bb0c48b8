// The benchmark results HDF5 file: write, read back, layout.

import XCTest
import Foundation
import Storage
@testable import Reporting

final class BenchmarkResultsTests: XCTestCase {
    func testRoundTripAndLayout() throws {
        let path = try temporaryFolder(self) + "/bench.h5"
        let rows = [
            BenchmarkRow(name: "classic", accuracy: 0.81, loss: 0.42, auc: 0.88, parameters: 12345, wallSeconds: 61.5),
            BenchmarkRow(name: "hqnn-4q", accuracy: 0.79, loss: 0.45, auc: .nan,
                         gateCounts: ["RX": 4, "Rot": 4, "CNOT": 4], depth: 9, qubits: 4, parameters: 12400, wallSeconds: 300),
            BenchmarkRow(name: "qnn", accuracy: 0.7, loss: 0.6, auc: 0.75, gateCounts: ["RY": 8, "CNOT": 3], depth: 5, qubits: 4, wallSeconds: 999),
        ]
        try BenchmarkResults.write(rows, to: path, attributes: ["machine": "test box"])
        XCTAssertEqual(try BenchmarkResults.read(path: path), rows)
        XCTAssertEqual(rows[1].totalGates, 12)

        let h5 = try H5File.open(path)
        defer { h5.close() }
        XCTAssertEqual(try h5.attributeString("format"), "deepfake-benchmark-results")
        XCTAssertEqual(try h5.attributeString("machine"), "test box")
        XCTAssertEqual(try h5.readStrings("results/gate_kinds"), ["CNOT", "RX", "RY", "Rot"])
        let counts = try h5.read("results/gate_counts", as: Int64.self)
        XCTAssertEqual(counts.shape, [3, 4])
        // Rows: classic none; hqnn CNOT 4, RX 4, Rot 4; qnn CNOT 3, RY 8.
        XCTAssertEqual(counts.values, [0, 0, 0, 0, 4, 4, 0, 4, 3, 0, 8, 0])
        XCTAssertEqual(try h5.read("results/wall_seconds", as: Double.self).values, [61.5, 300, 999])
        // No temporary file left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent), ["bench.h5"])
    }

    func testClassicalOnlyStudyAndWrongFile() throws {
        let dir = try temporaryFolder(self)
        let rows = [BenchmarkRow(name: "c", accuracy: 0.5, loss: 0.7, auc: 0.5, wallSeconds: 1)]
        try BenchmarkResults.write(rows, to: dir + "/c.h5")
        XCTAssertEqual(try BenchmarkResults.read(path: dir + "/c.h5"), rows)
        let other = try H5File.create(dir + "/other.h5"); other.close()
        XCTAssertThrowsError(try BenchmarkResults.read(path: dir + "/other.h5")) {
            XCTAssertTrue("\($0)".contains("is not a benchmark results file"))
        }
    }
}
