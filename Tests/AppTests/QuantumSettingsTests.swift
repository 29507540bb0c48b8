// QuantumSettings: every config device and diffType maps to what runs, by a switch over Config's
// enums (no names parsed again); best/default/backprop resolve to adjoint with the note saying so.

import Config
import Quantum
import XCTest
@testable import App
@testable import Training

final class QuantumSettingsTests: XCTestCase {
    func testEveryDiffTypeResolvesToAMethodThatRuns() {
        XCTAssertEqual(QuantumSettings.diff(.adjoint).method, .adjoint)
        XCTAssertEqual(QuantumSettings.diff(.parameterShift).method, .parameterShift)
        for d in [DiffType.best, .default, .backprop] {
            let r = QuantumSettings.diff(d)
            XCTAssertEqual(r.method, .adjoint)
            XCTAssertEqual(r.requested, d.rawValue)
            XCTAssertTrue(r.note.contains("resolved to adjoint"), r.note)
        }
        XCTAssertEqual(Set(DiffType.allCases.map { QuantumSettings.diff($0).method }), Set(DiffMethod.allCases))
    }

    func testEveryDeviceRunsOnTheSimulatorAndSaysWhetherItWasMeant() {
        for q in QubitType.allCases {
            let d = QuantumSettings.device(q)
            XCTAssertEqual(d.requested, q.rawValue)
            XCTAssertEqual(d.actual, SimulatorBackend.name)
        }
        XCTAssertTrue(QuantumSettings.device(.lightningGPU).note.contains("no such backend"))
        XCTAssertFalse(QuantumSettings.device(.defaultQubit).note.contains("no such backend"))
    }

    func testConfigMapsToTheLayerTemplate() {
        var c = Config(modelType: .quantum)
        c.typeLayers = .basic; c.diffType = .parameterShift; c.qubitType = .nvidiaCustatevec
        let s = QuantumSettings(c)
        XCTAssertEqual(s.template, .basic)
        XCTAssertEqual(s.diff.method, .parameterShift)
        XCTAssertEqual(s.device.requested, "nvidia.custatevec")
        XCTAssertEqual(QuantumSettings.template(.strong), .strong)
    }
}
