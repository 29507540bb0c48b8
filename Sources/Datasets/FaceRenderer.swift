// Procedural 'face' images for the built-in dataset: a real face and a fake one differ only by
// generator-like artefacts of random strength, so the task is learnable but not trivial.
//
// Every image is a pure function of (seed, index, fake, size): no global state, no clock.

import Core
import Foundation

/// Draws one RGB face image, HWC uint8, `size` x `size`.
public enum FaceRenderer {
    /// The random description of one face (shared by both classes, so class is not in the pose).
    struct Face {
        var bgA: (Float, Float, Float), bgB: (Float, Float, Float), bgAngle: Float
        var cx: Float, cy: Float, rx: Float, ry: Float, tilt: Float
        var skin: (Float, Float, Float), hair: (Float, Float, Float), hairVolume: Float
        var iris: (Float, Float, Float), irisRight: (Float, Float, Float)
        var eyeSize: Float, eyeSizeRight: Float, eyeGap: Float, eyeHeight: Float
        var mouthWidth: Float, mouthOpen: Float, lips: (Float, Float, Float)
        var light: (Float, Float), lightStrength: Float
        var skinTexture: Float, sensorNoise: Float
        var checker: Float, checkerPhase: Int
    }

    static let skinTones: [(Float, Float, Float)] = [(255, 224, 196), (241, 194, 160), (224, 172, 130), (198, 134, 94),
                                                     (161, 102, 68), (110, 70, 45), (235, 200, 175)]
    static let hairColours: [(Float, Float, Float)] = [(30, 22, 18), (70, 45, 25), (120, 80, 40), (200, 160, 90),
                                                       (150, 60, 30), (90, 90, 90), (20, 20, 25)]
    static let irisColours: [(Float, Float, Float)] = [(70, 45, 25), (40, 90, 150), (60, 120, 70), (110, 90, 50), (30, 30, 30)]

    static func pick(_ list: [(Float, Float, Float)], _ rng: inout SeededRNG) -> (Float, Float, Float) {
        list[rng.below(list.count)]
    }

    static func jitter(_ c: (Float, Float, Float), _ amount: Float, _ rng: inout SeededRNG) -> (Float, Float, Float) {
        (c.0 + amount * Float(rng.normal()), c.1 + amount * Float(rng.normal()), c.2 + amount * Float(rng.normal()))
    }

    /// Draws the face description. `fake` adds the artefact parameters; their strength
    /// s ~ U(0.15, 1) per image, so a share of fakes is close to real.
    static func describe(fake: Bool, rng: inout SeededRNG) -> Face {
        func u(_ a: Float, _ b: Float) -> Float { a + (b - a) * rng.uniformFloat() }
        let iris = pick(irisColours, &rng)
        let eye = u(0.13, 0.19)
        var f = Face(bgA: jitter((u(40, 220), u(40, 220), u(40, 220)), 10, &rng), bgB: (u(20, 235), u(20, 235), u(20, 235)),
                     bgAngle: u(0, 2 * .pi),
                     cx: u(0.42, 0.58), cy: u(0.45, 0.58), rx: u(0.2, 0.28), ry: 0, tilt: u(-0.25, 0.25),
                     skin: jitter(pick(skinTones, &rng), 8, &rng), hair: jitter(pick(hairColours, &rng), 10, &rng),
                     hairVolume: u(1.05, 1.35),
                     iris: iris, irisRight: iris, eyeSize: eye, eyeSizeRight: eye * u(0.95, 1.05),
                     eyeGap: u(0.36, 0.46), eyeHeight: u(-0.3, -0.18),
                     mouthWidth: u(0.3, 0.5), mouthOpen: u(0.04, 0.12), lips: jitter((170, 80, 80), 15, &rng),
                     light: (u(-1, 1), u(-1, 1)), lightStrength: u(0.05, 0.3),
                     skinTexture: u(5, 10), sensorNoise: u(1.5, 4), checker: 0, checkerPhase: 0)
        f.ry = f.rx * u(1.2, 1.4)
        let s = u(0.15, 1)
        // Always draw the artefact numbers so real and fake faces share the same pose stream.
        let mismatch = rng.uniformFloat(), irisOther = pick(irisColours, &rng), sizeRatio = u(0.75, 0.9)
        let checker = u(3, 9), phase = rng.below(2)
        if fake {
            f.checker = s * checker
            f.checkerPhase = phase
            f.skinTexture *= 1 - 0.75 * s                         // over-smooth skin
            if mismatch < 0.5 * s { f.irisRight = irisOther }      // mismatched eye colour
            if mismatch > 1 - 0.6 * s { f.eyeSizeRight = f.eyeSize * sizeRatio }  // mismatched size
        }
        return f
    }

