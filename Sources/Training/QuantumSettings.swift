// QuantumSettings: the one mapping from the config's quantum options (Config's enums: the
// user-facing names, which exist only there) to what the Quantum engine runs. Plain switches from
// enum to enum, no names turned into strings and parsed again; the config's name is kept only as
// the record of what was requested.

import Config
import Quantum

/// A config device (`qubitType`) and what runs for it.
public struct DeviceChoice: Sendable, Equatable {
    public let requested: String
    public let actual: String
    public let note: String
}

/// A config `diffType` and the method that runs for it.
public struct DiffChoice: Sendable, Equatable {
    public let requested: String
    public let method: DiffMethod
    public let note: String
}

public struct QuantumSettings: Sendable, Equatable {
    public let device: DeviceChoice
    public let diff: DiffChoice
    public let template: LayerTemplate

    public init(_ config: Config) {
        device = Self.device(config.qubitType)
        diff = Self.diff(config.diffType)
        template = Self.template(config.typeLayers)
    }

    /// Every device runs on the one simulator; the note says whether the name meant it.
    public static func device(_ q: QubitType) -> DeviceChoice {
        let backend = SimulatorBackend.name
        switch q {
        case .defaultQubit, .lightningQubit:
            return DeviceChoice(requested: q.rawValue, actual: backend, note: "'\(q.rawValue)' runs on \(backend)")
        case .lightningGPU, .softwareqQpp, .nvidiaCustatevec, .nvidiaCutensornet:
            return DeviceChoice(requested: q.rawValue, actual: backend,
                                note: "'\(q.rawValue)' requested; no such backend is built in, so it runs on \(backend)")
        }
    }

    /// adjoint and parameter-shift run as named; best, default and backprop run as adjoint (exact,
    /// one forward plus one backward sweep, like backprop without storing intermediates).
    public static func diff(_ d: DiffType) -> DiffChoice {
        switch d {
        case .adjoint:
            return DiffChoice(requested: d.rawValue, method: .adjoint, note: "adjoint differentiation")
        case .parameterShift:
            return DiffChoice(requested: d.rawValue, method: .parameterShift,
                              note: "parameter-shift rule: every shifted circuit of a batch runs as one batch")
        case .best, .default, .backprop:
            return DiffChoice(requested: d.rawValue, method: .adjoint,
                              note: "'\(d.rawValue)' resolved to adjoint: exact gradients in one backward sweep on this statevector simulator")
        }
    }

    public static func template(_ t: TypeLayers) -> LayerTemplate {
        switch t {
        case .strong: return .strong
        case .basic: return .basic
        }
    }
}
