// Robustness augmentations (Augmentations.swift) on real images: the built-in generator's faces
// (textured skin, sharp edges), checked against libjpeg directly and against their definitions.

import Core
import Foundation
import ImageIO
import XCTest
@testable import Datasets

final class AugmentationTests: XCTestCase {
    static let size = 32

    /// `n` rendered 32x32 RGB faces, alternately real and fake, as PreparedData.
    func faces(_ n: Int = 6, channels: Int = 3) throws -> PreparedData {
        var images: [UInt8] = []
        for i in 0..<n {
            let rgb = FaceRenderer.render(seed: 7, index: i, fake: i % 2 == 1, size: Self.size)
            images += try Image(width: Self.size, height: Self.size, channels: 3, pixels: rgb).converted(toChannels: channels).pixels
        }
        return PreparedData(images: images, labels: (0..<n).map { Int32($0 % 2) }, paths: (0..<n).map { "f\($0)" },
                            datasetNames: Array(repeating: "x", count: n), officialSplits: Array(repeating: 0, count: n),
                            height: Self.size, width: Self.size, channels: channels)
    }

    func face(_ i: Int = 0) -> [UInt8] { FaceRenderer.render(seed: 7, index: i, fake: false, size: Self.size) }

    /// Sum of squared differences between horizontal and vertical neighbours: high-frequency energy.
    func highFrequencyEnergy(_ p: [UInt8], channels C: Int = 3) -> Double {
        let n = Self.size
        var e = 0.0
        for y in 0..<n { for x in 0..<n { for c in 0..<C {
            let v = Double(p[(y * n + x) * C + c])
            if x + 1 < n { let d = v - Double(p[(y * n + x + 1) * C + c]); e += d * d }
            if y + 1 < n { let d = v - Double(p[((y + 1) * n + x) * C + c]); e += d * d }
        } } }
        return e
    }

