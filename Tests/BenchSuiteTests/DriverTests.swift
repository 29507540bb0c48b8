// The benchmark drivers that moved into BenchSuite from Quantum, Models and Datasets (their tests
// moved with them): the simulator micro-benchmarks on tiny sizes, the Classic training
// throughput, and the preprocessing benchmark rebuilding a real cache from generated PNG faces.

@testable import BenchSuite
import Config
import Core
import Datasets
import Foundation
import TestSupport
import XCTest

final class DriverTests: XCTestCase {
    func testQuantumBenchmarksRunOnTinySizes() {
        XCTAssertGreaterThan(QuantumBenchmarks.hqnnHead(batch: 5, layers: 1, circuits: 2, qubits: 3, repeats: 1, threads: .serial), 0)
        XCTAssertGreaterThan(QuantumBenchmarks.forwardThroughput(batch: 9, qubits: 3, layers: 1, repeats: 1, threads: .serial), 0)
        XCTAssertGreaterThan(QuantumBenchmarks.quanvolution(images: 2, size: 8, repeats: 1, threads: .serial), 0)
        // 4 qubits fit one block: the whole layer (5 steps gate by gate) in one counted pass.
        XCTAssertEqual(QuantumBenchmarks.singleStateLayer(qubits: 4, repeats: 1, threads: .serial).passes, 1)
        let layer = Dictionary(uniqueKeysWithValues: QuantumBenchmarks.layerFigures(qubits: 9, repeats: 1, blockQubits: 5, threads: .serial))
        XCTAssertEqual(layer["layer_9q_pergate_fwd_passes"], 10)   // Rot(w0); 8 x Rot+CNOT; CNOT(8, 0)
        XCTAssertLessThan(layer["layer_9q_blocked_fwd_passes"]!, 10)
        XCTAssertEqual(layer["layer_9q_pergate_grad_passes"], 21)  // forward 10; phi/lambda preparation + 10 steps back
        XCTAssertGreaterThan(layer["layer_9q_blocked_grad_s"]!, 0)
        // Two layers (`bench quantum layer --layers 2`): the second layer's gates are counted too,
        // and the blocked schedule still needs fewer passes than gate by gate.
        let two = Dictionary(uniqueKeysWithValues: QuantumBenchmarks.layerFigures(qubits: 9, layers: 2, repeats: 1, blockQubits: 5, threads: .serial))
        XCTAssertGreaterThan(two["layer_9q_pergate_fwd_passes"]!, 10)
        XCTAssertGreaterThan(two["layer_9q_pergate_grad_passes"]!, 21)
        XCTAssertGreaterThanOrEqual(two["layer_9q_blocked_fwd_passes"]!, layer["layer_9q_blocked_fwd_passes"]!)
        XCTAssertLessThan(two["layer_9q_blocked_fwd_passes"]!, two["layer_9q_pergate_fwd_passes"]!)
        XCTAssertEqual(QuantumFigureKind(rawValue: "hqn"), nil)
        XCTAssertEqual(QuantumFigureKind.choiceList, "hqnn, fwd, gate, quanv, layer")
    }

    func testClassicThroughputMeasuresSteps() {
        XCTAssertGreaterThan(measureClassicTrainingThroughput(imageSize: 16, batch: 2, steps: 1, threads: 1), 0)
        XCTAssertEqual(StemChoice(rawValue: "torchvisoin"), nil)
        XCTAssertEqual(StemChoice.auto.stem(forImageSize: 32), .forImage(height: 32, width: 32))
        XCTAssertEqual(StemChoice.torchvision.stem(forImageSize: 32), .torchvision)
    }

    func testPreprocessBenchmarkRebuildsAndCleansUp() throws {
        let tmp = try TemporaryFolder.make(for: self, label: "drv")
        try BuiltinDataset.generate(into: tmp + "/faces", countPerClass: 3, size: 16, seed: 1)
        let scratch = tmp + "/bench"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let r = try PreprocessBenchmark.run(entries: [DatasetEntry(name: "x", source: .localFolder(tmp + "/faces"))],
                                            kagglePath: "/nonexistent", height: 8, width: 8, threads: 2, repeats: 2,
                                            scratch: scratch, environment: [:])
        XCTAssertEqual(r.images, 6); XCTAssertEqual(r.skipped, 0)
        XCTAssertGreaterThan(r.seconds, 0); XCTAssertGreaterThan(r.cacheBytes, 0)
        XCTAssertTrue(r.description.contains("images/s"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch), [])
    }
}
