// The QNN feature cache: real HDF5 files in a temp dir, reused on a second run, rebuilt when the
// seed, the image size or the input data change; the cached features equal a fresh quanvolution.

import Config
import Core
import Datasets
import Foundation
import NN
import Quantum
import Storage
import XCTest
@testable import Models
@testable import App
@testable import Training

final class QuantumCacheTests: TemporaryFolderTestCase {
    func data(count: Int, size: Int, seed: UInt64, key: String) -> PreparedData {
        var rng = SeededRNG(seed: seed)
        let n = count * size * size * 3
        return PreparedData(images: (0..<n).map { _ in UInt8(rng.below(256)) }, labels: (0..<count).map { Int32($0 % 2) },
                            paths: (0..<count).map { "img\($0).png" }, datasetNames: Array(repeating: "d", count: count),
                            officialSplits: Array(repeating: -1, count: count), height: size, width: size, channels: 3,
                            cacheKey: key)
    }

    func testCacheIsReusedAndInvalidatedByEveryKeyPart() throws {
        let log = RunLog(echo: false)
        let d = data(count: 5, size: 8, seed: 1, key: "data-A")
        let c = QuanvolutionCircuit(seed: 11)
        let first = try QuanvFeatureCache.features(for: d, circuit: c, dataPath: tmp, threads: .serial, log: log)
        XCTAssertFalse(first.reused)
        XCTAssertTrue(FileManager.default.fileExists(atPath: first.path))
        XCTAssertEqual(try H5File.open(first.path).shape(of: "features"), [5, 12, 4, 4])

        // The cached values are the quanvolution of the images scaled to [0, 1].
        var chw = [Float](repeating: 0, count: 5 * 192)
        for i in 0..<5 { for p in 0..<64 { for ch in 0..<3 { chw[i * 192 + ch * 64 + p] = Float(d.images[i * 192 + p * 3 + ch]) / 255 } } }
        let ref = Quanvolution.applyReference(images: chw, n: 5, channels: 3, height: 8, width: 8, circuit: c)
        for i in stride(from: 0, to: ref.count, by: 7) { XCTAssertEqual(first.values[i], ref[i], accuracy: 2e-5) }

        let again = try QuanvFeatureCache.features(for: d, circuit: c, dataPath: tmp, threads: .serial, log: log)
        XCTAssertTrue(again.reused)
        XCTAssertEqual(again.path, first.path)
        XCTAssertEqual(again.values, first.values)

        let otherSeed = try QuanvFeatureCache.features(for: d, circuit: QuanvolutionCircuit(seed: 12), dataPath: tmp, threads: .serial, log: log)
        XCTAssertFalse(otherSeed.reused); XCTAssertNotEqual(otherSeed.path, first.path)
        let otherSize = try QuanvFeatureCache.features(for: data(count: 5, size: 6, seed: 1, key: "data-A"), circuit: c, dataPath: tmp, threads: .serial, log: log)
        XCTAssertFalse(otherSize.reused); XCTAssertEqual(otherSize.values.count, 5 * 12 * 9)
        let otherData = try QuanvFeatureCache.features(for: data(count: 5, size: 8, seed: 2, key: "data-B"), circuit: c, dataPath: tmp, threads: .serial, log: log)
        XCTAssertFalse(otherData.reused); XCTAssertNotEqual(otherData.values, first.values)
        // The original entry is still valid afterwards.
        XCTAssertTrue(try QuanvFeatureCache.features(for: d, circuit: c, dataPath: tmp, threads: .serial, log: log).reused)
    }

    func testAFileWithAStaleKeyIsRebuilt() throws {
        let log = RunLog(echo: false)
        let d = data(count: 3, size: 4, seed: 3, key: "k")
        let c = QuanvolutionCircuit(seed: 5)
        let first = try QuanvFeatureCache.features(for: d, circuit: c, dataPath: tmp, threads: .serial, log: log)
        let f = try H5File.open(first.path, writable: true)
        try f.setAttribute("key", "something else")
        f.close()
        let second = try QuanvFeatureCache.features(for: d, circuit: c, dataPath: tmp, threads: .serial, log: log)
        XCTAssertFalse(second.reused)
        XCTAssertEqual(second.values, first.values)
        XCTAssertTrue(try QuanvFeatureCache.features(for: d, circuit: c, dataPath: tmp, threads: .serial, log: log).reused)
    }

