// The eval-mode tile pipeline (FoldedConvTiles.swift): which plan a shape gets, the tiled
// convolution against the naive reference (row bands of one sample, multi-sample tiles, 1x1,
// strides, padding, one and two threads), a residual block run in tiles against the network's own
// eval forward, and values-only max pooling against the training-path pooling.

import XCTest
import Core
@testable import NN

final class FoldedConvTilesTests: XCTestCase {
    /// Winograd off unless asked: the im2col tiles are what most of these tests check.
    private func context(threads: Int, tile: Int, minColumns: Int, winograd: Bool = false, largeTiles: Bool = true,
                         maxColumnElements: Int = 1 << 24) -> NNContext {
        NNContext(threads: Threads(threads), conv: ConvSettings(maxColumnElements: maxColumnElements, tileColumnFloats: tile, minTileColumns: minColumns,
                                                                winogradInference: winograd, winogradMinChannels: 1,
                                                                winogradInferenceLargeTiles: largeTiles))
    }

    func testTilePlans() {
        let s = ConvSettings(tileColumnFloats: 1 << 17, minTileColumns: 256)
        // layer1 at 64 px: 32 samples of 32x32, K = 576: bands of 227 columns -> 256 columns = 8 rows.
        XCTAssertEqual(ConvTilePlan.make(n: 32, oh: 32, ow: 32, k: 576, workers: 2, settings: s),
                       ConvTilePlan(samplesPerTile: 1, rowsPerTile: 8, bandsPerSample: 4, tileCount: 128))
        // layer3 at 64 px: 8x8 outputs, four samples per tile, eight tiles.
        XCTAssertEqual(ConvTilePlan.make(n: 32, oh: 8, ow: 8, k: 2304, workers: 2, settings: s),
                       ConvTilePlan(samplesPerTile: 4, rowsPerTile: 8, bandsPerSample: 1, tileCount: 8))
        // layer4 at 64 px: 4x4 outputs give two tiles, too few for two workers: the batched path.
        XCTAssertNil(ConvTilePlan.make(n: 32, oh: 4, ow: 4, k: 4608, workers: 2, settings: s))
        // One worker never needs balancing.
        XCTAssertEqual(ConvTilePlan.make(n: 32, oh: 4, ow: 4, k: 4608, workers: 1, settings: s)?.tileCount, 2)
    }

    /// The folded convolution (no BatchNorm) of a random input against `referenceConv2d`.
    private func checkAgainstReference(inC: Int, outC: Int, kernel: Int, stride: Int, padding: Int, n: Int, h: Int, w: Int,
                                       context: NNContext, expectTiles: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let conv = Conv2d(inC, outC, kernel: kernel, stride: stride, padding: padding, bias: true)
        let net = Network(conv, seed: 7, context: context)
        let (oh, ow) = conv.outputSize(h, w)
        if !context.conv.winogradInference {
            let plan = ConvTilePlan.make(n: n, oh: oh, ow: ow, k: conv.k, workers: context.threads.count, settings: context.conv)
            XCTAssertEqual(plan != nil, expectTiles, "tile path chosen", file: file, line: line)
        }
        let x = randomTensor([n, inC, h, w], seed: 3)
        let y = FoldedInference(net).forward(x)
        let ref = referenceConv2d(x: x.array, n: n, c: inC, h: h, w: w, weight: Array(net.values(named: "weight")!),
                                  bias: Array(net.values(named: "bias")!), outChannels: outC, kernel: (kernel, kernel),
                                  stride: (stride, stride), padding: (padding, padding))
        XCTAssertEqual(y.shape, [n, outC, ref.oh, ref.ow], file: file, line: line)
        var worst: Float = 0
        for i in 0..<y.count { worst = max(worst, abs(y[i] - ref.values[i])) }
        XCTAssertLessThanOrEqual(worst, 1e-4, file: file, line: line)
    }

    func testRowBandTilesMatchTheReference() {
        // 40 columns of K = 27 per tile: 13x11 outputs in bands of 3 rows (the last one shorter).
        let ctx = context(threads: 2, tile: 27 * 40, minColumns: 16)
        checkAgainstReference(inC: 3, outC: 5, kernel: 3, stride: 1, padding: 1, n: 3, h: 13, w: 11, context: ctx, expectTiles: true)
        checkAgainstReference(inC: 3, outC: 4, kernel: 7, stride: 2, padding: 3, n: 2, h: 17, w: 20, context: ctx, expectTiles: true)
        checkAgainstReference(inC: 2, outC: 3, kernel: 3, stride: 2, padding: 0, n: 3, h: 12, w: 9,
                              context: context(threads: 1, tile: 18 * 4, minColumns: 4), expectTiles: true)
    }

    func testPointwiseBandTilesReadTheInputDirectly() {
        checkAgainstReference(inC: 6, outC: 4, kernel: 1, stride: 1, padding: 0, n: 3, h: 9, w: 7,
                              context: context(threads: 2, tile: 6 * 16, minColumns: 16), expectTiles: true)
    }

