// Device names of the old PennyLane-based tool, all served by this simulator; the resolution
// records what was requested and what actually runs, for logs and result files.

import Core

public struct QuantumDevice: Sendable, Equatable {
    /// The old tool's device names (config `qubitType`).
    public static let acceptedNames = ["default.qubit", "lightning.qubit", "lightning.gpu",
                                       "softwareq.qpp", "nvidia.custatevec", "nvidia.cutensornet"]
    /// What actually runs for every accepted name.
    public static let backend = "swift-statevector (CPU, complex double, batched, fused gates)"

    public let requested: String
    public let actual: String
    /// Human-readable note, e.g. why a GPU device runs on the CPU simulator.
    public let note: String

    public static func resolve(_ name: String) throws -> QuantumDevice {
        guard acceptedNames.contains(name) else {
            throw DeepfakeError("unknown quantum device '\(name)' (qubitType); valid choices: \(acceptedNames.joined(separator: ", "))")
        }
        let note = name == "default.qubit" || name == "lightning.qubit"
            ? "'\(name)' runs on \(backend)"
            : "'\(name)' requested; no such backend is built in, so it runs on \(backend)"
        return QuantumDevice(requested: name, actual: backend, note: note)
    }
}
