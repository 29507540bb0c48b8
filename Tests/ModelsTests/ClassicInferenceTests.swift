// The Classic model's inference path (BatchNorm folded, NN.FoldedInference) against its own
// eval-mode forward, for both stems, after training steps have moved the running statistics.

import XCTest
import Core
import NN
@testable import Models

final class ClassicInferenceTests: XCTestCase {
    private func images(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t[i] = Float(rng.normal()) }
        return t
    }

    func testFoldedLogitsEqualEvalModeLogits() {
        for stem in [ResNetStem.highResolution, .torchvision] {
            let model = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 3, stem: stem, context: NNContext(threads: Threads(2)))
            // Running statistics and BN affine parameters away from their initial values.
            for k in 0..<2 { _ = model.forward(images([4, 3, 32, 32], seed: UInt64(k)), training: true) }
            var rng = SeededRNG(seed: 5)
            for e in model.network.entries where e.name.contains("bn") || e.name.hasPrefix("layer") && e.name.contains("downsample.1") {
                guard e.kind == .trainable else { continue }
                let v = model.network.values(named: e.name)!
                for i in 0..<v.count { v[i] = e.name.hasSuffix("weight") ? Float(0.7 + 0.6 * rng.uniform()) : Float(rng.normal() * 0.2) }
            }
            let x = images([3, 3, 32, 32], seed: 9)
            let plain = model.forward(x, training: false).copy()
            let infer = model.makeInference()
            let folded = infer(x)
            XCTAssertEqual(folded.shape, [3, 2])
            for i in 0..<plain.count {
                XCTAssertEqual(folded[i], plain[i], accuracy: 1e-5 * max(1, abs(plain[i])), "\(stem) logit \(i)")
            }
            XCTAssertNotEqual(plain[0], plain[1], "logits should differ (a degenerate network would pass trivially)")
        }
    }
}