    func testJPEGIsARealLibjpegRoundTrip() throws {
        let img = face()
        for q in [30, 75, 100] {
            let ours = RobustnessKernels.jpeg(img, height: 32, width: 32, channels: 3, quality: q)
            let bytes = try ImageEncoder.jpeg(Image(width: 32, height: 32, channels: 3, pixels: img), quality: q)
            let direct = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0, channels: 3) }
            XCTAssertEqual(ours, direct.pixels, "quality \(q)")
            XCTAssertNotEqual(ours, img, "a JPEG round trip at quality \(q) changes a textured face")
        }
        // Lower quality loses more: the error against the original grows as quality falls.
        func err(_ q: Int) -> Int {
            zip(RobustnessKernels.jpeg(img, height: 32, width: 32, channels: 3, quality: q), img).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        }
        XCTAssertGreaterThan(err(30), err(95))
        // Grey images go through the same codec with one channel.
        let grey = try Image(width: 32, height: 32, channels: 3, pixels: img).converted(toChannels: 1)
        let g = RobustnessKernels.jpeg(grey.pixels, height: 32, width: 32, channels: 1, quality: 50)
        let gb = try ImageEncoder.jpeg(grey, quality: 50)
        XCTAssertEqual(g, try gb.withUnsafeBufferPointer { try ImageDecoder.decode($0, channels: 1) }.pixels)
    }

    func testBlurOfSigmaZeroIsIdentityAndBlurRemovesHighFrequencies() {
        let img = face(1)
        XCTAssertEqual(RobustnessKernels.gaussianBlur(img, height: 32, width: 32, channels: 3, sigma: 0), img)
        let e0 = highFrequencyEnergy(img)
        let e1 = highFrequencyEnergy(RobustnessKernels.gaussianBlur(img, height: 32, width: 32, channels: 3, sigma: 1))
        let e3 = highFrequencyEnergy(RobustnessKernels.gaussianBlur(img, height: 32, width: 32, channels: 3, sigma: 3))
        XCTAssertLessThan(e1, 0.7 * e0); XCTAssertLessThan(e3, e1)
        // A constant image stays constant (the kernel sums to 1, reflected edges add no dark border).
        let flat = [UInt8](repeating: 137, count: 32 * 32 * 3)
        XCTAssertEqual(RobustnessKernels.gaussianBlur(flat, height: 32, width: 32, channels: 3, sigma: 2.5), flat)
    }

    func testCropAndResampleKeepShapeAndChangeContent() {
        let img = face(2)
        let whole = RobustnessKernels.resizedCrop(img, height: 32, width: 32, channels: 3, y: 0, x: 0, cropHeight: 32, cropWidth: 32)
        XCTAssertEqual(whole, img, "a crop of the whole image resized to its own size is the identity")
        let crop = RobustnessKernels.resizedCrop(img, height: 32, width: 32, channels: 3, y: 4, x: 6, cropHeight: 20, cropWidth: 24)
        XCTAssertEqual(crop.count, img.count); XCTAssertNotEqual(crop, img)
        // The crop's top-left output pixel comes from the box's top-left source area.
        XCTAssertEqual(Double(crop[0]), Double(img[(4 * 32 + 6) * 3]), accuracy: 40)
        let du = RobustnessKernels.downUp(img, height: 32, width: 32, channels: 3, factor: 0.25)
        XCTAssertEqual(du.count, img.count)
        XCTAssertLessThan(highFrequencyEnergy(du), highFrequencyEnergy(img))
        XCTAssertEqual(RobustnessKernels.downUp(img, height: 32, width: 32, channels: 3, factor: 1), img)
    }

    func testColourJitterFollowsItsDefinition() {
        let img = face(3)
        XCTAssertEqual(RobustnessKernels.colourJitter(img, channels: 3, brightness: 1, contrast: 1, saturation: 1), img)
        let dark = RobustnessKernels.colourJitter(img, channels: 3, brightness: 0.5, contrast: 1, saturation: 1)
        for i in stride(from: 0, to: img.count, by: 97) { XCTAssertEqual(Int(dark[i]), Int((Double(img[i]) * 0.5).rounded()), accuracy: 1) }
        // Saturation 0 makes every pixel grey (R = G = B).
        let grey = RobustnessKernels.colourJitter(img, channels: 3, brightness: 1, contrast: 1, saturation: 0)
        for p in stride(from: 0, to: grey.count, by: 3) { XCTAssertEqual(grey[p], grey[p + 1]); XCTAssertEqual(grey[p], grey[p + 2]) }
        // Contrast 0 makes every pixel the mean grey level.
        let flat = RobustnessKernels.colourJitter(img, channels: 3, brightness: 1, contrast: 0, saturation: 1)
        XCTAssertEqual(Set(flat).count, 1)
    }

    func testDrawsAreSameAcrossRanksNewEachEpochAndTrainingOnly() throws {
        let d = try faces()
        var all = RobustnessPolicy()
        all.blurProbability = 0.5; all.jpegProbability = 0.5; all.cropProbability = 0.5
        all.resampleProbability = 0.5; all.colourProbability = 0.5
        let policy = AugmentationPolicy(horizontalFlip: 0, robustness: all)
        // Two assemblers = two ranks; rank 1 gets the images in another order and batching.
        let rank0 = BatchAssembler(seed: 5, augmentation: policy, channels: 3)
        let rank1 = BatchAssembler(seed: 5, augmentation: policy, channels: 3)
        let a = Tensor(zeros: [1]), b = Tensor(zeros: [1]), plain = Tensor(zeros: [1])
        rank0.assemble(d, indices: [0, 1, 2, 3, 4, 5], into: a, training: true, epoch: 2)
        let per = 3 * 32 * 32
        rank1.assemble(d, indices: [5, 2, 0], into: b, training: true, epoch: 2)
        for (slot, idx) in [5, 2, 0].enumerated() {
            XCTAssertEqual(Array(b.array[slot * per..<(slot + 1) * per]), Array(a.array[idx * per..<(idx + 1) * per]), "image \(idx)")
        }
        // Another epoch draws again.
        rank0.assemble(d, indices: [0, 1, 2, 3, 4, 5], into: b, training: true, epoch: 3)
        XCTAssertNotEqual(a.array, b.array)
        // Some image is degraded in epoch 2 (6 images, 5 ops at p = 0.5), against no augmentation.
        BatchAssembler(seed: 5, augmentation: .none, channels: 3).assemble(d, indices: [0, 1, 2, 3, 4, 5], into: plain, training: true)
        XCTAssertNotEqual(a.array, plain.array)
        // Validation and test batches never are, whatever the policy.
        rank0.assemble(d, indices: [0, 1, 2, 3, 4, 5], into: b, training: false, epoch: 2)
        XCTAssertEqual(b.array, plain.array)
    }

    func testDrawFollowsProbabilitiesAndRanges() throws {
        var p = RobustnessPolicy.wang2020
        var blurred = 0, jpeg = 0
        for i in 0..<2000 {
            var rng = SeededRNG(seed: 1, stream: "augment-robust", index: UInt64(i))
            let d = RobustnessDraw.draw(p, rng: &rng, height: 32, width: 32)
            XCTAssertNil(d.crop); XCTAssertNil(d.resampleFactor); XCTAssertNil(d.colour)
            if let s = d.blurSigma { blurred += 1; XCTAssertTrue((0...3).contains(s)) }
            if let q = d.jpegQuality { jpeg += 1; XCTAssertTrue((30...100).contains(q)) }
        }
        XCTAssertEqual(Double(blurred) / 2000, 0.5, accuracy: 0.05); XCTAssertEqual(Double(jpeg) / 2000, 0.5, accuracy: 0.05)
        p = RobustnessPolicy(); p.cropProbability = 1; p.cropScaleMin = 0.3; p.jpegProbability = 1; p.jpegQualityMin = 60; p.jpegQualityMax = 60
        for i in 0..<500 {
            var rng = SeededRNG(seed: 2, stream: "augment-robust", index: UInt64(i))
            let d = RobustnessDraw.draw(p, rng: &rng, height: 32, width: 24)
            let c = try XCTUnwrap(d.crop)
            XCTAssertTrue(c.y >= 0 && c.x >= 0 && c.y + c.h <= 32 && c.x + c.w <= 24, "\(c)")
            XCTAssertGreaterThanOrEqual(Double(c.h * c.w), 0.25 * 32 * 24)
            XCTAssertEqual(d.jpegQuality, 60)
        }
    }
}