    func testTableFindsEveryPreparedImageThroughTheLayer() throws {
        let d = data(count: 4, size: 6, seed: 8, key: "t")
        let c = QuanvolutionCircuit(seed: 2)
        let table = try QuanvFeatureCache.table(for: [d], circuit: c, dataPath: tmp, threads: .serial, log: RunLog(echo: false))
        let norm = Normalisation.imageNet(channels: 3)
        let layer = QuanvLayer(channels: 3, seed: 2, mode: .cached, mean: norm.mean, std: norm.std, diffMethod: .adjoint, threads: .serial)
        layer.table = table
        let net = Network(layer, seed: 1)
        let batch = Tensor(zeros: [1])
        BatchAssembler(seed: 1, augmentation: .none, channels: 3).assemble(d, indices: [0, 1, 2, 3], into: batch, training: false)
        let y = net.forward(batch, training: false)
        XCTAssertEqual(layer.hits, 4); XCTAssertEqual(layer.misses, 0)
        XCTAssertEqual(y.array, table.features)
    }
}

final class QuantumModelsConfigTests: XCTestCase {
    func hqnn(qubits: Int, circuits: Int, method: DiffMethod) -> HQNNModel {
        HQNNModel(qubits: qubits, circuits: circuits, layers: 1, template: .strong, diffMethod: method, seed: 1, context: NNContext(threads: Threads(2)))
    }

    func config(qubits: Int, circuits: Int) -> Config {
        var c = Config(modelType: .quantum)
        c.nQubits = qubits; c.nQuantumLayers = circuits
        return c
    }

    func testTooManyQubitsForThisMachineIsAClearError() {
        XCTAssertNoThrow(try QuantumModels.checkStateMemory(hqnn(qubits: 12, circuits: 1, method: .adjoint),
                                                            config: config(qubits: 12, circuits: 1), perRankBatch: 32))
        XCTAssertThrowsError(try QuantumModels.checkStateMemory(hqnn(qubits: 30, circuits: 1, method: .adjoint),
                                                                config: config(qubits: 30, circuits: 1), perRankBatch: 32)) { error in
            XCTAssertTrue("\(error)".contains("lower nQubits") && "\(error)".contains("32 images per rank"), "\(error)")
        }
    }

    /// Issue 8, defect 4: the guard counted one state per sample (16 B x 2^n x batch). At 20
    /// qubits, k = 2, batch 8 the run holds k states per sample plus the adjoint's workspace.
    func testGuardCountsEveryCircuitAndTheAdjointWorkspace() {
        let old = 16 * (1 << 20) * 8
        let adjoint = hqnn(qubits: 20, circuits: 2, method: .adjoint)
        let bytes = adjoint.quantumStateBytes(batch: 8, height: 32, width: 32).total
        XCTAssertGreaterThanOrEqual(bytes, 2 * old + 4 * 16 * (1 << 20))  // 2 circuits' states + >= 1 adjoint worker
        // A machine where the old estimate fitted in half its memory refuses the run now...
        XCTAssertThrowsError(try QuantumModels.checkStateMemory(adjoint, config: config(qubits: 20, circuits: 2), perRankBatch: 8,
                                                                physicalMemory: UInt64(3 * old)))
        // ...and one with room for the full estimate accepts it.
        XCTAssertNoThrow(try QuantumModels.checkStateMemory(adjoint, config: config(qubits: 20, circuits: 2), perRankBatch: 8,
                                                            physicalMemory: UInt64(2 * bytes)))
        // Parameter-shift holds the whole shifted batch: 2 * (20 + 60) states per sample on top.
        let shift = hqnn(qubits: 20, circuits: 2, method: .parameterShift).quantumStateBytes(batch: 8, height: 32, width: 32).total
        XCTAssertGreaterThanOrEqual(shift, 2 * old * (1 + 160))
    }

    func testPerRankBatchIsTheLargestShardOfTheGlobalBatch() {
        var c = Config(modelType: .quantum)
        c.batchSize = 32
        XCTAssertEqual(QuantumModels.perRankBatch(c, ranks: 1), 32)
        XCTAssertEqual(QuantumModels.perRankBatch(c, ranks: 3), 11)
        XCTAssertEqual(QuantumModels.perRankBatch(c, ranks: 4), 8)
    }
}
