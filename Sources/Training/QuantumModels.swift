// QuantumModels: HQNN and QNN construction from the config (wired to the Models target).

import Config
import Core
import Models

enum QuantumModels {
    static func make(_ config: Config, seed: UInt64, log: RunLog) throws -> ClassifierModel {
        throw DeepfakeError("modelType Quantum (quanType \(config.quanType.rawValue)) is not built into this version yet: use modelType Classic")
    }
}
