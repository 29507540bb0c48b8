// GradCAM: the feature-map gradient it uses is the gradient of the fake log-odds (central
// differences along random directions, per image, for Classic at two depths, HQNN through its
// quantum circuits with both differentiation methods, and QNN), the scores agree with the model's
// own forward pass, and the map and upsampling arithmetic on hand-checked examples.

import XCTest
import Core
import NN
import Quantum
@testable import Models

final class GradCAMTests: XCTestCase {
    func images(_ n: Int, channels: Int = 3, side: Int = 32, seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: [n, channels, side, side], values: (0..<(n * channels * side * side)).map { _ in Float(rng.normal()) })
    }

    /// A few training-mode passes so BatchNorm's running statistics fit the data (eval mode then
    /// normalises to unit scale instead of letting activations grow through 18 layers).
    func settle(_ m: ClassifierModel, _ x: Tensor) { for _ in 0..<4 { _ = m.forward(x, training: true) } }

    /// For each image n and a random direction V: (s_n(A + hV) - s_n(A - hV)) / 2h == <dS/dA_n, V_n>.
    func checkDirectionalDerivatives(_ m: ClassifierModel, _ x: Tensor, layer: String, h: Float = 1e-2,
                                     tolerance: Double = 2e-2, file: StaticString = #filePath, line: UInt = #line) throws {
        let fg = try GradCAM.featureGradient(m.network, images: x, layer: layer)
        let n = x.shape[0], per = fg.features.count / n
        XCTAssertEqual(fg.gradient.shape, fg.features.shape, file: file, line: line)
        XCTAssertTrue(m.network.gradients.allSatisfy { $0 == 0 }, "parameter gradients left behind", file: file, line: line)
        var rng = SeededRNG(seed: 77)
        for trial in 0..<3 {
            let v = (0..<fg.features.count).map { _ in Float(rng.normal()) }
            let plus = fg.features.copy(), minus = fg.features.copy()
            for i in 0..<v.count { plus[i] += h * v[i]; minus[i] -= h * v[i] }
            let sp = try GradCAM.scores(m.network, features: plus, layer: layer)
            let sm = try GradCAM.scores(m.network, features: minus, layer: layer)
            for img in 0..<n {
                let fd = (Double(sp[img]) - Double(sm[img])) / Double(2 * h)
                var analytic = 0.0
                for i in (img * per)..<((img + 1) * per) { analytic += Double(fg.gradient[i]) * Double(v[i]) }
                XCTAssertEqual(analytic, fd, accuracy: tolerance * max(1, abs(fd)),
                               "\(m.name) layer \(layer), image \(img), direction \(trial)", file: file, line: line)
            }
        }
        XCTAssertTrue(fg.gradient.count > 0 && (0..<fg.gradient.count).contains { abs(fg.gradient[$0]) > 1e-6 },
                      "the gradient is all zero: nothing was checked", file: file, line: line)
        // The explained score is the model's own: log-odds of its softmax.
        let logits = m.forward(x, training: false)
        for img in 0..<n {
            let p = 1 / (1 + exp(Double(logits[img * 2] - logits[img * 2 + 1])))
            XCTAssertEqual(fg.pFake[img], p, accuracy: 1e-5, file: file, line: line)
        }
    }

    /// Central differences of one image's score for single elements of A: the 8 with the largest
    /// |dS/dA| and 8 drawn at random.
    func checkElements(_ m: ClassifierModel, _ x: Tensor, layer: String, h: Float = 1e-2,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let fg = try GradCAM.featureGradient(m.network, images: x, layer: layer)
        let n = x.shape[0], per = fg.features.count / n
        let scale = (0..<fg.gradient.count).map { abs(fg.gradient[$0]) }.max() ?? 0
        XCTAssertGreaterThan(scale, 1e-6, "the gradient is all zero: nothing was checked", file: file, line: line)
        var rng = SeededRNG(seed: 78)
        let largest = (0..<fg.gradient.count).sorted { abs(fg.gradient[$0]) > abs(fg.gradient[$1]) }.prefix(8)
        for i in Array(largest) + (0..<8).map({ _ in rng.below(fg.gradient.count) }) {
            let plus = fg.features.copy(), minus = fg.features.copy()
            plus[i] += h; minus[i] -= h
            let img = i / per
            let fd = (Double(try GradCAM.scores(m.network, features: plus, layer: layer)[img])
                - Double(try GradCAM.scores(m.network, features: minus, layer: layer)[img])) / Double(2 * h)
            XCTAssertEqual(Double(fg.gradient[i]), fd, accuracy: 2e-2 * abs(fd) + 1e-2 * Double(scale),
                           "\(m.name) layer \(layer), element \(i)", file: file, line: line)
        }
    }

    func testClassicFeatureGradientIsTheFakeLogOddsGradient() throws {
        let m = ClassicResNet18(numChannels: 3, seed: 3, stem: .forImage(height: 32, width: 32))
        let x = images(3, seed: 1)
        settle(m, x)
        XCTAssertEqual(try GradCAM.defaultLayer(of: m.network, height: 32, width: 32, channels: 3), "layer3", "layer4 is 2x2 at 32 px")
        XCTAssertEqual(try GradCAM.defaultLayer(of: m.network, height: 64, width: 64, channels: 3), "layer4")
        XCTAssertEqual(try GradCAM.defaultLayer(of: m.network, height: 16, width: 16, channels: 3), "layer2")
        XCTAssertEqual(try GradCAM.defaultLayer(of: m.network, height: 6, width: 6, channels: 3), "layer4", "no stage has 4x4 maps: the last")
        try checkDirectionalDerivatives(m, x, layer: "layer4")
        // One stage earlier the suffix holds convolutions, BatchNorm and ReLUs (layer4) too: a
        // piecewise-linear map with kinks near any point. A dense random direction crosses many
        // of them (its differences moved by 10-50 % at h = 1e-2 and still 7 % at 1e-3, measured),
        // so this depth is checked one element at a time, which moves few units downstream.
        try checkElements(m, x, layer: "layer3")
    }

    func testHQNNFeatureGradientBackpropagatesThroughTheQuantumCircuits() throws {
        for method in [DiffMethod.adjoint, .parameterShift] {
            let m = HQNNModel(qubits: 3, circuits: 2, layers: 2, template: .strong, diffMethod: method, seed: 4,
                              stem: .forImage(height: 32, width: 32))
            let x = images(3, seed: 2)
            settle(m, x)
            XCTAssertEqual(try GradCAM.defaultLayer(of: m.network, height: 64, width: 64, channels: 3), "layer4")
            try checkDirectionalDerivatives(m, x, layer: "layer4")
        }
        // The twin's classical replacement layer too.
        let twin = HQNNModel(qubits: 3, circuits: 2, layers: 2, template: .strong, diffMethod: .adjoint, classicalTwin: true,
                             seed: 4, stem: .forImage(height: 32, width: 32))
        let x = images(2, seed: 5)
        settle(twin, x)
        try checkDirectionalDerivatives(twin, x, layer: "layer4")
    }

    func testQNNFeatureGradientBehindTheQuanvolution() throws {
        let norm = (mean: [Float](repeating: 0.5, count: 3), std: [Float](repeating: 0.25, count: 3))
        let m = QNNModel(numChannels: 3, seed: 6, mode: .fixed, mean: norm.mean, std: norm.std, diffMethod: .adjoint)
        let x = images(2, side: 16, seed: 3)
        settle(m, x)
        XCTAssertEqual(try GradCAM.defaultLayer(of: m.network, height: 32, width: 32, channels: 3), "layer3")
        try checkDirectionalDerivatives(m, x, layer: "layer3")
    }

    func testAnUnknownLayerNamesTheModelsLayers() {
        let m = ClassicResNet18(numChannels: 1, seed: 1)
        XCTAssertThrowsError(try GradCAM.featureGradient(m.network, images: images(1, channels: 1, seed: 1), layer: "layer9")) {
            XCTAssertTrue("\($0)".contains("no feature layer 'layer9'") && "\($0)".contains("layer4, avgpool, fc"), "\($0)")
        }
    }

    func testMapIsReLUOfTheGradientWeightedChannelSum() {
        // One image, 2 channels of 1x2: alpha = mean gradient per channel = (1, -2).
        let a = Tensor(shape: [1, 2, 1, 2], values: [1, 3, 2, 0.5])
        let g = Tensor(shape: [1, 2, 1, 2], values: [0.5, 1.5, -1, -3])
        // (1*1 - 2*2, 1*3 - 2*0.5) = (-3, 2) -> ReLU (0, 2).
        XCTAssertEqual(GradCAM.maps(features: a, gradient: g), [[0, 2]])
    }

    func testUpsamplingUsesHalfPixelCentres() {
        XCTAssertEqual(GradCAM.upsample([4, 8], height: 1, width: 2, toHeight: 1, toWidth: 4), [4, 5, 7, 8])
        XCTAssertEqual(GradCAM.upsample([2], height: 1, width: 1, toHeight: 3, toWidth: 3), [Float](repeating: 2, count: 9))
        let up = GradCAM.upsample([0, 1, 2, 3], height: 2, width: 2, toHeight: 4, toWidth: 4)
        XCTAssertEqual(up[0], 0); XCTAssertEqual(up[15], 3)
        // Output (1, 1) sits at source (0.25, 0.25): weights 0.75 * 0.75, 0.75 * 0.25, 0.25 * 0.75, 0.25 * 0.25.
        let expected: Float = 0.1875 * 1 + 0.1875 * 2 + 0.0625 * 3
        XCTAssertEqual(up[5], expected, accuracy: 1e-6)
    }
}
