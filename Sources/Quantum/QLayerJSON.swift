// JSON evaluator behind `deepfake qlayer FILE.json`: one quantum layer (AngleEmbedding + template)
// at given inputs and weights -> expvals and Jacobians, with errors that state the expected shape.

import Core
import Foundation

public enum QLayerEvaluator {
    /// Input: {"template": "strong"|"basic", "wires": n, "layers": L, "rotation": "X"|"Y"|"Z"
    /// (default X), "inputs": [k <= n], "weights": PennyLane shape [L, n, 3] or [L, n] nested,
    /// "diff_method": optional (default "best")}.
    /// Output: {"expvals": [n], "jacobian_inputs": [n][k], "jacobian_weights": [n][L*n*3 or L*n],
    /// "diff_method": method that ran, "diff_note": why}.
    public static func evaluate(json: Data) throws -> Data {
        guard let obj = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw DeepfakeError("qlayer: the file is not a JSON object; expected {\"template\", \"wires\", \"layers\", \"inputs\", \"weights\"}")
        }
        let known: Set<String> = ["template", "wires", "layers", "rotation", "inputs", "weights", "diff_method"]
        if let bad = obj.keys.sorted().first(where: { !known.contains($0) }) {
            throw DeepfakeError("qlayer: unknown key '\(bad)'; valid keys: \(known.sorted().joined(separator: ", "))")
        }
        guard let tName = obj["template"] as? String else { throw DeepfakeError("qlayer: missing string 'template' (strong or basic)") }
        let template = try LayerTemplate.parse(tName)
        guard let wires = integer(obj["wires"]), wires >= 1 else { throw DeepfakeError("qlayer: 'wires' must be an integer >= 1") }
        guard wires <= 20 else { throw DeepfakeError("qlayer: 'wires' = \(wires) is too large for full Jacobians; use <= 20") }
        guard let layers = integer(obj["layers"]), layers >= 1 else { throw DeepfakeError("qlayer: 'layers' must be an integer >= 1") }
        let rotation = try EmbeddingRotation.parse(obj["rotation"] as? String ?? "X")
        guard let inputs = numbers(obj["inputs"]) else { throw DeepfakeError("qlayer: 'inputs' must be a list of numbers of length <= wires (\(wires))") }
        guard inputs.count <= wires else {
            throw DeepfakeError("qlayer: 'inputs' has \(inputs.count) features but AngleEmbedding allows at most wires = \(wires)")
        }
        let shape = template.weightShape(layers: layers, wires: wires)
        let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        guard let weights = flatten(obj["weights"], shape: shape) else {
            throw DeepfakeError("qlayer: 'weights' must have shape \(shapeText) for template '\(template.rawValue)' with \(layers) layer(s) on \(wires) wire(s)")
        }
        let res = try DiffMethod.resolve(obj["diff_method"] as? String ?? "best")
        let circuit = Templates.layerCircuit(template: template, wires: wires, layers: layers,
                                             features: inputs.count, rotation: rotation)
        let j = Gradients.jacobian(circuit: circuit, inputs: inputs, weights: weights, method: res.method)
        func rows(_ flat: [Double], _ cols: Int) -> [[Double]] {
            (0..<wires).map { i in Array(flat[(i * cols)..<(i * cols + cols)]) }
        }
        let out: [String: Any] = ["expvals": j.expvals, "jacobian_inputs": rows(j.inputs, inputs.count),
                                  "jacobian_weights": rows(j.weights, weights.count),
                                  "diff_method": res.method.rawValue, "diff_note": res.note]
        return try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
    }

    private static func integer(_ v: Any?) -> Int? {
        guard !(v is Bool), let d = (v as? NSNumber)?.doubleValue, d == d.rounded() else { return nil }
        return Int(d)
    }

    private static func numbers(_ v: Any?) -> [Double]? {
        guard let a = v as? [Any] else { return nil }
        var out: [Double] = []
        for x in a { guard !(x is Bool), let n = x as? NSNumber else { return nil }; out.append(n.doubleValue) }
        return out
    }

    /// Row-major flattening of a nested list that must match `shape` exactly.
    private static func flatten(_ v: Any?, shape: [Int]) -> [Double]? {
        if shape.count == 1 {
            guard let xs = numbers(v), xs.count == shape[0] else { return nil }
            return xs
        }
        guard let a = v as? [Any], a.count == shape[0] else { return nil }
        var out: [Double] = []
        for x in a { guard let sub = flatten(x, shape: Array(shape.dropFirst())) else { return nil }; out += sub }
        return out
    }
}
