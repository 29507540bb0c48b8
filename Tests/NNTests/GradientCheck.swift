// Finite-difference gradient checking shared by the layer tests.
//
// The scalar checked is L = sum_i y_i * r_i (Double accumulation) for a fixed random r, so
// dL/dy = r is what backward receives. Central differences with step h on sampled inputs and
// parameters are compared with the analytic gradients.

import XCTest
import Core
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
    let y0 = net.forward(x, training: training)
    let r = randomTensor(y0.shape, seed: seed &+ 3)

    func loss() -> Double {
        let y = net.forward(x, training: training)
        var s = 0.0
        for i in 0..<y.count { s += Double(y[i]) * Double(r[i]) }
        return s
    }
    _ = net.forward(x, training: training)
    net.zeroGradients()
    let dx = net.backward(r).copy()
    XCTAssertEqual(dx.shape, x.shape, "input gradient shape", file: file, line: line)
    let grads = Array(net.gradients)

    func compare(_ analytic: Double, _ numeric: Double, _ what: String) {
        let err = abs(analytic - numeric)
        XCTAssertLessThanOrEqual(err, atol + rtol * max(abs(analytic), abs(numeric)),
                                 "\(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
    }
    func indices(_ n: Int) -> [Int] {
        if n <= samples { return Array(0..<n) }
        return (0..<samples).map { _ in rng.below(n) }
    }
    for i in indices(x.count) {
        let old = x[i]
        x[i] = old + h; let fp = loss()
        x[i] = old - h; let fm = loss()
        x[i] = old
        compare(Double(dx[i]), (fp - fm) / Double(2 * h), "dL/dx[\(i)]")
    }
    for i in indices(net.parameterCount) {
        let old = net.parameters[i]
        net.parameters[i] = old + h; let fp = loss()
        net.parameters[i] = old - h; let fm = loss()
        net.parameters[i] = old
        compare(Double(grads[i]), (fp - fm) / Double(2 * h), "dL/dθ[\(i)]")
    }
}
