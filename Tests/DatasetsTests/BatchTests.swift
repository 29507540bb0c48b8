// Batch assembly: NHWC uint8 -> normalised NCHW float, augmentation for training only.

import Core
import Foundation
import XCTest
@testable import Datasets

final class BatchTests: XCTestCase {
    /// 4 images 4x5x3 with distinct pixel values.
    func sample(channels: Int = 3, h: Int = 4, w: Int = 5) -> PreparedData {
        let n = 4
        let images = (0..<(n * h * w * channels)).map { UInt8(($0 * 7) % 256) }
        return PreparedData(images: images, labels: [0, 1, 1, 0], paths: ["a", "b", "c", "d"], datasetNames: Array(repeating: "x", count: n),
                            officialSplits: Array(repeating: 0, count: n), height: h, width: w, channels: channels)
    }

    func testNormalisationValues() {
        let n3 = Normalisation.imageNet(channels: 3)
        XCTAssertEqual(n3.mean, [0.485, 0.456, 0.406]); XCTAssertEqual(n3.std, [0.229, 0.224, 0.225])
        let n1 = Normalisation.imageNet(channels: 1)
        XCTAssertEqual(n1.mean[0], 0.449, accuracy: 1e-6); XCTAssertEqual(n1.std[0], 0.226, accuracy: 1e-6)
        let d = sample()
        let t = Tensor(zeros: [1])
        let labels = BatchAssembler(seed: 1, augmentation: .none, channels: 3).assemble(d, indices: [2, 0], into: t, training: true)
        XCTAssertEqual(t.shape, [2, 3, 4, 5]); XCTAssertEqual(labels, [1, 0])
        // Element (b=0 -> image 2, c, y, x) against the formula.
        for c in 0..<3 { for y in 0..<4 { for x in 0..<5 {
            let raw = Float(d.images[((2 * 4 + y) * 5 + x) * 3 + c])
            XCTAssertEqual(t[((0 * 3 + c) * 4 + y) * 5 + x], (raw / 255 - n3.mean[c]) / n3.std[c], accuracy: 1e-5)
        } } }
        let g = sample(channels: 1)
        BatchAssembler(seed: 1, channels: 1).assemble(g, indices: [1], into: t, training: false)
        XCTAssertEqual(t[7], (Float(g.images[20 + 7]) / 255 - 0.449) / 0.226, accuracy: 1e-5)
    }

    func testNoAugmentationOutsideTraining() {
        let d = sample()
        let always = BatchAssembler(seed: 3, augmentation: AugmentationPolicy(horizontalFlip: 1, verticalFlip: 1, rotation: .small(maxDegrees: 20)), channels: 3)
        let plain = BatchAssembler(seed: 3, augmentation: .none, channels: 3)
        let a = Tensor(zeros: [1]), b = Tensor(zeros: [1])
        always.assemble(d, indices: [0, 1, 2, 3], into: a, training: false, epoch: 5)
        plain.assemble(d, indices: [0, 1, 2, 3], into: b, training: false)
        XCTAssertEqual(a.array, b.array)
        always.assemble(d, indices: [0, 1, 2, 3], into: a, training: true, epoch: 5)
        XCTAssertNotEqual(a.array, b.array)
    }

    func testHorizontalFlipIsExactMirror() {
        let d = sample()
        let flip = BatchAssembler(seed: 3, augmentation: AugmentationPolicy(horizontalFlip: 1), channels: 3)
        let a = Tensor(zeros: [1]), b = Tensor(zeros: [1])
        flip.assemble(d, indices: [1], into: a, training: true)
        BatchAssembler(seed: 3, augmentation: .none, channels: 3).assemble(d, indices: [1], into: b, training: true)
        for c in 0..<3 { for y in 0..<4 { for x in 0..<5 {
            XCTAssertEqual(a[(c * 4 + y) * 5 + x], b[(c * 4 + y) * 5 + (4 - x)])
        } } }
    }

    func testQuarterTurnsPermutePixels() {
        let d = sample(h: 5, w: 5)
        let rot = BatchAssembler(seed: 11, augmentation: AugmentationPolicy(horizontalFlip: 0, rotation: .quarterTurns), channels: 3)
        let a = Tensor(zeros: [1]), b = Tensor(zeros: [1])
        BatchAssembler(seed: 0, augmentation: .none, channels: 3).assemble(d, indices: [0, 1, 2, 3], into: b, training: true)
        var turned = 0
        for epoch in 0..<4 {
            rot.assemble(d, indices: [0, 1, 2, 3], into: a, training: true, epoch: epoch)
            for i in 0..<4 {  // same multiset of values per image and channel
                let sa = Array(a.array[(i * 75)..<(i * 75 + 75)]), sb = Array(b.array[(i * 75)..<(i * 75 + 75)])
                XCTAssertEqual(sa.sorted(), sb.sorted())
                if sa != sb { turned += 1 }
            }
        }
        XCTAssertGreaterThan(turned, 0)
    }

    func testAugmentationDeterministicPerSeedAndEpoch() {
        let d = sample()
        let aug = AugmentationPolicy(horizontalFlip: 0.5, verticalFlip: 0.5, rotation: .small(maxDegrees: 15))
        func run(_ seed: UInt64, _ epoch: Int, _ idx: [Int]) -> [Float] {
            let t = Tensor(zeros: [1])
            BatchAssembler(seed: seed, augmentation: aug, channels: 3).assemble(d, indices: idx, into: t, training: true, epoch: epoch)
            return t.array
        }
        XCTAssertEqual(run(9, 2, [0, 1, 2, 3]), run(9, 2, [0, 1, 2, 3]))
        XCTAssertNotEqual(run(9, 2, [0, 1, 2, 3]), run(9, 3, [0, 1, 2, 3]))
        XCTAssertNotEqual(run(9, 2, [0, 1, 2, 3]), run(10, 2, [0, 1, 2, 3]))
        // Per image, independent of batch composition (so ranks and batch sizes agree).
        XCTAssertEqual(Array(run(9, 2, [0, 1, 2, 3])[60..<120]), run(9, 2, [1]))
    }

    func testHorizontalFlipRateNearHalf() {
        let d = sample()
        let a = Tensor(zeros: [1]), b = Tensor(zeros: [1])
        BatchAssembler(seed: 0, augmentation: .none, channels: 3).assemble(d, indices: [0], into: b, training: true)
        var flipped = 0
        for epoch in 0..<400 {
            BatchAssembler(seed: 4, channels: 3).assemble(d, indices: [0], into: a, training: true, epoch: epoch)
            if a.array != b.array { flipped += 1 }
        }
        XCTAssertEqual(Double(flipped) / 400, 0.5, accuracy: 0.08)
    }
}
