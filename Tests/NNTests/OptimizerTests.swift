// Optimiser steps against torch.optim, learning-rate schedules, early stopping.
//
// Reference values: p = [1, -2], gradients [0.5, -0.25] then [-1, 0.75], lr 0.1, two steps, run
// with torch 2.13 CPU (`torch.optim.X([p], ...)`; p.grad set by hand; opt.step()) and printed
// with 9 significant digits. Adam's first step is also checked by hand in testAdamFirstStepByHand.

import XCTest
import Core
@testable import NN

final class OptimizerTests: XCTestCase {
    private func twoSteps(_ opt: Optimizer) -> [Float] {
        var p: [Float] = [1, -2]
        for g0 in [[Float(0.5), -0.25], [-1, 0.75]] {
            var g = g0
            p.withUnsafeMutableBufferPointer { pb in g.withUnsafeMutableBufferPointer { gb in opt.step(parameters: pb, gradients: gb, threads: .serial) } }
        }
        return p
    }

    private func assertClose(_ a: [Float], _ b: [Float], line: UInt = #line) {
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 2e-6, line: line) }
    }

    func testAdamFirstStepByHand() {
        // m = 0.5*0.5 = 0.25, v = 0.001*0.25; m^ = 0.5, v^ = 0.25 -> step = 0.1 * 0.5 / 0.5 = 0.1
        let opt = Adam(learningRate: 0.1, beta1: 0.5)
        var p: [Float] = [1], g: [Float] = [0.5]
        p.withUnsafeMutableBufferPointer { pb in g.withUnsafeMutableBufferPointer { opt.step(parameters: pb, gradients: $0, threads: .serial) } }
        XCTAssertEqual(p[0], 0.9, accuracy: 1e-6)
    }

    func testAdamMatchesTorch() {
        assertClose(twoSteps(Adam(learningRate: 0.1, beta1: 0.5, beta2: 0.999, eps: 1e-8)), [0.963236094, -1.97452068])
    }

    func testAdamL2MatchesTorch() {
        assertClose(twoSteps(Adam(learningRate: 0.1, beta1: 0.5, weightDecay: .l2(0.1))), [0.952757537, -1.9439621])
    }

    func testAdamWMatchesTorch() {
        assertClose(twoSteps(Adam(learningRate: 0.1, beta1: 0.5, weightDecay: .decoupled(0.1))), [0.944336116, -1.93572068])
    }

    func testAdamaxMatchesTorch() {
        assertClose(twoSteps(Adamax(learningRate: 0.1, beta1: 0.9, beta2: 0.999)), [0.92894733, -1.93684208])
    }

    func testSGDMomentumMatchesTorch() {
        assertClose(twoSteps(SGD(learningRate: 0.1, momentum: 0.9)), [1.005, -2.02749991])
    }

    func testSGDNesterovWithWeightDecayMatchesTorch() {
        assertClose(twoSteps(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: .l2(0.01))), [1.0500741, -2.06562734])
    }

    func testCosineScheduleWithWarmup() {
        let s = LearningRateSchedule.cosine(base: 1, warmupSteps: 4, totalSteps: 14, minimum: 0.1)
        XCTAssertEqual(s.rate(at: 0), 0.25, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 3), 1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 4), 1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 9), 0.55, accuracy: 1e-6)   // halfway through the decay
        XCTAssertEqual(s.rate(at: 14), 0.1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 100), 0.1, accuracy: 1e-6)
        XCTAssertEqual(LearningRateSchedule.constant(0.3).rate(at: 7), 0.3)
    }

    func testEarlyStoppingMaxAndMin() {
        var es = EarlyStopping(mode: .max, patience: 2)
        XCTAssertTrue(es.update(0.5) == (true, false))
        XCTAssertTrue(es.update(0.7) == (true, false))
        XCTAssertTrue(es.update(0.6) == (false, false))
        XCTAssertTrue(es.update(0.7) == (false, true))   // equal is not better; two epochs without improvement
        XCTAssertEqual(es.bestEpoch, 1)
        var lo = EarlyStopping(mode: .min, patience: 1, minDelta: 0.05)
        XCTAssertTrue(lo.update(1.0) == (true, false))
        XCTAssertTrue(lo.update(0.97) == (false, true))  // within minDelta
        XCTAssertEqual(lo.best, 1.0)
    }
}
