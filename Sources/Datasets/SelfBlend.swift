// Self-blended pseudo-fakes (Shiohara & Yamasaki, "Detecting Deepfakes with Self-Blended Images",
// CVPR 2022): a REAL training image becomes a fake one by blending a slightly altered copy of
// itself (colour shift, blur or sharpening, a small scale and shift) back into a soft elliptical
// region around the face. The result carries only what every face manipulation leaves (a blending
// boundary, a colour and sharpness mismatch, a small misalignment) and no generator's fingerprint,
// so a detector trained on it learns those traces instead of one dataset's generator: the remedy
// the field found for training on one kind of fake and testing on another (issue 13: hard1k's
// StyleGAN2 faces against deepfake2k's Photoshop composites of face parts).
//
// Training batches only, real images only; the image's label becomes fake (1). Drawn per
// (seed, epoch, image) from its own stream, so every rank draws the same and the other
// augmentations' draws stay what they were without it. Runs before the robustness ops (a pasted
// region gets degraded with the rest of the image) and before the flips.

import Core
import Foundation

/// How often a real training image becomes a self-blended fake; 0 turns it off.
public struct SelfBlendPolicy: Equatable, Sendable {
    public var probability = 0.0

    public init(probability: Double = 0) { self.probability = probability }

    public static let none = SelfBlendPolicy()
    public var isNone: Bool { probability == 0 }
}

/// The choices drawn for one image, in fractions of its height and width so that they mean the
/// same at every image size. The ranges are Shiohara & Yamasaki's where they apply to a face
/// without landmarks: a region from an eye-and-nose patch to the whole face, a soft edge, a blend
/// ratio of 1 or partial, a few per cent of scale and shift, a colour shift of about 10%.
struct SelfBlendDraw: Equatable {
    /// Ellipse centre and semi-axes, fractions of H and W.
    var centreY = 0.5, centreX = 0.5, radiusY = 0.3, radiusX = 0.3
    /// Width of the soft edge, in fractions of the smaller semi-axis.
    var edge = 0.1
    /// The largest weight of the altered copy (at the centre of the region).
    var ratio = 1.0
    /// The copy: scaled about the image centre by `scale`, shifted by (shiftY, shiftX) fractions.
    var scale = 1.0, shiftY = 0.0, shiftX = 0.0
    /// The copy's per-channel gains and brightness offset (grey levels).
    var gains = [1.0, 1.0, 1.0]
    var offset = 0.0
    /// The copy blurred (sigma > 0, pixels at 64 px) or sharpened (amount > 0), or neither.
    var blurSigma = 0.0, sharpenAmount = 0.0

    /// Draws a fixed count (17) of uniforms, so every image uses the same amount of its stream.
    /// nil: not applied (probability, or a fake image).
    static func draw(_ p: SelfBlendPolicy, label: Int32, rng: inout SeededRNG) -> SelfBlendDraw? {
        let u = (0..<17).map { _ in rng.uniform() }
        guard label == 0, u[0] < p.probability else { return nil }
        var d = SelfBlendDraw()
        d.centreY = 0.5 + 0.2 * (u[1] - 0.5); d.centreX = 0.5 + 0.2 * (u[2] - 0.5)
        d.radiusY = 0.15 + 0.25 * u[3]; d.radiusX = 0.12 + 0.23 * u[4]
        d.edge = 0.05 + 0.25 * u[5]
        d.ratio = [0.5, 0.75, 1, 1][min(3, Int(u[6] * 4))]
        d.scale = 1 + 0.06 * (2 * u[7] - 1)
        d.shiftY = 0.03 * (2 * u[8] - 1); d.shiftX = 0.03 * (2 * u[9] - 1)
        d.gains = (10..<13).map { 1 + 0.1 * (2 * u[$0] - 1) }
        d.offset = 12 * (2 * u[13] - 1)
        if u[14] < 1.0 / 3 { d.blurSigma = 0.5 + u[15] } else if u[14] < 2.0 / 3 { d.sharpenAmount = 0.5 + u[16] }
        return d
    }

    /// The self-blended image (same H x W x C).
    func apply(_ img: [UInt8], height H: Int, width W: Int, channels C: Int) -> [UInt8] {
        let sizeScale = Double(min(H, W)) / 64
        var source = img
        if blurSigma > 0 { source = RobustnessKernels.gaussianBlur(source, height: H, width: W, channels: C, sigma: blurSigma * sizeScale) }
        if sharpenAmount > 0 { source = SelfBlendKernels.sharpen(source, height: H, width: W, channels: C, sigma: sizeScale, amount: sharpenAmount) }
        source = SelfBlendKernels.colourShift(source, channels: C, gains: gains, offset: offset)
        source = SelfBlendKernels.scaleShift(source, height: H, width: W, channels: C, scale: scale,
                                             shiftY: shiftY * Double(H), shiftX: shiftX * Double(W))
        let mask = SelfBlendKernels.ellipseMask(height: H, width: W, centreY: centreY * Double(H - 1), centreX: centreX * Double(W - 1),
                                                radiusY: radiusY * Double(H), radiusX: radiusX * Double(W), edge: edge)
        return SelfBlendKernels.blend(img, source, mask: mask, ratio: ratio, channels: C)
    }
}

