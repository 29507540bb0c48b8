// Network container: the flat buffers and names, gradient accumulation, and a small end-to-end fit.

import XCTest
import Core
@testable import NN

final class NetworkTests: XCTestCase {
    func testParameterTableNamesShapesAndOffsets() {
        let net = Network(Sequential([("conv", Conv2d(3, 4, kernel: 3, bias: false)), ("bn", BatchNorm(4)),
                                      ("block", BasicBlock(4, 8, stride: 2)), ("fc", Linear(8, 2))]), seed: 1, context: twoThreads)
        XCTAssertEqual(net.entry(named: "conv.weight")?.shape, [4, 3, 3, 3])
        XCTAssertEqual(net.entry(named: "block.downsample.0.weight")?.shape, [8, 4, 1, 1])
        XCTAssertEqual(net.entry(named: "block.downsample.1.running_mean")?.kind, .state)
        XCTAssertEqual(net.entry(named: "fc.bias")?.shape, [2])
        XCTAssertNil(net.entry(named: "conv.bias"))
        // Trainable entries tile the parameter buffer exactly, in order.
        var next = 0
        for e in net.entries where e.kind == .trainable { XCTAssertEqual(e.offset, next); next += e.count }
        XCTAssertEqual(next, net.parameterCount)
        XCTAssertEqual(net.values(named: "bn.running_var")!.allSatisfy { $0 == 1 }, true)
    }

    func testBackwardAccumulatesUntilZeroed() {
        let net = Network(Linear(3, 2), seed: 1, context: twoThreads)
        let x = randomTensor([4, 3], seed: 2), dy = randomTensor([4, 2], seed: 3)
        _ = net.forward(x, training: true); net.backward(dy)
        let once = Array(net.gradients)
        _ = net.forward(x, training: true); net.backward(dy)
        for (a, b) in zip(net.gradients, once) { XCTAssertEqual(a, 2 * b, accuracy: 1e-5) }
        net.zeroGradients()
        XCTAssertTrue(net.gradients.allSatisfy { $0 == 0 })
    }

    func testSmallCNNOverfitsTwoPatterns() {
        // Class 0: a bright vertical bar; class 1: a bright horizontal bar; plus noise.
        var rng = SeededRNG(seed: 42)
        let n = 16
        let x = Tensor(zeros: [n, 1, 8, 8])
        var labels: [Int] = []
        for s in 0..<n {
            let label = s % 2
            labels.append(label)
            let pos = 1 + rng.below(6)
            for i in 0..<8 {
                for j in 0..<8 {
                    let on = label == 0 ? j == pos : i == pos
                    x[(s * 8 + i) * 8 + j] = (on ? 1 : 0) + Float(rng.normal() * 0.2)
                }
            }
        }
        let net = Network(Sequential([("conv1", Conv2d(1, 4, kernel: 3, padding: 1)), ("bn1", BatchNorm(4, fusedReLU: true)),
                                      ("pool", MaxPool2d(kernel: 2)), ("block", BasicBlock(4, 8, stride: 2)),
                                      ("gap", GlobalAvgPool()), ("drop", Dropout(p: 0.1, seed: 1)), ("fc", Linear(8, 2))]), seed: 3, context: twoThreads)
        let opt = Adam(learningRate: 0.02, beta1: 0.9)
        var firstLoss: Float = 0, lastLoss: Float = 0
        for step in 0..<40 {
            net.zeroGradients()
            let logits = net.forward(x, training: true)
            let (loss, grad, _) = SoftmaxCrossEntropy.compute(logits: logits, labels: labels)
            if step == 0 { firstLoss = loss }
            lastLoss = loss
            net.backward(grad)
            opt.step(net)
        }
        let (_, _, probs) = SoftmaxCrossEntropy.compute(logits: net.forward(x, training: false), labels: labels)
        let correct = (0..<n).filter { (probs[$0 * 2 + 1] > 0.5 ? 1 : 0) == labels[$0] }.count
        XCTAssertEqual(correct, n, "training accuracy \(correct)/\(n), loss \(firstLoss) -> \(lastLoss)")
        XCTAssertLessThan(lastLoss, firstLoss * 0.5)
    }

    func testSoftmaxCrossEntropyValuesAndStability() {
        let logits = Tensor(shape: [2, 2], values: [0, 0, 1000, -1000])
        let (loss, grad, probs) = SoftmaxCrossEntropy.compute(logits: logits, labels: [1, 0])
        // Row 0: log 2; row 1: 0 (huge logits must not overflow); mean over the batch.
        XCTAssertEqual(loss, Float(0.6931471805599453 / 2), accuracy: 1e-6)
        XCTAssertEqual(probs.array, [0.5, 0.5, 1, 0])
        XCTAssertEqual(grad.array, [0.25, -0.25, 0, 0])
    }
}

final class ComputeTests: XCTestCase {
    func testOpenBLASKernelChoice() {
        XCTAssertEqual(Compute.betterOpenBLASCoreType(cpuFlags: ["avx2", "fma", "avx512f", "avx512vl"], current: "Prescott"), "SkylakeX")
        XCTAssertEqual(Compute.betterOpenBLASCoreType(cpuFlags: ["avx2", "fma"], current: "Prescott"), "Haswell")
        XCTAssertNil(Compute.betterOpenBLASCoreType(cpuFlags: ["sse3"], current: "Prescott"))
        XCTAssertNil(Compute.betterOpenBLASCoreType(cpuFlags: ["avx2", "fma"], current: "Haswell"))
        XCTAssertFalse(Compute.openBLASCore.isEmpty)
    }
}
