// Resources (gate counts, depth, parameters, counted executions per step) on hand-computed cases, the
// OpenQASM 3 text of small circuits, and the qlayer JSON evaluator's happy path and errors.

import XCTest
import Foundation
@testable import Quantum

final class ResourceAndJSONTests: XCTestCase {
    func testResourcesOfStrongLayersHandComputed() {
        let c = Templates.layerCircuit(template: .strong, wires: 3, layers: 2, features: 3)
        let r = CircuitResources(c)
        XCTAssertEqual(r.qubits, 3)
        XCTAssertEqual(r.gateCounts, ["RX": 3, "Rot": 6, "CNOT": 6])
        XCTAssertEqual(r.totalGates, 15)
        // RX (1), Rot (2), CNOTs (0,1)->3 (1,2)->4 (2,0)->5, Rot -> 6/5/6, (0,2)->7 (1,0)->8 (2,1)->9.
        XCTAssertEqual(r.depth, 9)
        XCTAssertEqual(r.trainableParameters, 18)
        XCTAssertEqual(r.inputParameters, 3)
        // Counted by the executor: adjoint runs 4 forward circuits and 4 sweeps; parameter-shift
        // runs 4 forward and 4 * 2 * (3 input + 18 weight angles) shifted circuits.
        XCTAssertEqual(countedStep(c, batch: 4, method: .adjoint), CircuitCounters(forward: 4, shifted: 0, adjointSweeps: 4))
        XCTAssertEqual(countedStep(c, batch: 4, method: .parameterShift), CircuitCounters(forward: 4, shifted: 4 * 2 * 21, adjointSweeps: 0))
    }

    func testResourcesOfBasicLayersAndCRX() {
        let b = CircuitResources(Templates.layerCircuit(template: .basic, wires: 2, layers: 3, features: 1))
        XCTAssertEqual(b.gateCounts, ["RX": 7, "CNOT": 3])
        XCTAssertEqual(b.depth, 1 + 3 * 2)  // RX on wire 0, then (RX, CNOT) per layer
        var c = Circuit(nQubits: 3, nInputs: 0, nWeights: 1)
        c.append(.h, wires: [0]); c.append(.h, wires: [2]); c.append(.crx, wires: [0, 1], params: [.weight(0)])
        XCTAssertEqual(CircuitResources(c).depth, 2)
        // CRX takes the four-term rule: 4 shifted circuits per sample.
        XCTAssertEqual(countedStep(c, batch: 2, method: .parameterShift).evaluations, 2 * 5)
    }

    /// What an executor counts over one forward + backward of `batch` random samples.
    func countedStep(_ c: Circuit, batch: Int, method: DiffMethod) -> CircuitCounters {
        var rng = TestRNG(s: 5)
        let ex = CircuitExecutor(circuit: c, settings: .serial)
        _ = ex.forward(inputs: rng.angles(batch * c.nInputs), batch: batch, weights: rng.angles(c.nWeights))
        _ = ex.backward(upstream: rng.angles(batch * c.nQubits), method: method)
        return ex.counters
    }

    func testOpenQASMExport() {
        let c = Templates.layerCircuit(template: .basic, wires: 2, layers: 1, features: 2, rotation: .y)
        XCTAssertEqual(OpenQASM.export(c, inputs: [0.5, -1.25], weights: [0.1, 2.0]), """
            OPENQASM 3.0;
            include "stdgates.inc";
            qubit[2] q;
            bit[2] c;
            ry(0.5) q[0];
            ry(-1.25) q[1];
            rx(0.1) q[0];
            rx(2.0) q[1];
            cx q[0], q[1];
            c = measure q;

            """)
        var r = Circuit(nQubits: 2, nInputs: 0, nWeights: 3)
        r.append(.rot, wires: [1], params: [.weight(0), .weight(1), .weight(2)])
        r.append(.phaseShift, wires: [0], params: [.constant(0.25)])
        r.append(.crx, wires: [1, 0], params: [.weight(2)])
        r.append(.cz, wires: [0, 1]); r.append(.h, wires: [0]); r.append(.y, wires: [1])
        let text = OpenQASM.export(r, inputs: [], weights: [0.1, 0.2, 0.3])
        XCTAssertTrue(text.contains("rz(0.1) q[1];\nry(0.2) q[1];\nrz(0.3) q[1];\np(0.25) q[0];\ncrx(0.3) q[1], q[0];\ncz q[0], q[1];\nh q[0];\ny q[1];\n"), text)
    }

    func evaluate(_ obj: [String: Any]) throws -> [String: Any] {
        let out = try QLayerEvaluator.evaluate(json: JSONSerialization.data(withJSONObject: obj))
        return try JSONSerialization.jsonObject(with: out) as! [String: Any]
    }

