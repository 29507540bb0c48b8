// Conv2d against the naive reference on odd shapes; BatchNorm train/eval behaviour and running stats.

import XCTest
import Core
@testable import NN

final class ConvAndBatchNormTests: XCTestCase {
    private func compareWithReference(c: Int, o: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                                      bias: Bool, shape: (Int, Int, Int), line: UInt = #line) {
        let conv = Conv2d(c, o, kernel: kernel, stride: stride, padding: padding, bias: bias)
        let net = Network(conv, seed: 5, context: twoThreads)
        let (n, h, w) = shape
        let x = randomTensor([n, c, h, w], seed: 9)
        let y = net.forward(x, training: true)
        let weight = Array(net.values(named: "weight")!)
        let b = bias ? Array(net.values(named: "bias")!) : nil
        let ref = referenceConv2d(x: x.array, n: n, c: c, h: h, w: w, weight: weight, bias: b, outChannels: o,
                                  kernel: kernel, stride: stride, padding: padding)
        XCTAssertEqual(y.shape, [n, o, ref.oh, ref.ow], line: line)
        for i in 0..<y.count { XCTAssertEqual(y[i], ref.values[i], accuracy: 1e-4, "element \(i)", line: line) }
    }

    func testConvMatchesReferenceOnOddShapes() {
        compareWithReference(c: 3, o: 4, kernel: (3, 3), stride: (2, 2), padding: (1, 1), bias: true, shape: (2, 7, 9))
        compareWithReference(c: 2, o: 5, kernel: (7, 7), stride: (2, 2), padding: (3, 3), bias: false, shape: (3, 11, 8))
        compareWithReference(c: 4, o: 3, kernel: (1, 1), stride: (2, 2), padding: (0, 0), bias: false, shape: (2, 5, 7))
        compareWithReference(c: 1, o: 2, kernel: (2, 3), stride: (1, 3), padding: (0, 2), bias: true, shape: (1, 6, 10))
        compareWithReference(c: 2, o: 2, kernel: (3, 3), stride: (1, 1), padding: (2, 2), bias: true, shape: (2, 2, 3))
    }

    func testConvChunkingGivesTheSameResultAsOneChunk() {
        // A batch too large for one column chunk must give the same output as samples run one by one.
        // Column chunks of 3 samples (of 8*9 rows x 64*64 pixels each): 7 samples run as 3 + 3 + 1.
        var context = twoThreads
        context.conv = ConvSettings(maxColumnElements: 3 * 8 * 9 * 64 * 64)
        let conv = Conv2d(8, 4, kernel: 3, padding: 1, bias: false)
        let net = Network(conv, seed: 2, context: context)
        let n = 7
        let x = randomTensor([n, 8, 64, 64], seed: 4)
        let all = net.forward(x, training: false).copy()
        let single = Tensor(zeros: [1, 8, 64, 64])
        for s in 0..<n {
            single.data.update(from: x.data + s * 8 * 64 * 64, count: single.count)
            let one = net.forward(single, training: false)
            let off = s * 4 * 64 * 64
            for i in stride(from: 0, to: one.count, by: 97) { XCTAssertEqual(all[off + i], one[i], accuracy: 1e-5, "sample \(s)") }
        }
    }

    func testCachedAndRecomputedColumnsGiveTheSameGradients() {
        func grads(cache: Bool) -> ([Float], [Float]) {
            var context = twoThreads
            context.conv = ConvSettings(cacheColumns: cache)
            let net = Network(Conv2d(3, 4, kernel: 3, stride: 2, padding: 1), seed: 8, context: context)
            let x = randomTensor([2, 3, 7, 6], seed: 1)
            let y = net.forward(x, training: true)
            let dx = net.backward(randomTensor(y.shape, seed: 2))
            return (dx.array, Array(net.gradients))
        }
        let a = grads(cache: true), b = grads(cache: false)
        XCTAssertEqual(a.0, b.0)
        XCTAssertEqual(a.1, b.1)
    }

    func testTransposedAndCol2imInputGradientsAgree() {
        func inputGradient(transposed: Bool, kernel: (Int, Int), padding: (Int, Int)) -> [Float] {
            var context = twoThreads
            context.conv = ConvSettings(transposedInputGradient: transposed)
            let net = Network(Conv2d(3, 5, kernel: kernel, stride: (1, 1), padding: padding, bias: false), seed: 8, context: context)
            let x = randomTensor([2, 3, 6, 7], seed: 1)
            let y = net.forward(x, training: true)
            return net.backward(randomTensor(y.shape, seed: 2)).array
        }
        for (k, p) in [((3, 3), (1, 1)), ((3, 2), (0, 1)), ((5, 5), (2, 2)), ((2, 3), (1, 2))] {
            let a = inputGradient(transposed: true, kernel: k, padding: p)
            let b = inputGradient(transposed: false, kernel: k, padding: p)
            XCTAssertEqual(a.count, b.count)
            for i in 0..<a.count { XCTAssertEqual(a[i], b[i], accuracy: 1e-4, "kernel \(k) padding \(p) element \(i)") }
        }
    }

