// FoldedInference (BatchNorm folded into convolutions, fused ReLU and residual add, eval mode)
// against the network's own eval-mode forward, on networks whose BatchNorms have non-trivial
// running statistics and affine parameters.

import XCTest
import Core
@testable import NN

final class FoldedInferenceTests: XCTestCase {
    /// Gives every BatchNorm running statistics from a few training forwards and random gamma/beta.
    private func perturb(_ net: Network, inputShape: [Int], seed: UInt64) {
        for k in 0..<3 { _ = net.forward(randomTensor(inputShape, seed: seed &+ UInt64(k), scale: 2), training: true) }
        var rng = SeededRNG(seed: seed)
        for e in net.entries where e.name.hasSuffix("bn1.weight") || e.name.hasSuffix("bn2.weight") || e.name.hasSuffix(".1.weight")
            || e.name.hasSuffix("bn.weight") || e.name.hasSuffix("bn1.bias") || e.name.hasSuffix("bn2.bias")
            || e.name.hasSuffix(".1.bias") || e.name.hasSuffix("bn.bias") {
            let v = net.values(named: e.name)!
            for i in 0..<v.count { v[i] = e.name.hasSuffix("weight") ? Float(0.5 + rng.uniform()) : Float(rng.normal() * 0.3) }
        }
    }

    /// max |folded - unfolded| / max(1, |unfolded|) over every element.
    private func worstRelativeError(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        var worst: Float = 0
        for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i]) / max(1, abs(b[i]))) }
        return worst
    }

    func testConvBatchNormReLUFoldsToTheSameOutput() {
        let net = Network(Sequential([("conv", Conv2d(3, 5, kernel: 3, stride: 2, padding: 1, bias: true)),
                                      ("bn", BatchNorm(5)), ("relu", ReLU()),
                                      ("conv2", Conv2d(5, 4, kernel: 1)), ("bn2", BatchNorm(4, fusedReLU: true))]),
                          seed: 3, context: twoThreads)
        let shape = [3, 3, 9, 7]
        perturb(net, inputShape: shape, seed: 7)
        let x = randomTensor(shape, seed: 11)
        let plain = net.forward(x, training: false).copy()
        let plan = FoldedInference(net)
        XCTAssertEqual(plan.foldedBatchNormCount, 2)
        XCTAssertEqual(plan.convolutionCount, 2)
        let folded = plan.forward(x)
        XCTAssertLessThanOrEqual(worstRelativeError(folded, plain), 1e-5)
        XCTAssertTrue(plain.array.contains(0) && plain.array.contains { $0 > 0 }, "the ReLU must act on some outputs")
        // Folding must read the running statistics, not batch statistics: changing one changes the output.
        net.values(named: "bn2.running_mean")![0] += 1
        plan.refresh()
        XCTAssertGreaterThan(worstRelativeError(plan.forward(x), plain), 1e-3)
    }

    func testResidualBlocksFoldToTheSameOutput() {
        // An identity block and a downsampling (1x1 stride-2 shortcut) block, then pooling and fc.
        let root = Sequential([("conv1", Conv2d(3, 8, kernel: 3, padding: 1, bias: false)), ("bn1", BatchNorm(8, fusedReLU: true)),
                               ("pool", MaxPool2d(kernel: 3, stride: 2, padding: 1)),
                               ("b1", BasicBlock(8, 8)), ("b2", BasicBlock(8, 16, stride: 2)),
                               ("avg", GlobalAvgPool()), ("fc", Linear(16, 3))])
        let net = Network(root, seed: 5, context: twoThreads)
        let shape = [4, 3, 12, 10]
        perturb(net, inputShape: shape, seed: 9)
        let x = randomTensor(shape, seed: 13)
        let plain = net.forward(x, training: false).copy()
        let plan = FoldedInference(net)
        XCTAssertEqual(plan.foldedBatchNormCount, 6)  // conv1, two per block, the downsample
        let folded = plan.forward(x)
        XCTAssertLessThanOrEqual(worstRelativeError(folded, plain), 1e-5)
        // The runner reuses its slots: a second, different batch must not see the first one's values.
        let x2 = randomTensor(shape, seed: 14)
        let plain2 = net.forward(x2, training: false).copy()
        XCTAssertLessThanOrEqual(worstRelativeError(plan.forward(x2), plain2), 1e-5)
    }

    func testPointwiseStrideOneKernelMatchesTheReference() {
        // 1x1 stride-1 convolutions skip the column matrix: compare with the naive reference.
        let conv = Conv2d(6, 4, kernel: 1, bias: true)
        let net = Network(conv, seed: 2, context: twoThreads)
        let (n, h, w) = (3, 5, 7)
        let x = randomTensor([n, 6, h, w], seed: 3)
        let y = FoldedInference(net).forward(x)
        let ref = referenceConv2d(x: x.array, n: n, c: 6, h: h, w: w, weight: Array(net.values(named: "weight")!),
                                  bias: Array(net.values(named: "bias")!), outChannels: 4, kernel: (1, 1), stride: (1, 1), padding: (0, 0))
        XCTAssertEqual(y.shape, [n, 4, h, w])
        for i in 0..<y.count { XCTAssertEqual(y[i], ref.values[i], accuracy: 1e-5, "element \(i)") }
    }

    func testChunkedColumnsGiveTheSameFoldedOutput() {
        // A column budget of two samples: the batch of 5 runs as 2 + 2 + 1 chunks.
        var context = twoThreads
        // Winograd off: it would take this 3x3 stride-1 kernel and never build a column matrix.
        context.conv = ConvSettings(maxColumnElements: 2 * 4 * 9 * 8 * 8, winogradInference: false)
        var whole = twoThreads
        whole.conv.winogradInference = false
        let make = { (ctx: NNContext) in
            Network(Sequential([("conv", Conv2d(4, 6, kernel: 3, padding: 1, bias: false)), ("bn", BatchNorm(6, fusedReLU: true))]),
                    seed: 4, context: ctx)
        }
        let small = make(context), big = make(whole)
        let shape = [5, 4, 8, 8]
        perturb(small, inputShape: shape, seed: 1)
        big.copyWeights(from: small)
        let x = randomTensor(shape, seed: 2)
        let a = FoldedInference(small).forward(x).copy(), b = FoldedInference(big).forward(x)
        XCTAssertLessThanOrEqual(worstRelativeError(a, b), 1e-6)
    }

    func testInferenceBetweenTrainingStepsLeavesTheirGradientsAlone() {
        // The runner borrows the network's shared gradient tensors: a training step after an
        // inference must give exactly the gradients it gives without one.
        let net = Network(Sequential([("b1", BasicBlock(3, 6, stride: 2)), ("b2", BasicBlock(6, 6))]), seed: 6, context: twoThreads)
        let x = randomTensor([2, 3, 8, 8], seed: 3), x2 = randomTensor([2, 3, 8, 8], seed: 4)
        func step() -> ([Float], [Float]) {
            net.zeroGradients()
            let y = net.forward(x, training: false)
            let dx = net.backward(randomTensor(y.shape, seed: 5)).array
            return (dx, Array(net.gradients))
        }
        let before = step()
        let plan = FoldedInference(net)
        _ = plan.forward(x2)
        let after = step()
        XCTAssertEqual(before.0, after.0)
        XCTAssertEqual(before.1, after.1)
    }
}