    func testMultiSampleTilesMatchTheReference() {
        // 4x4 outputs and at least 40 columns per tile: three samples per tile, 7 samples -> 3 tiles
        // (the last with one sample), enough for one worker and (at >= 2 per worker) not for two.
        let one = context(threads: 1, tile: 1, minColumns: 40)
        checkAgainstReference(inC: 4, outC: 6, kernel: 3, stride: 2, padding: 1, n: 7, h: 8, w: 8, context: one, expectTiles: true)
        let two = context(threads: 2, tile: 1, minColumns: 32)  // two samples per tile, 4 tiles
        checkAgainstReference(inC: 4, outC: 6, kernel: 3, stride: 2, padding: 1, n: 7, h: 8, w: 8, context: two, expectTiles: true)
        checkAgainstReference(inC: 4, outC: 6, kernel: 3, stride: 2, padding: 1, n: 7, h: 8, w: 8,
                              context: context(threads: 2, tile: 1, minColumns: 48), expectTiles: false)
    }

    func testWinogradMatchesTheReference() {
        // Odd and even sizes (partial tiles at the right and bottom edges), a 1x1 image (the
        // im2col fallback), one and two threads, both tiles: with large tiles on, 7x6, 8x8, 13x11
        // and 5x37 (two 8-tile runs per row, the second partial) take F(4x4) and 2x9 keeps F(2x2).
        for largeTiles in [false, true] {
            for (threads, minColumns) in [(2, 4), (1, 8), (2, 256)] {
                let ctx = context(threads: threads, tile: 1, minColumns: minColumns, winograd: true, largeTiles: largeTiles)
                checkAgainstReference(inC: 3, outC: 5, kernel: 3, stride: 1, padding: 1, n: 3, h: 7, w: 6, context: ctx, expectTiles: true)
                checkAgainstReference(inC: 4, outC: 2, kernel: 3, stride: 1, padding: 1, n: 2, h: 2, w: 9, context: ctx, expectTiles: true)
                checkAgainstReference(inC: 2, outC: 3, kernel: 3, stride: 1, padding: 1, n: 4, h: 1, w: 1, context: ctx, expectTiles: true)
                checkAgainstReference(inC: 16, outC: 8, kernel: 3, stride: 1, padding: 1, n: 5, h: 8, w: 8, context: ctx, expectTiles: true)
                checkAgainstReference(inC: 5, outC: 9, kernel: 3, stride: 1, padding: 1, n: 2, h: 13, w: 11, context: ctx, expectTiles: true)
                checkAgainstReference(inC: 3, outC: 4, kernel: 3, stride: 1, padding: 1, n: 2, h: 5, w: 37, context: ctx, expectTiles: true)
            }
            // Chunks of two samples (the last of one): each chunk's buffers start at its own first tile.
            checkAgainstReference(inC: 8, outC: 6, kernel: 3, stride: 1, padding: 1, n: 3, h: 9, w: 10,
                                  context: context(threads: 2, tile: 1, minColumns: 4, winograd: true, largeTiles: largeTiles,
                                                   maxColumnElements: 36 * 8 * 9 * 10 / 4),
                                  expectTiles: true)
        }
    }

    func testEvalWinogradTileIsTheOneWithFewerProducts() {
        // F(4x4) where its padded 6x6 windows take fewer products than F(2x2)'s 4x4 ones.
        for (h, w, expected) in [(2, 2, WinogradTile.f2), (2, 9, .f2), (3, 3, .f4), (4, 4, .f4), (6, 6, .f2), (7, 7, .f4),
                                 (8, 8, .f4), (32, 32, .f4), (56, 56, .f4)] {
            XCTAssertEqual(WinogradTile.forInference(h: h, w: w, largeTiles: true), expected, "\(h)x\(w)")
            XCTAssertEqual(WinogradTile.forInference(h: h, w: w, largeTiles: false), .f2, "\(h)x\(w) without large tiles")
        }
        XCTAssertEqual(WinogradTile.f4.products(h: 8, w: 8), 144)
        XCTAssertEqual(WinogradTile.f2.products(h: 8, w: 8), 256)
    }

    func testWinogradIsOnlyUsedFromTheChannelThreshold() {
        // Below `winogradMinChannels` the im2col tiles run; both must give the same output.
        func plan(minChannels: Int) -> FoldedInference {
            FoldedInference(Network(Conv2d(4, 3, kernel: 3, padding: 1), seed: 2,
                                    context: NNContext(threads: Threads(2), conv: ConvSettings(winogradMinChannels: minChannels))))
        }
        let narrow = plan(minChannels: 5), wide = plan(minChannels: 4)
        XCTAssertEqual(narrow.winogradCount, 0)
        XCTAssertEqual(wide.winogradCount, 1)
        let x = randomTensor([2, 4, 6, 6], seed: 8)
        let a = narrow.forward(x).copy(), b = wide.forward(x)
        for i in 0..<a.count { XCTAssertEqual(b[i], a[i], accuracy: 1e-5, "element \(i)") }
    }

