// Augmentations: the photometric "robustness" augmentations (Gaussian blur, real JPEG
// re-compression, random resized crop, down- then up-sampling, colour jitter) that make a
// detector see the degradations of images from other sources. They work on one uint8 HWC image
// before BatchAssembler's geometric transform, on TRAINING batches only, drawn per
// (seed, epoch, image) so every rank draws the same. Each kernel is a small function below.

import Core
import Foundation
import ImageIO

/// Probabilities and ranges of the robustness augmentations; a probability of 0 turns an op off.
public struct RobustnessPolicy: Equatable, Sendable {
    /// Gaussian blur with sigma ~ U[0, blurSigmaMax] pixels.
    public var blurProbability = 0.0
    public var blurSigmaMax = 3.0
    /// JPEG encode + decode (libjpeg) at an integer quality ~ U{jpegQualityMin ... jpegQualityMax}.
    public var jpegProbability = 0.0
    public var jpegQualityMin = 30
    public var jpegQualityMax = 100
    /// Random resized crop: a box of area fraction ~ U[cropScaleMin, 1] and aspect ratio (w/h)
    /// ~ exp U[-ln 4/3, ln 4/3] (as torchvision's RandomResizedCrop), resized back to H x W.
    public var cropProbability = 0.0
    public var cropScaleMin = 0.5
    /// Down-sampling by a factor ~ U[resampleScaleMin, 1] per side, then back up to H x W.
    public var resampleProbability = 0.0
    public var resampleScaleMin = 0.25
    /// Brightness, contrast and saturation each scaled by a factor ~ U[1 - colourJitter, 1 + colourJitter].
    public var colourProbability = 0.0
    public var colourJitter = 0.2

    public init() {}

    /// Nothing applied.
    public static let none = RobustnessPolicy()

    /// Wang et al., "CNN-generated images are surprisingly easy to spot... for now" (CVPR 2020),
    /// the Blur+JPEG (0.5) setting: blur p = 0.5 with sigma ~ U[0, 3], JPEG p = 0.5 with quality ~ U{30 ... 100}.
    public static let wang2020: RobustnessPolicy = {
        var p = RobustnessPolicy()
        p.blurProbability = 0.5; p.blurSigmaMax = 3
        p.jpegProbability = 0.5; p.jpegQualityMin = 30; p.jpegQualityMax = 100
        return p
    }()

    public var isNone: Bool {
        blurProbability == 0 && jpegProbability == 0 && cropProbability == 0 && resampleProbability == 0 && colourProbability == 0
    }
}

/// The ops drawn for one image; nil = not applied.
struct RobustnessDraw: Equatable {
    var crop: (y: Int, x: Int, h: Int, w: Int)?
    var resampleFactor: Double?
    var blurSigma: Double?
    var colour: (brightness: Double, contrast: Double, saturation: Double)?
    var jpegQuality: Int?

    static func == (a: RobustnessDraw, b: RobustnessDraw) -> Bool {
        a.crop.map { [$0.y, $0.x, $0.h, $0.w] } == b.crop.map { [$0.y, $0.x, $0.h, $0.w] }
            && a.resampleFactor == b.resampleFactor && a.blurSigma == b.blurSigma
            && a.colour.map { [$0.brightness, $0.contrast, $0.saturation] } == b.colour.map { [$0.brightness, $0.contrast, $0.saturation] }
            && a.jpegQuality == b.jpegQuality
    }

    var isIdentity: Bool { crop == nil && resampleFactor == nil && blurSigma == nil && colour == nil && jpegQuality == nil }

