// Turns prepared uint8 NHWC images into normalised Float32 NCHW batches, with training-only
// augmentation drawn afresh each epoch.

import Core
import Foundation

/// Random augmentation applied to TRAINING batches only (validation/test are never augmented).
public struct AugmentationPolicy: Equatable, Sendable {
    /// Probability of a horizontal (left-right) flip.
    public var horizontalFlip: Double
    /// Probability of a vertical (up-down) flip.
    public var verticalFlip: Double
    public var rotation: Rotation
    /// Blur, JPEG, crop, resampling and colour jitter (Augmentations.swift), applied before the
    /// flips and rotation.
    public var robustness: RobustnessPolicy
    /// Real images turned into self-blended fakes (SelfBlend.swift), before everything else.
    public var selfBlend: SelfBlendPolicy

    public enum Rotation: Equatable, Sendable {
        case none
        /// A uniform random angle in [-maxDegrees, maxDegrees] about the image centre, bilinear
        /// sampling; pixels that come from outside the image take the channel mean (normalised 0).
        case small(maxDegrees: Double)
        /// 0, 90, 180 or 270 degrees with equal probability (square images only; others get 0/180).
        case quarterTurns
    }

    public init(horizontalFlip: Double = 0.5, verticalFlip: Double = 0, rotation: Rotation = .none,
                robustness: RobustnessPolicy = .none, selfBlend: SelfBlendPolicy = .none) {
        self.horizontalFlip = horizontalFlip; self.verticalFlip = verticalFlip; self.rotation = rotation
        self.robustness = robustness; self.selfBlend = selfBlend
    }

    public static let none = AugmentationPolicy(horizontalFlip: 0, verticalFlip: 0, rotation: .none)
    public static let `default` = AugmentationPolicy()
}

/// Per-channel normalisation x' = (x/255 - mean[c]) / std[c].
public struct Normalisation: Equatable, Sendable {
    public let mean: [Float]
    public let std: [Float]

    /// ImageNet statistics for 3 channels; their averages for 1 channel (greyscale).
    public static func imageNet(channels: Int) -> Normalisation {
        let m: [Float] = [0.485, 0.456, 0.406], s: [Float] = [0.229, 0.224, 0.225]
        if channels == 3 { return Normalisation(mean: m, std: s) }
        precondition(channels == 1, "normalisation is defined for 1 or 3 channels, not \(channels)")
        return Normalisation(mean: [m.reduce(0, +) / 3], std: [s.reduce(0, +) / 3])
    }
}

public struct BatchAssembler: Sendable {
    public let seed: UInt64
    public let augmentation: AugmentationPolicy
    public let normalisation: Normalisation
    /// Threads that fill a batch (one image each).
    public let threads: Threads

    public init(seed: UInt64, augmentation: AugmentationPolicy = .default, channels: Int, threads: Threads = .serial) {
        self.seed = seed; self.augmentation = augmentation; self.normalisation = .imageNet(channels: channels)
        self.threads = threads
    }

    /// Fills `into` (resized to [B, C, H, W]) with images `indices` of `data`, normalised, and
    /// returns their labels. When `training`, each image is augmented with a generator from
    /// (seed, "augment", epoch << 32 | image index): the same image gets the same transform in
    /// the same epoch whatever batch or rank it lands in, and a new one the next epoch. A real
    /// image that the self-blend turns fake is returned with label 1.
    @discardableResult
    public func assemble(_ data: PreparedData, indices: [Int], into batch: Tensor,
                         training: Bool, epoch: Int = 0) -> [Int32] {
        let H = data.height, W = data.width, C = data.channels, plane = H * W
        batch.resize([indices.count, C, H, W])
        let out = batch.data
        let scale = (0..<C).map { 1 / (255 * normalisation.std[$0]) }
        let shift = (0..<C).map { -normalisation.mean[$0] / normalisation.std[$0] }
        var labels = indices.map { data.labels[$0] }
        data.images.withUnsafeBufferPointer { src in labels.withUnsafeMutableBufferPointer { labelOut in
            threads.forEach(indices.count) { b in
                let idx = indices[b]
                var img = src.baseAddress! + idx * plane * C
                let dst = out + b * plane * C
                var t = Transform.identity
                // The self-blend's and robustness ops' output, when drawn; kept alive until this
                // image is written.
                var altered: [UnsafeMutableBufferPointer<UInt8>] = []
                defer { for a in altered { a.deallocate() } }
                // Runs an op on the image as it stands and makes its output the image.
                func alter(_ op: ([UInt8]) -> [UInt8]) {
                    let pixels = op(Array(UnsafeBufferPointer(start: img, count: plane * C)))
                    let buf = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: plane * C)
                    _ = buf.initialize(from: pixels)
                    altered.append(buf)
                    img = UnsafePointer(buf.baseAddress!)
                }
                if training {
                    let stream = (UInt64(epoch) << 32) | UInt64(idx)
                    var rng = SeededRNG(seed: seed, stream: "augment", index: stream)
                    t = Transform.draw(augmentation, rng: &rng, square: H == W)
                    if !augmentation.selfBlend.isNone {
                        // Its own stream too; drawn for every image, used on real ones.
                        var r = SeededRNG(seed: seed, stream: "augment-blend", index: stream)
                        if let d = SelfBlendDraw.draw(augmentation.selfBlend, label: labelOut[b], rng: &r) {
                            alter { d.apply($0, height: H, width: W, channels: C) }
                            labelOut[b] = 1
                        }
                    }
                    if !augmentation.robustness.isNone {
                        // Its own stream, so the flip/rotation draws stay what they were without it.
                        var r = SeededRNG(seed: seed, stream: "augment-robust", index: stream)
                        let d = RobustnessDraw.draw(augmentation.robustness, rng: &r, height: H, width: W)
                        if !d.isIdentity {
                            alter { d.apply($0, height: H, width: W, channels: C) }
                        }
                    }
                }
                if t.isIdentity {
                    // Straight HWC -> CHW with normalisation (the common, fast path).
                    for p in 0..<plane { for c in 0..<C { dst[c * plane + p] = Float(img[p * C + c]) * scale[c] + shift[c] } }
                } else {
                    t.apply(img, H: H, W: W, C: C, scale: scale, shift: shift, to: dst)
                }
            }
        } }
        return labels
    }
}

