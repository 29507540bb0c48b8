// JSON evaluator behind `deepfake qlayer FILE.json`: one quantum layer (AngleEmbedding + template)
// at given inputs and weights -> expvals and Jacobians, with errors that state the expected shape.

import Core
import Foundation

public enum QLayerEvaluator {
    /// Input: {"template": "strong"|"basic", "wires": n, "layers": L, "rotation": "X"|"Y"|"Z"
    /// (default X), "inputs": [k <= n], "weights": PennyLane shape [L, n, 3] or [L, n] nested,
    /// "diff_method": optional, "adjoint" (default) or "parameter-shift"}.
    /// Output: {"expvals": [n], "jacobian_inputs": [n][k], "jacobian_weights": [n][L*n*3 or L*n],
    /// "diff_method": the method that ran}.
    public static func evaluate(json: Data) throws -> Data {
        guard case .object(let obj)? = try? JSONDecoder().decode(JSONValue.self, from: json) else {
            throw DeepfakeError("qlayer: the file is not a JSON object; expected {\"template\", \"wires\", \"layers\", \"inputs\", \"weights\"}")
        }
        // JSON decoders keep the last of two equal keys silently; which one the user meant is unknowable.
        if let dup = duplicateKey(in: json) {
            throw DeepfakeError("qlayer: key '\(dup)' appears twice in one object; keep only the value you mean")
        }
        let known: Set<String> = ["template", "wires", "layers", "rotation", "inputs", "weights", "diff_method"]
        if let bad = obj.keys.sorted().first(where: { !known.contains($0) }) {
            throw DeepfakeError("qlayer: unknown key '\(bad)'; valid keys: \(known.sorted().joined(separator: ", "))")
        }
        guard case .string(let tName)? = obj["template"] else { throw DeepfakeError("qlayer: missing string 'template' (strong or basic)") }
        let template = try LayerTemplate.parse(tName)
        guard let wires = integer(obj["wires"]), wires >= 1 else { throw DeepfakeError("qlayer: 'wires' must be an integer >= 1") }
        guard wires <= 20 else { throw DeepfakeError("qlayer: 'wires' = \(wires) is too large for full Jacobians; use <= 20") }
        guard let layers = integer(obj["layers"]), layers >= 1 else { throw DeepfakeError("qlayer: 'layers' must be an integer >= 1") }
        let rotation = try EmbeddingRotation.parse(string(obj["rotation"]) ?? "X")
        guard let inputs = numbers(obj["inputs"]) else { throw DeepfakeError("qlayer: 'inputs' must be a list of numbers of length <= wires (\(wires))") }
        guard inputs.count <= wires else {
            throw DeepfakeError("qlayer: 'inputs' has \(inputs.count) features but AngleEmbedding allows at most wires = \(wires)")
        }
        let shape = template.weightShape(layers: layers, wires: wires)
        let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        guard let weights = flatten(obj["weights"], shape: shape) else {
            throw DeepfakeError("qlayer: 'weights' must have shape \(shapeText) for template '\(template.rawValue)' with \(layers) layer(s) on \(wires) wire(s)")
        }
        let methodName = string(obj["diff_method"]) ?? DiffMethod.adjoint.rawValue
        guard let method = DiffMethod(rawValue: methodName) else {
            throw DeepfakeError("qlayer: unknown diff_method '\(methodName)'; valid choices: \(DiffMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let circuit = Templates.layerCircuit(template: template, wires: wires, layers: layers,
                                             features: inputs.count, rotation: rotation)
        let j = Gradients.jacobian(circuit: circuit, inputs: inputs, weights: weights, method: method)
        func rows(_ flat: [Double], _ cols: Int) -> [[Double]] {
            (0..<wires).map { i in Array(flat[(i * cols)..<(i * cols + cols)]) }
        }
        let out: [String: Any] = ["expvals": j.expvals, "jacobian_inputs": rows(j.inputs, inputs.count),
                                  "jacobian_weights": rows(j.weights, weights.count),
                                  "diff_method": method.rawValue]
        return try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
    }

    /// Reads the input file of `deepfake qlayer FILE`, with errors that name the problem and the fix.
    public static func readInput(path: String) throws -> Data {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DeepfakeError("qlayer: input file \(path) does not exist: check the path, or pass - to read the JSON from standard input")
        }
        if isDir.boolValue { throw DeepfakeError("qlayer: \(path) is a folder: pass the JSON file itself") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeepfakeError("qlayer: cannot read \(path) (\(String(cString: strerror(errno)))): check its permissions")
        }
        return data
    }

    /// The first key that occurs twice in one object of a valid JSON text, or nil.
    static func duplicateKey(in json: Data) -> String? {
        let b = [UInt8](json)
        var stack: [(isObject: Bool, keys: Set<String>, expectKey: Bool)] = []
        var i = 0
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "{"): stack.append((true, [], true))
            case UInt8(ascii: "["): stack.append((false, [], false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
            case UInt8(ascii: ","): if stack.last?.isObject == true { stack[stack.count - 1].expectKey = true }
            case UInt8(ascii: "\""):
                var j = i + 1
                while j < b.count && b[j] != UInt8(ascii: "\"") { j += b[j] == UInt8(ascii: "\\") ? 2 : 1 }
                if let top = stack.last, top.isObject, top.expectKey {
                    let raw = Data(b[i...min(j, b.count - 1)])
                    let key = (try? JSONSerialization.jsonObject(with: raw, options: .fragmentsAllowed) as? String) ?? String(decoding: raw, as: UTF8.self)
                    if !stack[stack.count - 1].keys.insert(key).inserted { return key }
                    stack[stack.count - 1].expectKey = false
                }
                i = j
            default: break
            }
            i += 1
        }
        return nil
    }

    private static func string(_ v: JSONValue?) -> String? {
        if case .string(let s)? = v { return s }
        return nil
    }

    private static func integer(_ v: JSONValue?) -> Int? {
        guard case .number(let d)? = v, d == d.rounded(), abs(d) < 1e9 else { return nil }
        return Int(d)
    }

    private static func numbers(_ v: JSONValue?) -> [Double]? {
        guard case .array(let a)? = v else { return nil }
        var out: [Double] = []
        for x in a { guard case .number(let d) = x else { return nil }; out.append(d) }
        return out
    }

    /// Row-major flattening of a nested list that must match `shape` exactly.
    private static func flatten(_ v: JSONValue?, shape: [Int]) -> [Double]? {
        if shape.count == 1 {
            guard let xs = numbers(v), xs.count == shape[0] else { return nil }
            return xs
        }
        guard case .array(let a)? = v, a.count == shape[0] else { return nil }
        var out: [Double] = []
        for x in a { guard let sub = flatten(x, shape: Array(shape.dropFirst())) else { return nil }; out += sub }
        return out
    }
}

/// Minimal JSON tree; booleans stay distinct from numbers (true is not 1).
enum JSONValue: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}