    /// Renders image `index` of class `fake` for `seed` as HWC RGB uint8.
    public static func render(seed: UInt64, index: Int, fake: Bool, size: Int) -> [UInt8] {
        var rng = SeededRNG(seed: seed, stream: fake ? "builtin-fake" : "builtin-real", index: UInt64(index))
        let f = describe(fake: fake, rng: &rng)
        var noise = SeededRNG(seed: seed, stream: fake ? "builtin-fake-noise" : "builtin-real-noise", index: UInt64(index))
        let S = Float(size)
        var out = [UInt8](repeating: 0, count: size * size * 3)
        let ct = cos(f.tilt), st = sin(f.tilt)
        let (bgc, bgs) = (cos(f.bgAngle), sin(f.bgAngle))
        for y in 0..<size {
            for x in 0..<size {
                let px = (Float(x) + 0.5) / S, py = (Float(y) + 0.5) / S
                // Background gradient.
                let g = min(1, max(0, 0.5 + (px - 0.5) * bgc + (py - 0.5) * bgs))
                var c = (f.bgA.0 + (f.bgB.0 - f.bgA.0) * g, f.bgA.1 + (f.bgB.1 - f.bgA.1) * g, f.bgA.2 + (f.bgB.2 - f.bgA.2) * g)
                // Face frame: u along the face's width, v along its height, both in face radii.
                let dx = px - f.cx, dy = py - f.cy
                let uu = (ct * dx + st * dy) / f.rx, vv = (-st * dx + ct * dy) / f.ry
                let r2 = uu * uu + vv * vv
                // Hair: a larger ellipse behind the face, shifted up.
                let hv = (vv + 0.25) / f.hairVolume, hu = uu / f.hairVolume
                if hu * hu + hv * hv < 1 && vv < 0.35 { c = f.hair }
                if r2 < 1 {
                    let shade = 1 + f.lightStrength * (f.light.0 * uu + f.light.1 * vv) * 0.5 - 0.12 * r2
                    let t = f.skinTexture * Float(noise.normal())
                    c = (f.skin.0 * shade + t, f.skin.1 * shade + t, f.skin.2 * shade + t)
                    // Eyes: sclera, iris, pupil; left eye at u < 0.
                    for side in [-1, 1] as [Float] {
                        let es = side < 0 ? f.eyeSize : f.eyeSizeRight
                        let eu = (uu - side * f.eyeGap) / (es * 1.6), ev = (vv - f.eyeHeight) / es
                        let e2 = eu * eu + ev * ev
                        if e2 < 1 {
                            let ir = side < 0 ? f.iris : f.irisRight
                            c = e2 < 0.12 ? (15, 12, 12) : (e2 < 0.4 ? ir : (235, 232, 228))
                        }
                        // Eyebrow: a thin dark band above the eye.
                        let bu = (uu - side * f.eyeGap) / (es * 2), bv = (vv - f.eyeHeight + es * 1.9) / (es * 0.35)
                        if bu * bu + bv * bv < 1 { c = (f.hair.0 * 0.9, f.hair.1 * 0.9, f.hair.2 * 0.9) }
                    }
                    // Nose shadow and mouth.
                    if abs(uu) < 0.06 && vv > -0.05 && vv < 0.25 { c = (c.0 * 0.85, c.1 * 0.85, c.2 * 0.85) }
                    let mu = uu / f.mouthWidth, mv = (vv - 0.5) / f.mouthOpen
                    if mu * mu + mv * mv < 1 { c = f.lips }
                }
                // Sensor noise everywhere; periodic upsampling artefact (fakes only).
                let n = f.sensorNoise
                var add = (n * Float(noise.normal()), n * Float(noise.normal()), n * Float(noise.normal()))
                if f.checker > 0 {
                    let sgn: Float = ((x + y + f.checkerPhase) & 1) == 0 ? 1 : -1
                    let grid: Float = (x % 4 == 0 || y % 4 == 0) ? 0.5 : 0   // coarser 4-pixel grid survives a 2x box reduce
                    add = (add.0 + f.checker * (sgn + grid), add.1 + f.checker * (sgn + grid), add.2 + f.checker * (sgn + grid))
                }
                let o = (y * size + x) * 3
                out[o] = clampByte(c.0 + add.0); out[o + 1] = clampByte(c.1 + add.1); out[o + 2] = clampByte(c.2 + add.2)
            }
        }
        return out
    }

}