    /// Draws a fixed count (15) of uniforms whatever the policy, so turning one op on or off does
    /// not shift the others' numbers.
    static func draw(_ p: RobustnessPolicy, rng: inout SeededRNG, height H: Int, width W: Int) -> RobustnessDraw {
        let u = (0..<15).map { _ in rng.uniform() }
        var d = RobustnessDraw()
        if u[0] < p.cropProbability {
            let area = Double(H * W) * (p.cropScaleMin + (1 - p.cropScaleMin) * u[1])
            let logR = log(4.0 / 3.0) * (2 * u[2] - 1), ratio = exp(logR)
            let w = min(W, max(1, Int((area * ratio).squareRoot().rounded())))
            let h = min(H, max(1, Int((area / ratio).squareRoot().rounded())))
            d.crop = (y: Int(u[3] * Double(H - h + 1)) % (H - h + 1), x: Int(u[4] * Double(W - w + 1)) % (W - w + 1), h: h, w: w)
        }
        if u[5] < p.resampleProbability { d.resampleFactor = p.resampleScaleMin + (1 - p.resampleScaleMin) * u[6] }
        if u[7] < p.blurProbability { d.blurSigma = p.blurSigmaMax * u[8] }
        if u[9] < p.colourProbability {
            func f(_ v: Double) -> Double { 1 + p.colourJitter * (2 * v - 1) }
            d.colour = (f(u[10]), f(u[11]), f(u[12]))
        }
        if u[13] < p.jpegProbability {
            let span = p.jpegQualityMax - p.jpegQualityMin + 1
            d.jpegQuality = p.jpegQualityMin + min(span - 1, Int(u[14] * Double(span)))
        }
        return d
    }

    /// Applies the drawn ops in a fixed order: crop, resample, blur, colour, then JPEG last (as an
    /// image is degraded and then saved). Returns an image of the same H x W x C.
    func apply(_ img: [UInt8], height H: Int, width W: Int, channels C: Int) -> [UInt8] {
        var out = img
        if let c = crop { out = RobustnessKernels.resizedCrop(out, height: H, width: W, channels: C, y: c.y, x: c.x, cropHeight: c.h, cropWidth: c.w) }
        if let f = resampleFactor { out = RobustnessKernels.downUp(out, height: H, width: W, channels: C, factor: f) }
        if let s = blurSigma { out = RobustnessKernels.gaussianBlur(out, height: H, width: W, channels: C, sigma: s) }
        if let j = colour {
            out = RobustnessKernels.colourJitter(out, channels: C, brightness: j.brightness, contrast: j.contrast, saturation: j.saturation)
        }
        if let q = jpegQuality { out = RobustnessKernels.jpeg(out, height: H, width: W, channels: C, quality: q) }
        return out
    }
}

/// v rounded to the nearest grey level and clamped to 0...255: how every pixel kernel here (and
/// the face renderer, the self-blend) writes a computed value back to a byte.
@inline(__always)
func clampByte<T: BinaryFloatingPoint>(_ v: T) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }

/// The per-op kernels, on uint8 HWC images of `channels` 1 or 3.
public enum RobustnessKernels {
    /// Separable Gaussian blur with the given sigma (pixels); taps out to ceil(3 sigma), edges
    /// reflected (…cba|abc…). Sigma 0 (or below 0.05, whose kernel is a single 1) returns the input.
    public static func gaussianBlur(_ img: [UInt8], height H: Int, width W: Int, channels C: Int, sigma: Double) -> [UInt8] {
        let r = Int((3 * sigma).rounded(.up))
        guard sigma > 0.05, r > 0 else { return img }
        var k = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let sum = k.reduce(0, +); k = k.map { $0 / sum }
        func reflect(_ i: Int, _ n: Int) -> Int {
            guard n > 1 else { return 0 }
            var i = i
            while i < 0 || i >= n { i = i < 0 ? -i - 1 : 2 * n - i - 1 }
            return i
        }
        var tmp = [Float](repeating: 0, count: img.count)
        for y in 0..<H { for x in 0..<W { for c in 0..<C {
            var s: Float = 0
            for t in -r...r { s += k[t + r] * Float(img[(y * W + reflect(x + t, W)) * C + c]) }
            tmp[(y * W + x) * C + c] = s
        } } }
        var out = [UInt8](repeating: 0, count: img.count)
        for y in 0..<H { for x in 0..<W { for c in 0..<C {
            var s: Float = 0
            for t in -r...r { s += k[t + r] * tmp[(reflect(y + t, H) * W + x) * C + c] }
            out[(y * W + x) * C + c] = clampByte(s)
        } } }
        return out
    }