    func testBatchNormTrainingNormalisesAndUpdatesRunningStats() {
        let bn = BatchNorm(2)
        let net = Network(bn, seed: 1, context: twoThreads)
        // Channel 0 holds 1,2,3,4 (mean 2.5, biased var 1.25, unbiased 5/3); channel 1 holds 10 everywhere.
        let x = Tensor(shape: [2, 2, 1, 2], values: [1, 2, 10, 10, 3, 4, 10, 10])
        let y = net.forward(x, training: true)
        let inv = 1 / (1.25 + 1e-5).squareRoot()
        XCTAssertEqual(y[0], Float(-1.5 * inv), accuracy: 1e-5)
        XCTAssertEqual(y[5], Float(1.5 * inv), accuracy: 1e-5)
        XCTAssertEqual(y[2], 0, accuracy: 1e-5)
        let rm = net.values(named: "running_mean")!, rv = net.values(named: "running_var")!
        XCTAssertEqual(rm[0], 0.25, accuracy: 1e-6)            // 0.9 * 0 + 0.1 * 2.5
        XCTAssertEqual(rm[1], 1.0, accuracy: 1e-6)
        XCTAssertEqual(rv[0], 0.9 + 0.1 * 5.0 / 3.0, accuracy: 1e-6)
        XCTAssertEqual(rv[1], 0.9, accuracy: 1e-6)
        XCTAssertEqual(net.entry(named: "running_var")?.kind, .state)
    }

    func testBatchNormEvalUsesRunningStatsAndLeavesThemAlone() {
        let bn = BatchNorm(1)
        let net = Network(bn, seed: 1, context: twoThreads)
        net.values(named: "running_mean")![0] = 2
        net.values(named: "running_var")![0] = 4
        net.values(named: "weight")![0] = 3
        net.values(named: "bias")![0] = 1
        let x = Tensor(shape: [2, 1, 1, 1], values: [4, 0])
        let y = net.forward(x, training: false)
        XCTAssertEqual(y[0], 3 * 2 / (4 + 1e-5).squareRoot() + 1, accuracy: 1e-5)
        XCTAssertEqual(y[1], 3 * -2 / (4 + 1e-5).squareRoot() + 1, accuracy: 1e-5)
        XCTAssertEqual(net.values(named: "running_mean")![0], 2)
        XCTAssertEqual(net.values(named: "running_var")![0], 4)
        // The same input in training mode is normalised by its own statistics instead.
        let t = net.forward(x, training: true)
        XCTAssertEqual(t[0], 3 * 1 + 1, accuracy: 1e-3)
    }

    func testMaxPoolAndAveragePoolValues() {
        let x = Tensor(shape: [1, 1, 3, 3], values: [1, 5, 2, 7, 3, 4, 0, 9, 8])
        let mp = Network(MaxPool2d(kernel: 3, stride: 2, padding: 1), seed: 0, context: twoThreads)
        XCTAssertEqual(mp.forward(x, training: false).array, [7, 5, 9, 9])  // windows clipped by the padding
        let gp = Network(GlobalAvgPool(), seed: 0, context: twoThreads)
        XCTAssertEqual(gp.forward(x, training: false).array, [39.0 / 9])
    }

    /// The stem pool's vector path (3x3, stride 2, pad 1) against a scalar reference: the same
    /// maxima and the same argmax (first maximum in row-major order), seen through the gradient,
    /// on inputs full of ties (few levels, zeros as after a ReLU) and -infinity, odd and even
    /// sizes, one to five 8-output runs.
    func testStemMaxPoolMatchesTheReferenceIncludingTies() {
        var rng = SeededRNG(seed: 5)
        for (h, w) in [(1, 1), (2, 3), (5, 7), (8, 8), (7, 16), (9, 17), (12, 33), (3, 80)] {
            let n = 2, c = 3, oh = (h - 1) / 2 + 1, ow = (w - 1) / 2 + 1
            let levels: [Float] = [0, 0, 0, 1, 2, -.infinity]
            let x = Tensor(shape: [n, c, h, w], values: (0..<(n * c * h * w)).map { _ in levels[Int(rng.next() % 6)] })
            let net = Network(MaxPool2d(kernel: 3, stride: 2, padding: 1), seed: 0, context: twoThreads)
            let y = net.forward(x, training: true)
            let dy = Tensor(shape: y.shape, values: (0..<y.count).map { Float($0 + 1) })
            let dx = net.backward(dy).array
            var wantY = [Float](repeating: 0, count: y.count), wantDx = [Float](repeating: 0, count: x.count)
            for pl in 0..<(n * c) {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var best = -Float.infinity, at = -1
                        for r in max(0, 2 * oy - 1)..<min(h, 2 * oy + 2) {
                            for q in max(0, 2 * ox - 1)..<min(w, 2 * ox + 2) {
                                let v = x[(pl * h + r) * w + q]
                                if at < 0 || v > best { best = v; at = r * w + q }
                            }
                        }
                        let o = (pl * oh + oy) * ow + ox
                        wantY[o] = best; wantDx[pl * h * w + at] += dy[o]
                    }
                }
            }
            let got = y.array
            XCTAssertNil(got.indices.first { got[$0] != wantY[$0] }, "values \(h)x\(w): first mismatch")
            XCTAssertNil(dx.indices.first { dx[$0] != wantDx[$0] }, "argmax (gradient) \(h)x\(w): first mismatch")
        }
    }

    func testDropoutEvalIsIdentityAndTrainingKeepsExpectation() {
        let d = Dropout(p: 0.5, seed: 1)
        let x = Tensor(shape: [1, 10_000], repeating: 1)
        XCTAssertEqual(d.forward(x, training: false).array, x.array)
        let y = d.forward(x, training: true)
        let zeros = y.array.filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeros) / 10_000, 0.5, accuracy: 0.03)
        XCTAssertTrue(y.array.allSatisfy { $0 == 0 || $0 == 2 })
    }
}
