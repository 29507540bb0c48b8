// Conv2d's Winograd training path (Winograd.swift) against the naive reference, against
// the im2col path (output, input, weight and bias gradients), across chunks, and by finite differences.

import XCTest
import Core
@testable import NN

final class WinogradTrainingTests: XCTestCase {
    /// Winograd from one input channel (so small test layers take it), or off.
    private func context(winograd: Bool, maxColumnElements: Int = 1 << 24) -> NNContext {
        NNContext(threads: Threads(2), conv: ConvSettings(maxColumnElements: maxColumnElements, winogradTraining: winograd,
                                                           winogradTrainingMinChannels: 1))
    }

    /// Output, input gradient and parameter gradients of one training step on a random probe.
    private func step(_ c: Int, _ o: Int, bias: Bool, shape: (Int, Int, Int), context: NNContext,
                      checkPath: Bool? = nil, line: UInt = #line) -> (y: [Float], dx: [Float], grads: [Float]) {
        let conv = Conv2d(c, o, kernel: 3, padding: 1, bias: bias)
        let net = Network(conv, seed: 5, context: context)
        let (n, h, w) = shape
        if let checkPath { XCTAssertEqual(conv.usesWinograd(h: h, w: w), checkPath, "path for \(shape)", line: line) }
        let x = randomTensor([n, c, h, w], seed: 9)
        let y = net.forward(x, training: true).array
        let dx = net.backward(randomTensor([n, o, h, w], seed: 3)).array
        return (y, dx, Array(net.gradients))
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ what: String, line: UInt) {
        XCTAssertEqual(a.count, b.count, what, line: line)
        let scale = b.map { abs($0) }.max() ?? 1
        for i in 0..<Swift.min(a.count, b.count) {
            XCTAssertEqual(a[i], b[i], accuracy: 1e-5 * Swift.max(1, scale), "\(what) element \(i)", line: line)
        }
    }

