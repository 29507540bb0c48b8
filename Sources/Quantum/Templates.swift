// Circuit templates with PennyLane's exact gate order: AngleEmbedding, StronglyEntanglingLayers,
// BasicEntanglerLayers, and a documented seeded random layer for the quanvolution.

import Core

/// Rotation axis of AngleEmbedding (PennyLane's `rotation="X"|"Y"|"Z"`).
public enum EmbeddingRotation: String, CaseIterable, Sendable {
    case x = "X", y = "Y", z = "Z"
    var gate: GateKind { switch self { case .x: return .rx; case .y: return .ry; case .z: return .rz } }

    public static func parse(_ s: String) throws -> EmbeddingRotation {
        guard let r = EmbeddingRotation(rawValue: s.uppercased()) else {
            throw DeepfakeError("unknown embedding rotation '\(s)'; valid choices: X, Y, Z")
        }
        return r
    }
}

/// Trainable layer templates (config `typeLayers`).
public enum LayerTemplate: String, CaseIterable, Sendable {
    case strong, basic

    public static func parse(_ s: String) throws -> LayerTemplate {
        guard let t = LayerTemplate(rawValue: s.lowercased()) else {
            throw DeepfakeError("unknown layer template '\(s)'; valid choices: strong, basic")
        }
        return t
    }

    /// PennyLane's weight shape: strong [L, n, 3], basic [L, n].
    public func weightShape(layers: Int, wires: Int) -> [Int] {
        self == .strong ? [layers, wires, 3] : [layers, wires]
    }
}

public enum Templates {
    /// AngleEmbedding: rotation(scale * inputs[inputOffset + i]) on wire i for i < features.
    /// Fewer features than wires use the first wires (PennyLane semantics).
    public static func angleEmbedding(_ c: inout Circuit, features: Int, rotation: EmbeddingRotation = .x,
                                      inputOffset: Int = 0, scale: Double = 1) {
        precondition(features <= c.nQubits, "AngleEmbedding: \(features) features > \(c.nQubits) wires")
        for i in 0..<features { c.append(rotation.gate, wires: [i], params: [.input(inputOffset + i, scale: scale)]) }
    }

    /// StronglyEntanglingLayers, weights [L, n, 3] row-major from `weightOffset`: in layer l,
    /// Rot(w[l,i,0], w[l,i,1], w[l,i,2]) on every wire i, then (n > 1) CNOT(i, (i + r) mod n)
    /// for every i with r = (l mod (n - 1)) + 1.
    public static func stronglyEntangling(_ c: inout Circuit, layers: Int, weightOffset: Int = 0) {
        let n = c.nQubits
        for l in 0..<layers {
            for i in 0..<n {
                let b = weightOffset + (l * n + i) * 3
                c.append(.rot, wires: [i], params: [.weight(b), .weight(b + 1), .weight(b + 2)])
            }
            if n > 1 {
                let r = (l % (n - 1)) + 1
                for i in 0..<n { c.append(.cnot, wires: [i, (i + r) % n]) }
            }
        }
    }

    /// BasicEntanglerLayers, weights [L, n]: RX(w[l,i]) on every wire, then a CNOT ring:
    /// none for n = 1, a single CNOT(0, 1) for n = 2, otherwise CNOT(i, (i + 1) mod n) for all i.
    public static func basicEntangler(_ c: inout Circuit, layers: Int, weightOffset: Int = 0) {
        let n = c.nQubits
        for l in 0..<layers {
            for i in 0..<n { c.append(.rx, wires: [i], params: [.weight(weightOffset + l * n + i)]) }
            if n == 2 {
                c.append(.cnot, wires: [0, 1])
            } else if n > 2 {
                for i in 0..<n { c.append(.cnot, wires: [i, (i + 1) % n]) }
            }
        }
    }

    /// AngleEmbedding of `features` inputs followed by `layers` of a template; nInputs =
    /// features, nWeights = product of the template's PennyLane weight shape.
    public static func layerCircuit(template: LayerTemplate, wires: Int, layers: Int,
                                    features: Int, rotation: EmbeddingRotation = .x) -> Circuit {
        let nW = template.weightShape(layers: layers, wires: wires).reduce(1, *)
        var c = Circuit(nQubits: wires, nInputs: features, nWeights: nW)
        angleEmbedding(&c, features: features, rotation: rotation)
        switch template {
        case .strong: stronglyEntangling(&c, layers: layers)
        case .basic: basicEntangler(&c, layers: layers)
        }
        return c
    }

    /// A seeded random layer in the spirit of PennyLane's RandomLayers (it does not reproduce
    /// PennyLane's NumPy RNG). Recipe, with rng = SeededRNG(seed: seed, stream: "random-layer"):
    /// for each layer l, for rotation slot i in 0..<rotations: while rng.uniform() <= ratioImprimitive
    /// and wires > 1, append CNOT(a, b) with a = rng.below(wires), b = a distinct rng.below pick;
    /// then append a rotation chosen by rng.below(3) from (RX, RY, RZ) on wire rng.below(wires)
    /// with angle weights[l * rotations + i]. Weight values are a separate matter (see
    /// `randomLayerWeights`); the wire/gate choices depend only on (seed, layers, rotations, wires).
    public static func randomLayer(_ c: inout Circuit, layers: Int, rotations: Int, seed: UInt64,
                                   ratioImprimitive: Double = 0.3, weightOffset: Int = 0) {
        var rng = SeededRNG(seed: seed, stream: "random-layer")
        let n = c.nQubits
        let gates: [GateKind] = [.rx, .ry, .rz]
        for l in 0..<layers {
            for i in 0..<rotations {
                while n > 1 && rng.uniform() <= ratioImprimitive {
                    let a = rng.below(n)
                    var b = rng.below(n - 1)
                    if b >= a { b += 1 }
                    c.append(.cnot, wires: [a, b])
                }
                let g = gates[rng.below(3)]
                let w = rng.below(n)
                c.append(g, wires: [w], params: [.weight(weightOffset + l * rotations + i)])
            }
        }
    }

    /// Fixed angles for the random layer: uniform in [0, 2 pi) from
    /// SeededRNG(seed: seed, stream: "random-layer-weights"), count = layers * rotations.
    public static func randomLayerWeights(layers: Int, rotations: Int, seed: UInt64) -> [Double] {
        var rng = SeededRNG(seed: seed, stream: "random-layer-weights")
        return (0..<(layers * rotations)).map { _ in 2 * Double.pi * rng.uniform() }
    }
}
