// Self-blended pseudo-fakes (SelfBlend.swift) on the built-in generator's rendered faces: the
// kernels against their definitions, the draw's probability and label rule, and the assembler's
// labels and determinism across ranks.

import Core
import Foundation
import ImageIO
import XCTest
@testable import Datasets

final class SelfBlendTests: XCTestCase {
    static let size = 32

    func face(_ i: Int = 0, fake: Bool = false) -> [UInt8] { FaceRenderer.render(seed: 7, index: i, fake: fake, size: Self.size) }

    /// `n` rendered faces, alternately real (even) and fake (odd), as PreparedData.
    func faces(_ n: Int = 8) -> PreparedData {
        let images = (0..<n).flatMap { face($0, fake: $0 % 2 == 1) }
        return PreparedData(images: images, labels: (0..<n).map { Int32($0 % 2) }, paths: (0..<n).map { "f\($0)" },
                            datasetNames: Array(repeating: "x", count: n), officialSplits: Array(repeating: 0, count: n),
                            height: Self.size, width: Self.size, channels: 3)
    }

    func testBlendMixesByTheMaskAndKeepsTheTargetWhereItIsZero() {
        let target: [UInt8] = [10, 20, 30, 200, 100, 0], source: [UInt8] = [110, 220, 30, 0, 0, 255]
        // Pixel 0 fully the copy at ratio 1; pixel 1 outside the mask.
        XCTAssertEqual(SelfBlendKernels.blend(target, source, mask: [1, 0], ratio: 1, channels: 3), [110, 220, 30, 200, 100, 0])
        // Ratio 0.5 at mask 1: the mean, rounded half away from zero; mask 0.5 at ratio 1 the same.
        XCTAssertEqual(SelfBlendKernels.blend(target, source, mask: [1, 0.5], ratio: 0.5, channels: 3), [60, 120, 30, 150, 75, 64])
        XCTAssertEqual(SelfBlendKernels.blend(target, source, mask: [0.5, 0.5], ratio: 1, channels: 3), [60, 120, 30, 100, 50, 128])
    }

    func testEllipseMaskIsOneInsideZeroFarOutsideAndHalfOnTheBoundary() {
        let m = SelfBlendKernels.ellipseMask(height: 33, width: 33, centreY: 16, centreX: 16, radiusY: 8, radiusX: 12, edge: 0.2)
        XCTAssertGreaterThan(m[16 * 33 + 16], 0.999)
        XCTAssertEqual(m[0], 0, "a corner is exactly outside")
        XCTAssertEqual(m[16 * 33 + 16 + 12], 0.5, accuracy: 1e-12, "on the boundary along x")
        XCTAssertEqual(m[(16 + 8) * 33 + 16], 0.5, accuracy: 1e-12, "on the boundary along y")
        // The ramp: 0.95 at normalised radius 0.9 and 0.05 at 1.1 (edge 0.2); 10 of 12 pixels out is 5/6.
        XCTAssertEqual(1 / (1 + exp(2 * log(19.0) / 0.2 * (-0.1))), 0.95, accuracy: 1e-12)
        XCTAssertEqual(m[16 * 33 + 16 + 10], 1 / (1 + exp(2 * log(19.0) / 0.2 * (10.0 / 12 - 1))), accuracy: 1e-12)
        XCTAssertGreaterThan(m[16 * 33 + 16 + 10], 0.95)
        XCTAssertTrue(m.allSatisfy { (0...1).contains($0) })
    }

    func testScaleShiftMovesContentAndIsIdentityAtScaleOneWithoutShift() {
        let img = face()
        XCTAssertEqual(SelfBlendKernels.scaleShift(img, height: 32, width: 32, channels: 3, scale: 1, shiftY: 0, shiftX: 0), img)
        // A whole-pixel shift right by 2: output column x reads input column x - 2 (edges repeated).
        let shifted = SelfBlendKernels.scaleShift(img, height: 32, width: 32, channels: 3, scale: 1, shiftY: 0, shiftX: 2)
        for y in 0..<32 { for x in 0..<32 { for c in 0..<3 {
            XCTAssertEqual(shifted[(y * 32 + x) * 3 + c], img[(y * 32 + max(0, x - 2)) * 3 + c])
        } } }
        // Scaling keeps the centre's neighbourhood and changes the rest.
        XCTAssertNotEqual(SelfBlendKernels.scaleShift(img, height: 32, width: 32, channels: 3, scale: 1.1, shiftY: 0, shiftX: 0), img)
    }

    func testColourShiftAndSharpenFollowTheirDefinitions() {
        XCTAssertEqual(SelfBlendKernels.colourShift([100, 100, 100, 250, 0, 10], channels: 3, gains: [1.1, 0.9, 1], offset: -5),
                       [105, 85, 95, 255, 0, 5])
        let img = face()
        // Sharpening raises the high-frequency energy; amount 0 is the identity.
        XCTAssertEqual(SelfBlendKernels.sharpen(img, height: 32, width: 32, channels: 3, sigma: 1, amount: 0), img)
        func energy(_ p: [UInt8]) -> Double {
            var e = 0.0
            for y in 0..<32 { for x in 0..<31 { for c in 0..<3 {
                let d = Double(p[(y * 32 + x) * 3 + c]) - Double(p[(y * 32 + x + 1) * 3 + c]); e += d * d
            } } }
            return e
        }
        XCTAssertGreaterThan(energy(SelfBlendKernels.sharpen(img, height: 32, width: 32, channels: 3, sigma: 1, amount: 1)), energy(img))
    }

