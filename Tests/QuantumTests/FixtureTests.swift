// Values and Jacobians against PennyLane itself (fixtures from tools/pennylane_fixtures.py):
// both templates, 1..6 wires, all rotations, both diff methods, to 1e-10.

import XCTest
import Foundation
@testable import Quantum

final class FixtureTests: XCTestCase {
    struct Case {
        let template: LayerTemplate, wires: Int, layers: Int, rotation: EmbeddingRotation
        let inputs: [Double], weights: [Double], weightsJSON: Any
        let expvals: [Double], jacInputs: [[Double]], jacWeights: [[Double]]
    }

    static func flat(_ v: Any) -> [Double] {
        if let n = v as? NSNumber { return [n.doubleValue] }
        return (v as! [Any]).flatMap { flat($0) }
    }

    static func loadCases() throws -> [Case] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "pennylane_layers", withExtension: "json", subdirectory: "Fixtures"))
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return try (doc["cases"] as! [[String: Any]]).map { d in
            Case(template: try LayerTemplate.parse(d["template"] as! String), wires: d["wires"] as! Int,
                 layers: d["layers"] as! Int, rotation: try EmbeddingRotation.parse(d["rotation"] as! String),
                 inputs: Self.flat(d["inputs"]!), weights: Self.flat(d["weights"]!), weightsJSON: d["weights"]!,
                 expvals: Self.flat(d["expvals"]!), jacInputs: (d["jacobian_inputs"] as! [Any]).map { Self.flat($0) },
                 jacWeights: (d["jacobian_weights"] as! [Any]).map { Self.flat($0) })
        }
    }

    func testMatchesPennyLaneValuesAndJacobians() throws {
        let cases = try Self.loadCases()
        XCTAssertGreaterThanOrEqual(cases.count, 15)
        XCTAssertEqual(Set(cases.map { $0.wires }), Set(1...6))
        XCTAssertEqual(Set(cases.map { $0.rotation }), Set(EmbeddingRotation.allCases))
        for cs in cases {
            let c = Templates.layerCircuit(template: cs.template, wires: cs.wires, layers: cs.layers,
                                           features: cs.inputs.count, rotation: cs.rotation)
            XCTAssertEqual(c.nWeights, cs.weights.count)
            for method in DiffMethod.allCases {
                let j = Gradients.jacobian(circuit: c, inputs: cs.inputs, weights: cs.weights, method: method)
                let tag = "\(cs.template) n=\(cs.wires) L=\(cs.layers) \(cs.rotation) \(method)"
                for i in 0..<cs.wires {
                    XCTAssertEqual(j.expvals[i], cs.expvals[i], accuracy: 1e-10, tag)
                    for k in 0..<cs.inputs.count {
                        XCTAssertEqual(j.inputs[i * cs.inputs.count + k], cs.jacInputs[i][k], accuracy: 1e-10, tag)
                    }
                    for k in 0..<cs.weights.count {
                        XCTAssertEqual(j.weights[i * cs.weights.count + k], cs.jacWeights[i][k], accuracy: 1e-10, tag)
                    }
                }
            }
        }
    }

    func testJSONEvaluatorOnFixtures() throws {
        for cs in try Self.loadCases() where cs.wires >= 2 {
            let req: [String: Any] = ["template": cs.template.rawValue, "wires": cs.wires, "layers": cs.layers,
                                      "rotation": cs.rotation.rawValue, "inputs": cs.inputs, "weights": cs.weightsJSON]
            let out = try QLayerEvaluator.evaluate(json: JSONSerialization.data(withJSONObject: req))
            let d = try JSONSerialization.jsonObject(with: out) as! [String: Any]
            XCTAssertEqual(d["diff_method"] as? String, "adjoint")
            let e = Self.flat(d["expvals"]!)
            for i in 0..<cs.wires { XCTAssertEqual(e[i], cs.expvals[i], accuracy: 1e-10) }
            let jw = (d["jacobian_weights"] as! [Any]).map { Self.flat($0) }
            let ji = (d["jacobian_inputs"] as! [Any]).map { Self.flat($0) }
            XCTAssertEqual(jw.count, cs.wires)
            for i in 0..<cs.wires {
                XCTAssertEqual(ji[i].count, cs.inputs.count)
                for k in 0..<cs.weights.count { XCTAssertEqual(jw[i][k], cs.jacWeights[i][k], accuracy: 1e-10) }
                for k in 0..<cs.inputs.count { XCTAssertEqual(ji[i][k], cs.jacInputs[i][k], accuracy: 1e-10) }
            }
        }
    }
}
