// Finite-difference gradient checking shared by the layer tests: a layer in a network with
// jittered parameters, a random input and probe, and sampled inputs and parameters, checked by
// TestSupport's finiteDifferenceCheck (L = sum_i y_i * r_i, central differences).

import XCTest
import Core
import TestSupport
@testable import NN

/// The context the NN tests build networks with: two threads, so the threaded loops run.
let twoThreads = NNContext(threads: Threads(2))

func randomTensor(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor {
    var rng = SeededRNG(seed: seed)
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t[i] = Float(rng.normal() * scale) }
    return t
}

/// Checks dL/dx and dL/dθ of `layer` at a random input of `inputShape`.
/// `jitter` perturbs the initial parameters so e.g. BatchNorm's gamma is not exactly 1.
func checkGradients(_ layer: Layer, inputShape: [Int], training: Bool = true, seed: UInt64 = 7,
                    h: Float = 1e-3, samples: Int = 24, rtol: Double = 2e-2, atol: Double = 2e-3,
                    jitter: Double = 0.1, context: NNContext = twoThreads, file: StaticString = #filePath, line: UInt = #line) {
    let net = Network(layer, seed: seed, context: context)
    var rng = SeededRNG(seed: seed &+ 1)
    for i in 0..<net.parameterCount { net.parameters[i] += Float(rng.normal() * jitter) }
    let x = randomTensor(inputShape, seed: seed &+ 2)
    let r = randomTensor(net.forward(x, training: training).shape, seed: seed &+ 3)
    func indices(_ n: Int) -> [Int] {
        if n <= samples { return Array(0..<n) }
        return (0..<samples).map { _ in rng.below(n) }
    }
    let inputs = indices(x.count)
    finiteDifferenceCheck(net, input: x, probe: r, training: training, h: h, inputs: inputs,
                          parameters: indices(net.parameterCount), tolerance: .mixed(absolute: atol, relative: rtol),
                          file: file, line: line)
}
