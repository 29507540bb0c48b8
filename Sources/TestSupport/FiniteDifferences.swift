// FiniteDifferences: the one central-difference gradient check of the test suites (layers in
// NNTests, quantum layers, twins and heads in ModelsTests). The scalar checked is
// L = sum_i y_i * r_i (Double accumulation) for a fixed probe r, so dL/dy = r is what backward
// receives; each picked input and parameter is moved by +-h and (L+ - L-) / 2h is compared with
// the analytic gradient. The callers choose the network, input, probe, step and picks.

import Core
import NN
import XCTest

/// How close an analytic gradient must be to its central difference.
public enum FDTolerance: Sendable {
    /// |analytic - numeric| <= absolute + relative * max(|analytic|, |numeric|).
    case mixed(absolute: Double, relative: Double)
    /// |analytic - numeric| <= tolerance * max(1, |numeric|).
    case scaled(Double)

    func allows(_ analytic: Double, _ numeric: Double) -> Bool {
        let err = abs(analytic - numeric)
        switch self {
        case .mixed(let a, let r): return err <= a + r * max(abs(analytic), abs(numeric))
        case .scaled(let t): return err <= t * max(1, abs(numeric))
        }
    }
}

/// What a check compared: how many gradients, and the analytic parameter gradients.
public struct FDCheck {
    public var checks: Int
    public var parameterGradients: [Float]
}

/// Compares the analytic dL/dx (at `inputs`) and dL/dθ (at `parameters`) of `net` at `x` with
/// central differences of step `h`; a failure names the index and both values.
@discardableResult
public func finiteDifferenceCheck(_ net: Network, input x: Tensor, probe r: Tensor, training: Bool = true, h: Float,
                                  inputs: [Int], parameters: [Int], tolerance: FDTolerance,
                                  file: StaticString = #filePath, line: UInt = #line) -> FDCheck {
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
    func compare(_ analytic: Float, _ fp: Double, _ fm: Double, _ what: String) {
        let numeric = (fp - fm) / Double(2 * h)
        XCTAssertTrue(tolerance.allows(Double(analytic), numeric), "\(what): analytic \(analytic) vs numeric \(numeric)",
                      file: file, line: line)
    }
    for i in inputs {
        let old = x[i]
        x[i] = old + h; let fp = loss()
        x[i] = old - h; let fm = loss()
        x[i] = old
        compare(dx[i], fp, fm, "dL/dx[\(i)]")
    }
    for j in parameters {
        let old = net.parameters[j]
        net.parameters[j] = old + h; let fp = loss()
        net.parameters[j] = old - h; let fm = loss()
        net.parameters[j] = old
        compare(grads[j], fp, fm, "dL/dθ[\(j)]")
    }
    return FDCheck(checks: inputs.count + parameters.count, parameterGradients: grads)
}
