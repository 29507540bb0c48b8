// QNN: the quanvolution layer in its three modes against the Quantum target's reference, the
// trainable layer's finite-difference gradients (inputs and circuit weights), model shapes.

import XCTest
import Core
import NN
import Quantum
@testable import Models

final class QNNTests: XCTestCase {
    let mean: [Float] = [0.485, 0.456], std: [Float] = [0.229, 0.224]

    /// A normalised batch [n, 2, h, w] whose pixels are k/255 values, and those pixels in [0, 1].
    func batch(n: Int, h: Int, w: Int, seed: UInt64) -> (Tensor, [Float]) {
        var rng = SeededRNG(seed: seed)
        let px = (0..<(n * 2 * h * w)).map { _ in Float(rng.below(256)) / 255 }
        let x = Tensor(shape: [n, 2, h, w], values: px.enumerated().map { i, p in
            let c = (i / (h * w)) % 2
            return (p - mean[c]) / std[c]
        })
        return (x, px)
    }

    func testFixedAndTrainableMatchTheGateByGateReference() {
        let (x, px) = batch(n: 2, h: 6, w: 4, seed: 1)
        let circuit = QuanvolutionCircuit(seed: 42)
        let ref = Quanvolution.applyReference(images: px, n: 2, channels: 2, height: 6, width: 4, circuit: circuit)
        for mode in [QuanvLayer.Mode.fixed, .trainable, .cached] {
            let net = Network(QuanvLayer(channels: 2, seed: 42, mode: mode, mean: mean, std: std, diffMethod: .adjoint, threads: .serial), seed: 1)
            let y = net.forward(x, training: true)
            XCTAssertEqual(y.shape, [2, 8, 3, 2], "\(mode)")
            for i in 0..<ref.count { XCTAssertEqual(y[i], ref[i], accuracy: 2e-5, "\(mode) \(i)") }
            XCTAssertEqual(net.parameterCount, mode == .trainable ? circuit.weights.count : 0)
        }
    }

    func testTrainableQuanvolutionGradientsMatchFiniteDifferences() {
        for method in DiffMethod.allCases {
            let (x, _) = batch(n: 1, h: 4, w: 4, seed: 3)
            let layer = QuanvLayer(channels: 2, seed: 9, mode: .trainable, mean: mean, std: std, diffMethod: method, threads: Threads(2))
            let checks = quantumFDCheck(layer, input: x, h: 1e-2, stride: 1, tolerance: 3e-3)
            XCTAssertEqual(checks, 32 + 4)
            // Every patch circuit that ran is counted: 2 channels x 4 patches per forward; the
            // shift rule adds 2 circuits per angle (4 inputs + 4 weights) and patch per backward.
            let c = layer.counters
            XCTAssertEqual(c.forward % 8, 0)
            switch method {
            case .adjoint: XCTAssertEqual(c.shifted, 0); XCTAssertGreaterThan(c.adjointSweeps, 0); XCTAssertEqual(c.adjointSweeps % 8, 0)
            case .parameterShift: XCTAssertEqual(c.adjointSweeps, 0); XCTAssertGreaterThan(c.shifted, 0); XCTAssertEqual(c.shifted % (8 * 16), 0)
            }
        }
    }

    func testCachedModeReadsTheTableAndFlipsMirroredImages() {
        let (x, px) = batch(n: 2, h: 4, w: 4, seed: 5)
        // A table built from HWC bytes, with recognisable "features" (row index + position).
        let row = 8 * 2 * 2
        let feats = (0..<(2 * row)).map { Float($0) }
        var hashes: [UInt64] = [], flipped: [UInt64] = []
        for i in 0..<2 {
            var hwc = [UInt8](repeating: 0, count: 32)
            for c in 0..<2 { for p in 0..<16 { hwc[p * 2 + c] = UInt8((px[(i * 2 + c) * 16 + p] * 255).rounded()) } }
            hashes.append(QuanvFeatureTable.hash(QuanvFeatureTable.chwBytes(hwc: hwc, channels: 2, height: 4, width: 4, mirrored: false)))
            flipped.append(QuanvFeatureTable.hash(QuanvFeatureTable.chwBytes(hwc: hwc, channels: 2, height: 4, width: 4, mirrored: true)))
        }
        let layer = QuanvLayer(channels: 2, seed: 1, mode: .cached, mean: mean, std: std, diffMethod: .adjoint, threads: .serial)
        layer.table = QuanvFeatureTable(features: feats, rowSize: row, hashes: hashes, flippedHashes: flipped)
        let net = Network(layer, seed: 1)
        XCTAssertEqual(net.forward(x, training: true).array, feats)
        XCTAssertEqual(layer.hits, 2)
        // Mirror image 1 horizontally: its row comes back with every feature map mirrored.
        let m = Tensor(shape: [1, 2, 4, 4], values: (0..<32).map { j in
            let c = j / 16, y = (j % 16) / 4, xx = j % 4
            return x[16 * 2 + c * 16 + y * 4 + (3 - xx)]
        })
        let y = net.forward(m, training: true)
        XCTAssertEqual(layer.flippedHits, 1)
        for p in 0..<16 { XCTAssertEqual(y[p * 2], feats[row + p * 2 + 1]); XCTAssertEqual(y[p * 2 + 1], feats[row + p * 2]) }
        // An unknown image falls back to the fixed circuit.
        let (z, zpx) = batch(n: 1, h: 4, w: 4, seed: 99)
        let out = net.forward(z, training: true)
        XCTAssertEqual(layer.misses, 1)
        let ref = Quanvolution.applyReference(images: zpx, n: 1, channels: 2, height: 4, width: 4, circuit: QuanvolutionCircuit(seed: 1))
        for i in 0..<ref.count { XCTAssertEqual(out[i], ref[i], accuracy: 2e-5) }
    }

    func testModelShapesAndTrainingStepReducesLoss() {
        let (x, _) = batch(n: 4, h: 8, w: 8, seed: 7)
        for twin in [false, true] {
            let m = QNNModel(numChannels: 2, seed: 3, mode: .trainable, mean: mean, std: std, diffMethod: .adjoint, classicalTwin: twin)
            XCTAssertEqual(m.forward(x, training: false).shape, [4, 2])
            let labels = [0, 1, 0, 1]
            let opt = Adam(learningRate: 1e-2)
            var first = 0.0, last = 0.0
            for s in 0..<15 {
                m.network.zeroGradients()
                let (loss, g, _) = SoftmaxCrossEntropy.compute(logits: m.forward(x, training: true), labels: labels)
                m.backward(g)
                opt.step(m.network)
                if s == 0 { first = Double(loss) }; last = Double(loss)
            }
            XCTAssertLessThan(last, first, "twin \(twin)")
        }
        let q = QNNModel(numChannels: 2, seed: 3, mode: .trainable, mean: mean, std: std, diffMethod: .adjoint)
        let t = QNNModel(numChannels: 2, seed: 3, mode: .trainable, mean: mean, std: std, diffMethod: .adjoint, classicalTwin: true)
        XCTAssertEqual(q.network.parameterCount, t.network.parameterCount)
        XCTAssertEqual(q.quantumParts(height: 8, width: 8).first?.evaluationsPerImage, 2 * 16)
    }
}