/// The self-blend's kernels, on uint8 HWC images of 1 or 3 channels.
public enum SelfBlendKernels {
    /// out = (1 - ratio m) target + ratio m source per pixel (m: the mask, one value per pixel, in
    /// [0, 1]), rounded: where m is 0 the target's pixels come out unchanged.
    public static func blend(_ target: [UInt8], _ source: [UInt8], mask: [Double], ratio: Double, channels C: Int) -> [UInt8] {
        precondition(target.count == source.count && target.count == mask.count * C, "blend: image, copy and mask sizes differ")
        var out = target
        for p in mask.indices where mask[p] > 0 {
            let w = ratio * mask[p]
            for c in 0..<C {
                let i = p * C + c
                out[i] = clampByte((1 - w) * Double(target[i]) + w * Double(source[i]))
            }
        }
        return out
    }

    /// A soft ellipse: 1 inside, 0 outside, a logistic ramp across the boundary whose width is
    /// `edge` times the smaller semi-axis; values below 1e-3 are set to 0 so the far image is
    /// exactly the target.
    public static func ellipseMask(height H: Int, width W: Int, centreY: Double, centreX: Double,
                                   radiusY: Double, radiusX: Double, edge: Double) -> [Double] {
        precondition(radiusY > 0 && radiusX > 0 && edge > 0, "ellipseMask: radii and edge must be positive")
        // Steepness so that the mask falls from 0.95 to 0.05 over `edge` of the normalised radius.
        let k = 2 * log(19.0) / edge
        var m = [Double](repeating: 0, count: H * W)
        for y in 0..<H { for x in 0..<W {
            let dy = (Double(y) - centreY) / radiusY, dx = (Double(x) - centreX) / radiusX
            let v = 1 / (1 + exp(k * ((dy * dy + dx * dx).squareRoot() - 1)))
            m[y * W + x] = v < 1e-3 ? 0 : v
        } }
        return m
    }

    /// Per-channel gain and a common offset: v' = gain[c] v + offset, clamped (grey images use gain[0]).
    public static func colourShift(_ img: [UInt8], channels C: Int, gains: [Double], offset: Double) -> [UInt8] {
        img.indices.map { i in clampByte(gains[C == 3 ? i % 3 : 0] * Double(img[i]) + offset) }
    }

    /// Unsharp masking: v + amount (v - blur(v, sigma)), clamped.
    public static func sharpen(_ img: [UInt8], height H: Int, width W: Int, channels C: Int, sigma: Double, amount: Double) -> [UInt8] {
        let blurred = RobustnessKernels.gaussianBlur(img, height: H, width: W, channels: C, sigma: sigma)
        return img.indices.map { i in clampByte(Double(img[i]) + amount * (Double(img[i]) - Double(blurred[i]))) }
    }

    /// The image scaled by `scale` about its centre and shifted by (shiftY, shiftX) pixels, by
    /// bilinear sampling with edge pixels repeated outside: output (y, x) reads the input at
    /// centre + ((y, x) - centre - shift) / scale.
    public static func scaleShift(_ img: [UInt8], height H: Int, width W: Int, channels C: Int,
                                  scale: Double, shiftY: Double, shiftX: Double) -> [UInt8] {
        precondition(scale > 0, "scaleShift: scale must be positive")
        let cy = Double(H - 1) / 2, cx = Double(W - 1) / 2
        var out = [UInt8](repeating: 0, count: img.count)
        for y in 0..<H { for x in 0..<W {
            let sy = min(Double(H - 1), max(0, cy + (Double(y) - cy - shiftY) / scale))
            let sx = min(Double(W - 1), max(0, cx + (Double(x) - cx - shiftX) / scale))
            let y0 = Int(sy), x0 = Int(sx), y1 = min(H - 1, y0 + 1), x1 = min(W - 1, x0 + 1)
            let fy = sy - Double(y0), fx = sx - Double(x0)
            for c in 0..<C {
                func v(_ yy: Int, _ xx: Int) -> Double { Double(img[(yy * W + xx) * C + c]) }
                let top = v(y0, x0) * (1 - fx) + v(y0, x1) * fx, bottom = v(y1, x0) * (1 - fx) + v(y1, x1) * fx
                out[(y * W + x) * C + c] = clampByte(top * (1 - fy) + bottom * fy)
            }
        } }
        return out
    }
}
