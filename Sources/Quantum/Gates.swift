// 2x2 complex matrices of the gates and of their angle derivatives, used by the simulator
// (fused single-qubit blocks), the adjoint gradients and the dense-matrix tests.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 2x2 complex matrix [[a, b], [c, d]] with split real/imaginary parts.
public struct Mat2: Sendable, Equatable {
    public var ar, ai, br, bi, cr, ci, dr, di: Double

    public init(_ ar: Double, _ ai: Double, _ br: Double, _ bi: Double,
                _ cr: Double, _ ci: Double, _ dr: Double, _ di: Double) {
        self.ar = ar; self.ai = ai; self.br = br; self.bi = bi
        self.cr = cr; self.ci = ci; self.dr = dr; self.di = di
    }

    public static let identity = Mat2(1, 0, 0, 0, 0, 0, 1, 0)
    public static let zero = Mat2(0, 0, 0, 0, 0, 0, 0, 0)

    /// Matrix product self * o.
    @inline(__always)
    public static func * (m: Mat2, o: Mat2) -> Mat2 {
        @inline(__always) func mul(_ xr: Double, _ xi: Double, _ yr: Double, _ yi: Double,
                                   _ zr: Double, _ zi: Double, _ wr: Double, _ wi: Double) -> (Double, Double) {
            (xr * yr - xi * yi + zr * wr - zi * wi, xr * yi + xi * yr + zr * wi + zi * wr)
        }
        let a = mul(m.ar, m.ai, o.ar, o.ai, m.br, m.bi, o.cr, o.ci)
        let b = mul(m.ar, m.ai, o.br, o.bi, m.br, m.bi, o.dr, o.di)
        let c = mul(m.cr, m.ci, o.ar, o.ai, m.dr, m.di, o.cr, o.ci)
        let d = mul(m.cr, m.ci, o.br, o.bi, m.dr, m.di, o.dr, o.di)
        return Mat2(a.0, a.1, b.0, b.1, c.0, c.1, d.0, d.1)
    }

    /// self * (x, y) for one amplitude pair x = xr + i xi, y = yr + i yi: the inner step of every
    /// 2x2 kernel, returned as (x'r, x'i, y'r, y'i).
    @inline(__always)
    public func apply(_ xr: Double, _ xi: Double, _ yr: Double, _ yi: Double) -> (Double, Double, Double, Double) {
        (ar * xr - ai * xi + br * yr - bi * yi, ar * xi + ai * xr + br * yi + bi * yr,
         cr * xr - ci * xi + dr * yr - di * yi, cr * xi + ci * xr + dr * yi + di * yr)
    }

    /// Conjugate transpose.
    public var dagger: Mat2 { Mat2(ar, -ai, cr, -ci, br, -bi, dr, -di) }

    /// True when the off-diagonal entries are exactly zero (diagonal fast path).
    public var isDiagonal: Bool { br == 0 && bi == 0 && cr == 0 && ci == 0 }

    /// Re( sum_ab self_ab * m_ab ): the contraction used by the adjoint method.
    @inline(__always)
    public func realContraction(_ m: Mat2) -> Double {
        ar * m.ar - ai * m.ai + br * m.br - bi * m.bi + cr * m.cr - ci * m.ci + dr * m.dr - di * m.di
    }
}

/// Elementary single-qubit factors: every gate (Rot included) lowers to a product of these,
/// each with at most one angle.
enum Elementary: Sendable {
    case rx, ry, rz, phase, fixed(Mat2)

    /// Matrix at angle t.
    @inline(__always)
    func matrix(_ t: Double) -> Mat2 {
        switch self {
        case .rx: let c = cos(t / 2), s = sin(t / 2); return Mat2(c, 0, 0, -s, 0, -s, c, 0)
        case .ry: let c = cos(t / 2), s = sin(t / 2); return Mat2(c, 0, -s, 0, s, 0, c, 0)
        case .rz: let c = cos(t / 2), s = sin(t / 2); return Mat2(c, -s, 0, 0, 0, 0, c, s)
        case .phase: return Mat2(1, 0, 0, 0, 0, 0, cos(t), sin(t))
        case .fixed(let m): return m
        }
    }

    /// d matrix / d t. RX, RY, RZ: -i/2 G U(t); PhaseShift: diag(0, i e^{it}).
    @inline(__always)
    func derivative(_ t: Double) -> Mat2 {
        switch self {
        case .rx: let c = cos(t / 2) / 2, s = sin(t / 2) / 2; return Mat2(-s, 0, 0, -c, 0, -c, -s, 0)
        case .ry: let c = cos(t / 2) / 2, s = sin(t / 2) / 2; return Mat2(-s, 0, -c, 0, c, 0, -s, 0)
        case .rz: let c = cos(t / 2) / 2, s = sin(t / 2) / 2; return Mat2(-s, -c, 0, 0, 0, 0, -s, c)
        case .phase: return Mat2(0, 0, 0, 0, 0, 0, -sin(t), cos(t))
        case .fixed: return .zero
        }
    }
}

let invSqrt2 = 1.0 / 2.0.squareRoot()

extension GateKind {
    /// The single-qubit factors in application order (Rot(phi, theta, omega) applies RZ(phi),
    /// then RY(theta), then RZ(omega)); for CRX the factor of the target. Index k of the
    /// result reads angle k of the operation.
    var factors: [Elementary] {
        switch self {
        case .rx, .crx: return [.rx]
        case .ry: return [.ry]
        case .rz: return [.rz]
        case .phaseShift: return [.phase]
        case .rot: return [.rz, .ry, .rz]
        case .h: return [.fixed(Mat2(invSqrt2, 0, invSqrt2, 0, invSqrt2, 0, -invSqrt2, 0))]
        case .x: return [.fixed(Mat2(0, 0, 1, 0, 1, 0, 0, 0))]
        case .y: return [.fixed(Mat2(0, 0, 0, -1, 0, 1, 0, 0))]
        case .z: return [.fixed(Mat2(1, 0, 0, 0, 0, 0, -1, 0))]
        case .cnot, .cz: return []
        }
    }

    /// Full 2x2 matrix of a single-qubit gate (or the target block of CRX) at the given angles.
    public func matrix(_ angles: [Double]) -> Mat2 {
        var m = Mat2.identity
        var k = 0
        for f in factors {
            if case .fixed = f { m = f.matrix(0) * m } else { m = f.matrix(angles[k]) * m; k += 1 }
        }
        return m
    }
}