    func testForwardMatchesTheReference() {
        for (c, o, n, h, w) in [(3, 4, 2, 5, 7), (2, 5, 1, 2, 2), (4, 3, 2, 9, 19), (1, 2, 3, 4, 33), (11, 9, 1, 4, 6)] {
            let conv = Conv2d(c, o, kernel: 3, padding: 1, bias: true)
            let net = Network(conv, seed: 5, context: context(winograd: true))
            XCTAssertTrue(conv.usesWinograd(h: h, w: w))
            let x = randomTensor([n, c, h, w], seed: 9)
            let y = net.forward(x, training: true)
            let ref = referenceConv2d(x: x.array, n: n, c: c, h: h, w: w, weight: Array(net.values(named: "weight")!),
                                      bias: Array(net.values(named: "bias")!), outChannels: o, kernel: (3, 3), stride: (1, 1), padding: (1, 1))
            XCTAssertEqual(y.shape, [n, o, ref.oh, ref.ow])
            assertClose(y.array, ref.values, "forward \(c)x\(o) \(h)x\(w)", line: #line)
        }
    }

    func testGradientsMatchTheIm2colPath() {
        // Odd and even sizes, rows of more than one 8-tile run (w = 19, 33), a 2x2 image, with and without a bias,
        // channel counts below, above and at a multiple of the weight transforms' 8 lanes.
        for (c, o, n, h, w, bias) in [(3, 4, 2, 5, 7, true), (2, 5, 1, 2, 2, false), (4, 3, 2, 9, 19, true), (1, 2, 3, 4, 33, false),
                                       (6, 6, 2, 8, 8, true), (11, 9, 2, 4, 6, true), (16, 3, 1, 6, 5, false)] {
            let wino = step(c, o, bias: bias, shape: (n, h, w), context: context(winograd: true), checkPath: true)
            let im2col = step(c, o, bias: bias, shape: (n, h, w), context: context(winograd: false), checkPath: false)
            let tag = "\(c)x\(o) \(n)x\(h)x\(w)"
            assertClose(wino.y, im2col.y, "output \(tag)", line: #line)
            assertClose(wino.dx, im2col.dx, "input gradient \(tag)", line: #line)
            assertClose(wino.grads, im2col.grads, "parameter gradients \(tag)", line: #line)
        }
    }

    func testChunksAccumulateTheWeightGradient() {
        // Room for one sample's [16, 4, 12] buffers only: a batch of 3 runs as three chunks.
        let shape = (3, 5, 7)
        let chunked = step(3, 4, bias: true, shape: shape, context: context(winograd: true, maxColumnElements: 16 * 4 * 12))
        let whole = step(3, 4, bias: true, shape: shape, context: context(winograd: true))
        assertClose(chunked.y, whole.y, "output", line: #line)
        assertClose(chunked.dx, whole.dx, "input gradient", line: #line)
        assertClose(chunked.grads, whole.grads, "parameter gradients", line: #line)
    }

    func testKeepingTheTransformedInputChangesNoBit() {
        // Backward reads the V forward kept (when the batch's V fits the bound) instead of
        // transforming the input again: the same floats, so every output and gradient is identical.
        let shape = (3, 4, 6), n = shape.0
        func run(keep: Int, chunk: Int = 1 << 24) -> (kept: Bool, y: [Float], dx: [Float], grads: [Float]) {
            let conv = Conv2d(5, 7, kernel: 3, padding: 1, bias: true)
            let net = Network(conv, seed: 5, context: NNContext(threads: Threads(2), conv: ConvSettings(
                maxColumnElements: chunk, winogradTrainingMinChannels: 1, winogradKeptInputFloats: keep)))
            let x = randomTensor([n, 5, shape.1, shape.2], seed: 9)
            let y = net.forward(x, training: true).array
            let kept = conv.holdsTransformedInput
            let dx = net.backward(randomTensor([n, 7, shape.1, shape.2], seed: 3)).array
            XCTAssertFalse(conv.holdsTransformedInput, "backward spends the kept transform")
            return (kept, y, dx, Array(net.gradients))
        }
        // V of 3 samples of 5 channels of 2x3 tiles: 16 x (5 x 18 + 16) floats.
        let recomputed = run(keep: 0), kept = run(keep: 16 * (5 * 18 + 16)), tooSmall = run(keep: 16 * (5 * 18 + 16) - 1)
        let chunked = run(keep: 1 << 21, chunk: 16 * 7 * 6)
        XCTAssertFalse(recomputed.kept); XCTAssertTrue(kept.kept); XCTAssertFalse(tooSmall.kept)
        XCTAssertFalse(chunked.kept, "a batch of several chunks recomputes V chunk by chunk")
        XCTAssertEqual(kept.y, recomputed.y); XCTAssertEqual(kept.dx, recomputed.dx); XCTAssertEqual(kept.grads, recomputed.grads)
    }

    func testFiniteDifferences() {
        checkGradients(Conv2d(2, 3, kernel: 3, stride: 1, padding: 1), inputShape: [2, 2, 5, 4], context: context(winograd: true))
        checkGradients(Conv2d(3, 2, kernel: 3, stride: 1, padding: 1, bias: false), inputShape: [1, 3, 3, 18], context: context(winograd: true))
    }

    func testStandardSettingsTakeWinogradFromSixtyFourChannels() {
        let net = Network(Sequential([("a", Conv2d(64, 8, kernel: 3, padding: 1)), ("b", Conv2d(8, 8, kernel: 3, padding: 1)),
                                      ("c", Conv2d(64, 8, kernel: 3, stride: 2, padding: 1))]), seed: 1, context: twoThreads)
        let kids = (net.root as! Sequential).children.map { $0.layer as! Conv2d }
        XCTAssertTrue(kids[0].usesWinograd(h: 8, w: 8))
        XCTAssertFalse(kids[0].usesWinograd(h: 1, w: 8), "a one-row image spends more products than the GEMM")
        XCTAssertFalse(kids[1].usesWinograd(h: 8, w: 8), "below the channel threshold")
        XCTAssertFalse(kids[2].usesWinograd(h: 8, w: 8), "stride 2")
    }
}