    func testWinogradWeightTransformOfADeltaKernel() {
        // g = delta at the centre: U = G g G^T is the outer product of G's middle column (0, 1/2, -1/2, 0).
        var g = [Float](repeating: 0, count: 9)
        g[4] = 1
        let stride = winogradWeightStride(outChannels: 1, inChannels: 1)
        var u = [Float](repeating: 0, count: 16 * stride)
        winogradWeights(g, outChannels: 1, inChannels: 1, into: &u)
        let col: [Float] = [0, 0.5, -0.5, 0]
        for i in 0..<4 { for k in 0..<4 { XCTAssertEqual(u[(i * 4 + k) * stride], col[i] * col[k], "U[\(i), \(k)]") } }
        // F(4x4): G's middle column is (0, -1/6, 1/6, 1/12, -1/12, 0).
        var u4 = [Float](repeating: 0, count: 36 * stride)
        winogradWeights(g, outChannels: 1, inChannels: 1, tile: .f4, into: &u4)
        let col4: [Double] = [0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0]
        for i in 0..<6 { for k in 0..<6 { XCTAssertEqual(u4[(i * 6 + k) * stride], Float(col4[i] * col4[k]), "F(4x4) U[\(i), \(k)]") } }
    }

    func testLargeWinogradTilesAgreeWithTheSmallOnesAtResNetWidth() {
        // 64 channels of unit-scale values at 8x8 (layer3 at 64 px): the two tiles round
        // differently, within what a float eval forward may differ by.
        let x = randomTensor([4, 64, 8, 8], seed: 9)
        func run(_ largeTiles: Bool) -> [Float] {
            FoldedInference(Network(Conv2d(64, 64, kernel: 3, padding: 1, bias: true), seed: 3, context: context(threads: 2, tile: 1, minColumns: 8, winograd: true, largeTiles: largeTiles))).forward(x).array
        }
        let small = run(false), large = run(true)
        var worst: Float = 0, scale: Float = 0
        for i in 0..<small.count { worst = max(worst, abs(large[i] - small[i])); scale = max(scale, abs(small[i])) }
        XCTAssertGreaterThan(scale, 0.1)
        XCTAssertLessThanOrEqual(worst, 1e-5 * max(1, scale), "largest |F(4x4) - F(2x2)| \(worst) at output scale \(scale)")
    }

    func testResidualBlocksInTilesMatchTheNetworksEvalForward() {
        // Row bands (conv1, b1) and multi-sample tiles (b2 at 4x5) without Winograd, and Winograd
        // (every 3x3 stride-1 convolution): folded BatchNorm, fused ReLU and the residual add in
        // the output pass, against the unfolded eval forward.
        for (tile, minColumns, winograd) in [(64, 8, false), (1, 24, false), (1, 8, true)] {
            let root = Sequential([("conv1", Conv2d(3, 8, kernel: 3, padding: 1, bias: false)), ("bn1", BatchNorm(8, fusedReLU: true)),
                                   ("pool", MaxPool2d(kernel: 3, stride: 2, padding: 1)),
                                   ("b1", BasicBlock(8, 8)), ("b2", BasicBlock(8, 16, stride: 2)),
                                   ("avg", GlobalAvgPool()), ("fc", Linear(16, 3))])
            let net = Network(root, seed: 5, context: context(threads: 2, tile: tile, minColumns: minColumns, winograd: winograd))
            let shape = [8, 3, 16, 18]
            for k in 0..<3 { _ = net.forward(randomTensor(shape, seed: 20 + UInt64(k), scale: 2), training: true) }
            var rng = SeededRNG(seed: 4)
            for e in net.entries where e.name.contains("bn") && (e.name.hasSuffix("weight") || e.name.hasSuffix("bias")) {
                let v = net.values(named: e.name)!
                for i in 0..<v.count { v[i] = e.name.hasSuffix("weight") ? Float(0.5 + rng.uniform()) : Float(rng.normal() * 0.3) }
            }
            let x = randomTensor(shape, seed: 13)
            let plain = net.forward(x, training: false).copy()
            let folded = FoldedInference(net).forward(x)
            XCTAssertEqual(folded.shape, plain.shape)
            for i in 0..<plain.count {
                XCTAssertEqual(folded[i], plain[i], accuracy: 1e-4 * max(1, abs(plain[i])), "tile \(tile), element \(i)")
            }
        }
    }

    func testValuesOnlyMaxPoolMatchesTheTrainingPool() {
        for (k, s, p, h, w) in [(3, 2, 1, 9, 12), (2, 2, 0, 8, 7), (3, 1, 1, 5, 6), (3, 3, 0, 10, 11)] {
            let pool = MaxPool2d(kernel: k, stride: s, padding: p)
            let net = Network(pool, seed: 1, context: twoThreads)
            let x = randomTensor([3, 4, h, w], seed: UInt64(h * w))
            let want = net.forward(x, training: true).copy()
            let got = Tensor(zeros: [0])
            pool.forwardValues(x, into: got)
            XCTAssertEqual(got.shape, want.shape)
            XCTAssertEqual(got.array, want.array, "kernel \(k) stride \(s) padding \(p) on \(h)x\(w)")
        }
    }
}
