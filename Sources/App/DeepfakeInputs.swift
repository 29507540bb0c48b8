// DeepfakeInputs: the SessionInputs of `deepfake -c CONFIG`: the config's datasets (DataStage),
// its model (ModelFactory) and, for quantum models, their per-run setup and records
// (QuantumModels, QuantumRecords).

import Config
import Core
import Datasets
import Models
import NN
import Quantum
import Training

struct DeepfakeInputs: SessionInputs {
    let config: Config
    let request: RunRequest
    let threads: Threads

    /// Rank 0 downloads (unless offline) and re-sorts as asked; the other ranks, once the caches
    /// are ready, only read them (offline, no re-sort).
    func prepareData(log: RunLog, cachesReady: Bool) throws -> [PreparedRole] {
        try DataStage(config: config, offline: cachesReady || request.offline, resort: !cachesReady && request.resort,
                      log: log, threads: threads).prepareAll()
    }

    func makeModel(context: NNContext, grid: ProcessGrid, log: RunLog) throws -> ClassifierModel {
        try ModelFactory.make(config, context: context, stateGroup: grid.state, log: log)
    }

    func prepareRun(_ model: ClassifierModel, data: [PreparedData], folder: String, communicator: any Communicator,
                    grid: ProcessGrid, log: RunLog) throws {
        try QuantumModels.prepareRun(model, config: config, data: data, folder: folder, isRoot: communicator.isRoot,
                                     ranks: grid.groups, log: log)
    }

    func recordTestedWeights(_ model: ClassifierModel, folder: String, grid: ProcessGrid, log: RunLog) throws {
        try QuantumRecords.exportCircuits(model, config: config, folder: folder, groups: grid.groups, log: log)
    }
}
