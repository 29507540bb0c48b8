// The Classic ResNet-18: shapes for several inputs, parameter table and count, init, a training step.

import XCTest
import Core
import NN
@testable import Models

/// Models shared by the tests that only read their weights (building an 11M-parameter network
/// takes a second or more in a debug build).
enum SharedResNets {
    /// Two threads, so the threaded loops of every layer run.
    static let context = NNContext(threads: Threads(2))
    static let rgb = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 1, context: context)
    static let grey = ClassicResNet18(numChannels: 1, numClasses: 2, seed: 1, context: context)
    static let imageNet = ClassicResNet18(numChannels: 3, numClasses: 1000, seed: 1, context: context)
}

final class ClassicResNet18Tests: XCTestCase {
    private func images(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t[i] = Float(rng.normal()) }
        return t
    }

    func testLogitsShapeForSeveralSizesAndChannels() {
        let rgb = SharedResNets.rgb
        XCTAssertEqual(rgb.forward(images([2, 3, 32, 32], seed: 1), training: true).shape, [2, 2])
        XCTAssertEqual(rgb.forward(images([1, 3, 224, 224], seed: 2), training: false).shape, [1, 2])
        let grey = SharedResNets.grey
        let logits = grey.forward(images([3, 1, 64, 64], seed: 3), training: true)
        XCTAssertEqual(logits.shape, [3, 2])
        XCTAssertTrue(logits.array.allSatisfy { $0.isFinite })
        XCTAssertEqual(grey.forward(images([2, 1, 48, 40], seed: 4), training: false).shape, [2, 2])
    }

    func testParameterCountAndTorchvisionNames() {
        let m = SharedResNets.rgb
        XCTAssertEqual(m.network.parameterCount, 11_177_538)
        XCTAssertEqual(SharedResNets.grey.network.parameterCount, 11_177_538 - 64 * 2 * 49)
        let n = m.network
        XCTAssertEqual(n.entry(named: "conv1.weight")?.shape, [64, 3, 7, 7])
        XCTAssertEqual(n.entry(named: "layer1.0.bn1.running_mean")?.shape, [64])
        XCTAssertEqual(n.entry(named: "layer2.0.downsample.0.weight")?.shape, [128, 64, 1, 1])
        XCTAssertEqual(n.entry(named: "layer4.1.conv2.weight")?.shape, [512, 512, 3, 3])
        XCTAssertEqual(n.entry(named: "fc.weight")?.shape, [2, 512])
        XCTAssertNil(n.entry(named: "layer1.0.downsample.0.weight"))
        // torchvision's state_dict has 62 parameter tensors and 40 running statistics (plus 20 counters).
        XCTAssertEqual(n.entries.filter { $0.kind == .trainable }.count, 62)
        XCTAssertEqual(n.entries.filter { $0.kind == .state }.count, 40)
        XCTAssertTrue(m.summary.contains("11,177,538"))
    }

    func testKaimingFanOutInitAndBatchNormInit() {
        let n = SharedResNets.imageNet.network  // no test changes its weights
        let w = n.values(named: "layer3.0.conv1.weight")!  // fan_out = 256 * 9
        var sum = 0.0, sumSq = 0.0
        for v in w { sum += Double(v); sumSq += Double(v) * Double(v) }
        let mean = sum / Double(w.count)
        let std = (sumSq / Double(w.count) - mean * mean).squareRoot()
        let expected: Double = (2.0 / Double(256 * 9)).squareRoot()
        XCTAssertEqual(std, expected, accuracy: 0.02 * expected)
        XCTAssertEqual(mean, 0, accuracy: 0.001)
        XCTAssertTrue(n.values(named: "layer3.0.bn1.weight")!.allSatisfy { $0 == 1 })
        XCTAssertTrue(n.values(named: "layer3.0.bn1.bias")!.allSatisfy { $0 == 0 })
        let fc = n.values(named: "fc.weight")!
        XCTAssertTrue(fc.allSatisfy { abs($0) <= 1 / Float(512).squareRoot() })
    }

    func testTrainingStepsLowerTheLoss() {
        let m = ClassicResNet18(seed: 3, context: SharedResNets.context)
        let x = images([4, 3, 32, 32], seed: 5), labels = [0, 1, 0, 1]
        let opt = Adam(learningRate: 1e-3, beta1: 0.9)
        var losses: [Float] = []
        for _ in 0..<6 {
            m.network.zeroGradients()
            let (loss, grad, _) = SoftmaxCrossEntropy.compute(logits: m.forward(x, training: true), labels: labels)
            losses.append(loss)
            m.backward(grad)
            opt.step(m.network)
        }
        XCTAssertLessThan(losses.last!, losses.first!, "losses \(losses)")
    }
}