    func testDrawTouchesOnlyRealImagesAtItsProbabilityWithinItsRanges() throws {
        var applied = 0
        for i in 0..<2000 {
            var r = SeededRNG(seed: 3, stream: "augment-blend", index: UInt64(i))
            var f = r
            XCTAssertNil(SelfBlendDraw.draw(SelfBlendPolicy(probability: 1), label: 1, rng: &f), "a fake image is never blended")
            guard let d = SelfBlendDraw.draw(SelfBlendPolicy(probability: 0.3), label: 0, rng: &r) else { continue }
            applied += 1
            XCTAssertTrue((0.4...0.6).contains(d.centreY) && (0.4...0.6).contains(d.centreX))
            XCTAssertTrue((0.15...0.4).contains(d.radiusY) && (0.12...0.35).contains(d.radiusX))
            XCTAssertTrue([0.5, 0.75, 1].contains(d.ratio) && (0.94...1.06).contains(d.scale))
            XCTAssertFalse(d.blurSigma > 0 && d.sharpenAmount > 0, "blurred or sharpened, not both")
        }
        XCTAssertEqual(Double(applied) / 2000, 0.3, accuracy: 0.04)
        var r = SeededRNG(seed: 3, stream: "augment-blend", index: 0)
        XCTAssertNil(SelfBlendDraw.draw(.none, label: 0, rng: &r))
    }

    func testABlendedFaceChangesInsideTheRegionOnly() throws {
        let img = face(2)
        var d = SelfBlendDraw()
        d.centreY = 0.5; d.centreX = 0.5; d.radiusY = 0.25; d.radiusX = 0.2; d.edge = 0.1; d.ratio = 1
        d.gains = [1.1, 0.9, 1.05]; d.offset = 6; d.shiftX = 0.03
        let out = d.apply(img, height: 32, width: 32, channels: 3)
        let mask = SelfBlendKernels.ellipseMask(height: 32, width: 32, centreY: 15.5, centreX: 15.5, radiusY: 8, radiusX: 6.4, edge: 0.1)
        var inside = 0
        for p in 0..<(32 * 32) {
            let same = (0..<3).allSatisfy { out[p * 3 + $0] == img[p * 3 + $0] }
            if mask[p] == 0 { XCTAssertTrue(same, "pixel \(p) lies outside the region") }
            if mask[p] > 0.99 && !same { inside += 1 }
        }
        XCTAssertGreaterThan(inside, 80, "the region's pixels come from the altered copy")
    }

    func testGreyImagesBlendWithTheirOneChannel() throws {
        let grey = try Image(width: 32, height: 32, channels: 3, pixels: face(4)).converted(toChannels: 1).pixels
        var d = SelfBlendDraw()
        d.gains = [1.15, 0.5, 0.5]; d.offset = 4; d.blurSigma = 1
        let out = d.apply(grey, height: 32, width: 32, channels: 1)
        XCTAssertEqual(out.count, grey.count)
        XCTAssertEqual(out[0], grey[0], "a corner lies outside the region")
        XCTAssertNotEqual(out[16 * 32 + 16], grey[16 * 32 + 16], "the centre comes from the brightened copy")
        // The copy's one channel takes gain[0]: where the mask is 1 the output is the copy.
        let copy = SelfBlendKernels.colourShift(RobustnessKernels.gaussianBlur(grey, height: 32, width: 32, channels: 1, sigma: 0.5),
                                                channels: 1, gains: d.gains, offset: d.offset)
        XCTAssertEqual(out[16 * 32 + 16], copy[16 * 32 + 16])
    }

    func testAssemblerRelabelsBlendedRealsAndDrawsTheSameOnEveryRank() {
        let d = faces()
        let policy = AugmentationPolicy(horizontalFlip: 0.5, selfBlend: SelfBlendPolicy(probability: 0.5))
        let rank0 = BatchAssembler(seed: 9, augmentation: policy, channels: 3), rank1 = BatchAssembler(seed: 9, augmentation: policy, channels: 3)
        let a = Tensor(zeros: [1]), b = Tensor(zeros: [1]), plain = Tensor(zeros: [1])
        let la = rank0.assemble(d, indices: Array(0..<8), into: a, training: true, epoch: 1)
        let lb = rank1.assemble(d, indices: [6, 3, 0], into: b, training: true, epoch: 1)
        let per = 3 * 32 * 32
        for (slot, idx) in [6, 3, 0].enumerated() {
            XCTAssertEqual(Array(b.array[slot * per..<(slot + 1) * per]), Array(a.array[idx * per..<(idx + 1) * per]), "image \(idx)")
            XCTAssertEqual(lb[slot], la[idx])
        }
        // Fakes stay fake; some real image became fake in this epoch, and only where it changed.
        let flipsOnly = BatchAssembler(seed: 9, augmentation: AugmentationPolicy(horizontalFlip: 0.5), channels: 3)
        let lp = flipsOnly.assemble(d, indices: Array(0..<8), into: plain, training: true, epoch: 1)
        XCTAssertEqual(lp, d.labels)
        for i in 0..<8 {
            let changed = Array(a.array[i * per..<(i + 1) * per]) != Array(plain.array[i * per..<(i + 1) * per])
            if i % 2 == 1 { XCTAssertEqual(la[i], 1); XCTAssertFalse(changed, "fake image \(i) is not blended") }
            else { XCTAssertEqual(la[i] == 1, changed, "real image \(i): relabelled exactly when blended") }
        }
        XCTAssertTrue((0..<8).contains { $0 % 2 == 0 && la[$0] == 1 }, "at p = 0.5 some of 4 reals is blended (seed 9, epoch 1)")
        // Evaluation batches keep every image and label.
        let le = rank0.assemble(d, indices: Array(0..<8), into: b, training: false)
        XCTAssertEqual(le, d.labels)
    }
}