    /// A real JPEG round trip: libjpeg encode at `quality` (ImageEncoder, 4:2:0 for colour) and
    /// decode (ImageDecoder) to the same channels. Our own pixels at a valid quality always
    /// encode, so a failure is a broken codec and stops the run.
    public static func jpeg(_ img: [UInt8], height H: Int, width W: Int, channels C: Int, quality: Int) -> [UInt8] {
        do {
            let bytes = try ImageEncoder.jpeg(Image(width: W, height: H, channels: C, pixels: img), quality: quality)
            let decoded = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0, channels: C, name: "JPEG augmentation") }
            return decoded.pixels
        } catch {
            preconditionFailure("JPEG augmentation failed on a \(W)x\(H)x\(C) image at quality \(quality): \(error)")
        }
    }

    /// The box (y, x, cropHeight, cropWidth) resized back to H x W by area averaging (ImageIO's
    /// `areaResize`, which also upsamples): a random resized crop / scale jitter.
    public static func resizedCrop(_ img: [UInt8], height H: Int, width W: Int, channels C: Int,
                                   y: Int, x: Int, cropHeight h: Int, cropWidth w: Int) -> [UInt8] {
        precondition(y >= 0 && x >= 0 && h >= 1 && w >= 1 && y + h <= H && x + w <= W, "crop box outside the image")
        var box = [UInt8](repeating: 0, count: h * w * C)
        for yy in 0..<h { for xx in 0..<(w * C) { box[yy * w * C + xx] = img[((y + yy) * W + x) * C + xx] } }
        return resize(box, height: h, width: w, channels: C, toHeight: H, toWidth: W)
    }

    /// Down-sampling to round(factor * side) (at least 1 pixel) by area averaging, then back up to
    /// H x W: the detail a low-resolution source loses.
    public static func downUp(_ img: [UInt8], height H: Int, width W: Int, channels C: Int, factor: Double) -> [UInt8] {
        let h = max(1, min(H, Int((Double(H) * factor).rounded()))), w = max(1, min(W, Int((Double(W) * factor).rounded())))
        if h == H && w == W { return img }
        let small = resize(img, height: H, width: W, channels: C, toHeight: h, toWidth: w)
        return resize(small, height: h, width: w, channels: C, toHeight: H, toWidth: W)
    }

    /// Colour jitter, with torchvision's definitions: brightness scales every value; contrast blends
    /// with the image's mean grey level; saturation (RGB only) blends each pixel with its grey
    /// (BT.601 luma). A factor of 1 leaves the image unchanged.
    public static func colourJitter(_ img: [UInt8], channels C: Int, brightness: Double, contrast: Double, saturation: Double) -> [UInt8] {
        var v = img.map { Double($0) * brightness }
        func luma(_ i: Int) -> Double { C == 3 ? 0.299 * v[i] + 0.587 * v[i + 1] + 0.114 * v[i + 2] : v[i] }
        v = v.map { min(255, $0) }
        let pixels = img.count / C
        let mean = stride(from: 0, to: v.count, by: C).reduce(0.0) { $0 + luma($1) } / Double(max(1, pixels))
        v = v.map { min(255, max(0, mean + contrast * ($0 - mean))) }
        if C == 3 {
            for i in stride(from: 0, to: v.count, by: 3) {
                let g = luma(i)
                for c in 0..<3 { v[i + c] = min(255, max(0, g + saturation * (v[i + c] - g))) }
            }
        }
        return v.map { UInt8($0.rounded()) }
    }

    static func resize(_ img: [UInt8], height: Int, width: Int, channels C: Int, toHeight: Int, toWidth: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: toHeight * toWidth * C)
        img.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                areaResize(s.baseAddress!, width: width, height: height, channels: C, into: d.baseAddress!, width: toWidth, height: toHeight)
            }
        }
        return out
    }
}