    func testJSONHappyPathWithParameterShift() throws {
        let w: [[Double]] = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
        let d = try evaluate(["template": "basic", "wires": 3, "layers": 2, "inputs": [1, 0], "weights": w,
                              "diff_method": "parameter-shift"])
        XCTAssertEqual(d["diff_method"] as? String, "parameter-shift")
        let c = Templates.layerCircuit(template: .basic, wires: 3, layers: 2, features: 2)
        let ref = Dense.expvals(c, inputs: [1, 0], weights: w.flatMap { $0 })
        let e = (d["expvals"] as! [Any]).map { ($0 as! NSNumber).doubleValue }
        for i in 0..<3 { XCTAssertEqual(e[i], ref[i], accuracy: 1e-12) }
        XCTAssertEqual((d["jacobian_inputs"] as! [[Any]]).map { $0.count }, [2, 2, 2])
        XCTAssertEqual((d["jacobian_weights"] as! [[Any]]).map { $0.count }, [6, 6, 6])
        let plain = try evaluate(["template": "strong", "wires": 1, "layers": 1, "inputs": [0.3],
                                  "weights": [[[0.1, 0.2, 0.3]]], "rotation": "Z"])
        XCTAssertEqual(plain["diff_method"] as? String, "adjoint")
        // The evaluator takes the simulator's own method names; config aliases (best, backprop)
        // belong to the config and are an error here that lists the valid names.
        assertError(["template": "strong", "wires": 1, "layers": 1, "inputs": [0.3], "weights": [[[0.1, 0.2, 0.3]]],
                     "diff_method": "best"], ["best", "adjoint", "parameter-shift"])
    }

    func assertError(_ obj: Any, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        let data = (obj as? Data) ?? (try! JSONSerialization.data(withJSONObject: obj))
        XCTAssertThrowsError(try QLayerEvaluator.evaluate(json: data), file: file, line: line) { e in
            let m = "\(e)"
            for f in fragments { XCTAssertTrue(m.contains(f), "'\(m)' lacks '\(f)'", file: file, line: line) }
        }
    }

    func testJSONErrors() {
        let ok: [String: Any] = ["template": "strong", "wires": 2, "layers": 1, "inputs": [0.1, 0.2],
                                 "weights": [[[0, 0, 0], [0, 0, 0]]]]
        XCTAssertNoThrow(try evaluate(ok))
        func with(_ k: String, _ v: Any?) -> [String: Any] { var o = ok; o[k] = v; return o }
        assertError(Data("[1, 2]".utf8), ["not a JSON object"])
        assertError(Data("{".utf8), ["not a JSON object"])
        assertError(with("wire", 3), ["unknown key 'wire'", "wires"])
        assertError(with("template", "fancy"), ["fancy", "strong, basic"])
        assertError(with("template", nil), ["missing string 'template'"])
        assertError(with("wires", 0), ["'wires' must be an integer >= 1"])
        assertError(with("wires", 2.5), ["'wires' must be an integer"])
        assertError(with("layers", true), ["'layers' must be an integer"])
        assertError(with("rotation", "W"), ["'W'", "X, Y, Z"])
        assertError(with("inputs", [0.1, 0.2, 0.3]), ["3 features", "wires = 2"])
        assertError(with("inputs", ["a"]), ["'inputs' must be a list of numbers"])
        assertError(with("weights", [[0, 0, 0], [0, 0, 0]]), ["shape [1, 2, 3]", "'strong'"])
        assertError(with("weights", [[[0, 0, 0], [0, 0]]]), ["shape [1, 2, 3]"])
        var basic = ok; basic["template"] = "basic"
        assertError(basic, ["shape [1, 2]", "'basic'"])
        assertError(with("diff_method", "spsa"), ["spsa", "parameter-shift"])
    }
}

/// `deepfake qlayer` input problems (issue 9, probing defect 9): a missing file printed raw
/// NSCocoaErrorDomain text, and a duplicated key was silently resolved to its last value.
final class QLayerInputTests: XCTestCase {
    func testMissingFileAndFolderNameTheProblem() throws {
        XCTAssertThrowsError(try QLayerEvaluator.readInput(path: "/nonexistent/layer.json")) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("does not exist") && m.contains("/nonexistent/layer.json"), m)
            XCTAssertFalse(m.contains("NSCocoaErrorDomain"), m)
        }
        XCTAssertThrowsError(try QLayerEvaluator.readInput(path: NSTemporaryDirectory())) { e in
            XCTAssertTrue("\(e)".contains("is a folder"), "\(e)")
        }
    }

    func testDuplicateKeysAreRefused() throws {
        let dup = #"{"template": "strong", "wires": 2, "layers": 1, "inputs": [0.1], "weights": [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]], "template": "basic"}"#
        XCTAssertThrowsError(try QLayerEvaluator.evaluate(json: Data(dup.utf8))) { e in
            XCTAssertTrue("\(e)".contains("key 'template' appears twice"), "\(e)")
        }
        // The same text without the duplicate evaluates; equal keys in different objects are fine.
        let ok = #"{"template": "strong", "wires": 2, "layers": 1, "inputs": [0.1], "weights": [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]]}"#
        XCTAssertNoThrow(try QLayerEvaluator.evaluate(json: Data(ok.utf8)))
        XCTAssertNil(QLayerEvaluator.duplicateKey(in: Data(#"{"a": {"a": 1, "b": "x,\"a\""}, "b": [{"a": 1}, {"a": 2}]}"#.utf8)))
        XCTAssertEqual(QLayerEvaluator.duplicateKey(in: Data(#"{"a": {"k": 1, "k": 2}}"#.utf8)), "k")
        XCTAssertEqual(QLayerEvaluator.duplicateKey(in: Data(#"{"t\u0061g": 1, "tag": 2}"#.utf8)), "tag")
    }
}