/// One drawn augmentation: output pixel (y, x) samples the source at a mapped location.
struct Transform {
    var flipH = false, flipV = false
    var quarter = 0           // quarter turns counter-clockwise
    var angle = 0.0           // radians, small rotation

    static let identity = Transform()
    var isIdentity: Bool { !flipH && !flipV && quarter == 0 && angle == 0 }

    static func draw(_ a: AugmentationPolicy, rng: inout SeededRNG, square: Bool) -> Transform {
        var t = Transform()
        // Always draw the same number of numbers so options do not shift each other's streams.
        let u1 = rng.uniform(), u2 = rng.uniform(), u3 = rng.uniform()
        t.flipH = u1 < a.horizontalFlip
        t.flipV = u2 < a.verticalFlip
        switch a.rotation {
        case .none: break
        case .small(let maxDeg): t.angle = (2 * u3 - 1) * maxDeg * .pi / 180
        case .quarterTurns: t.quarter = square ? Int(u3 * 4) % 4 : (u3 < 0.5 ? 0 : 2)
        }
        return t
    }

    /// Writes the transformed, normalised CHW image. Flips are applied to the output coordinates
    /// after the rotation; rotation is about the centre ((H-1)/2, (W-1)/2).
    func apply(_ img: UnsafePointer<UInt8>, H: Int, W: Int, C: Int, scale: [Float], shift: [Float],
               to dst: UnsafeMutablePointer<Float>) {
        let plane = H * W
        let cy = Double(H - 1) / 2, cx = Double(W - 1) / 2
        let cosA = cos(angle), sinA = sin(angle)
        for y in 0..<H {
            for x in 0..<W {
                var sy = flipV ? H - 1 - y : y, sx = flipH ? W - 1 - x : x
                switch quarter {                       // 1 and 3 occur for square images only
                case 1: (sy, sx) = (sx, W - 1 - sy)
                case 2: (sy, sx) = (H - 1 - sy, W - 1 - sx)
                case 3: (sy, sx) = (H - 1 - sx, sy)
                default: break
                }
                let o = y * W + x
                if angle == 0 {
                    let s = (sy * W + sx) * C
                    for c in 0..<C { dst[c * plane + o] = Float(img[s + c]) * scale[c] + shift[c] }
                    continue
                }
                // Inverse rotation of the output point gives the bilinear source location.
                let dy = Double(sy) - cy, dx = Double(sx) - cx
                let fy = cy + cosA * dy - sinA * dx, fx = cx + sinA * dy + cosA * dx
                let y0 = Int(fy.rounded(.down)), x0 = Int(fx.rounded(.down))
                let wy = Float(fy - Double(y0)), wx = Float(fx - Double(x0))
                for c in 0..<C {
                    func px(_ yy: Int, _ xx: Int) -> Float {
                        // Outside: the channel mean, i.e. 0 after normalisation.
                        guard yy >= 0, yy < H, xx >= 0, xx < W else { return -shift[c] / scale[c] }
                        return Float(img[(yy * W + xx) * C + c])
                    }
                    let v = (1 - wy) * ((1 - wx) * px(y0, x0) + wx * px(y0, x0 + 1))
                          + wy * ((1 - wx) * px(y0 + 1, x0) + wx * px(y0 + 1, x0 + 1))
                    dst[c * plane + o] = v * scale[c] + shift[c]
                }
            }
        }
    }
}
