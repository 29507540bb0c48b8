// Finite-difference gradient tests for every layer, inputs and parameters.

import XCTest
import Core
@testable import NN

final class LayerGradientTests: XCTestCase {
    func testConv2dPaddedStride1() {
        checkGradients(Conv2d(2, 3, kernel: 3, stride: 1, padding: 1), inputShape: [2, 2, 5, 4])
    }

    func testConv2dStride2NonSquareNoBias() {
        checkGradients(Conv2d(3, 2, kernel: (3, 2), stride: (2, 1), padding: (1, 0), bias: false), inputShape: [2, 3, 7, 5])
    }

    func testConv2dOneByOneStride2() {
        checkGradients(Conv2d(3, 4, kernel: 1, stride: 2, bias: false), inputShape: [3, 3, 5, 6])
    }

    func testBatchNorm2dTraining() {
        checkGradients(BatchNorm(3), inputShape: [4, 3, 3, 2], training: true)
    }

    func testBatchNorm2dEval() {
        checkGradients(BatchNorm(3), inputShape: [2, 3, 3, 2], training: false)
    }

    func testBatchNormFusedReLU() {
        checkGradients(BatchNorm(2, fusedReLU: true), inputShape: [4, 2, 3, 3], training: true)
    }

    func testBatchNorm1d() {
        checkGradients(BatchNorm1d(5), inputShape: [6, 5], training: true)
    }

    func testReLU() { checkGradients(ReLU(), inputShape: [2, 3, 4, 4]) }

    func testMaxPoolPadded() { checkGradients(MaxPool2d(kernel: 3, stride: 2, padding: 1), inputShape: [2, 2, 7, 6]) }

    func testMaxPoolDefaultStride() { checkGradients(MaxPool2d(kernel: 2), inputShape: [1, 3, 4, 6]) }

    func testGlobalAvgPool() { checkGradients(GlobalAvgPool(), inputShape: [2, 3, 3, 5]) }

    func testLinear() { checkGradients(Linear(6, 4), inputShape: [3, 6]) }

    func testFlatten() { checkGradients(Flatten(), inputShape: [2, 3, 2, 2]) }

    func testDropoutTrainingWithFixedMask() {
        let d = Dropout(p: 0.4, seed: 3)
        d.reuseMask = true  // the finite differences must see the same mask as backward
        checkGradients(d, inputShape: [4, 10])
    }

    func testBasicBlockIdentityShortcut() {
        checkGradients(BasicBlock(3, 3), inputShape: [3, 3, 4, 4], seed: 11, samples: 16)
    }

    func testBasicBlockDownsample() {
        checkGradients(BasicBlock(2, 4, stride: 2), inputShape: [3, 2, 6, 5], samples: 16)
    }

    func testSequentialSmallCNN() {
        let net = Sequential([("conv", Conv2d(1, 2, kernel: 3, padding: 1)), ("bn", BatchNorm(2)), ("relu", ReLU()),
                              ("pool", MaxPool2d(kernel: 2)), ("flat", Flatten()), ("fc", Linear(8, 3))])
        checkGradients(net, inputShape: [3, 1, 4, 4], samples: 16)
    }

    func testSoftmaxCrossEntropyGradient() {
        let logits = randomTensor([4, 3], seed: 11, scale: 2)
        let labels = [0, 2, 1, 2]
        let (_, grad, _) = SoftmaxCrossEntropy.compute(logits: logits, labels: labels)
        let h: Float = 1e-3
        for i in 0..<logits.count {
            let old = logits[i]
            logits[i] = old + h; let fp = SoftmaxCrossEntropy.compute(logits: logits, labels: labels).loss
            logits[i] = old - h; let fm = SoftmaxCrossEntropy.compute(logits: logits, labels: labels).loss
            logits[i] = old
            XCTAssertEqual(Double(grad[i]), Double(fp - fm) / Double(2 * h), accuracy: 2e-3, "dLoss/dz[\(i)]")
        }
    }
}
