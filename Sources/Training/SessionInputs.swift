// SessionInputs: what a TrainingSession is handed instead of building it itself: the run's data,
// its model, and the records that kind of model writes. The session owns the order (run folder and
// log first, then data, model, training, test) and the status file; the application (App's
// DeepfakeInputs) owns where data and models come from.

import Core
import Datasets
import Models
import NN
import Quantum

/// One prepared dataset of a run and what it is for.
public struct PreparedRole {
    /// "train" or "test".
    public var role: String
    public var data: PreparedData

    public init(role: String, data: PreparedData) {
        self.role = role; self.data = data
    }
}

public protocol SessionInputs {
    /// The run's data: the training data first, then the test data when the config tests on
    /// testData. Rank 0 calls it first (downloads and builds the caches, logging to `log`); after a
    /// barrier the other ranks call it with `cachesReady` (read the caches only, offline and quiet).
    func prepareData(log: RunLog, cachesReady: Bool) throws -> [PreparedRole]

    /// The model, initialised from the config's seed, running with `context` (threads and the
    /// data-parallel group); its quantum circuits share statevectors over `grid.state`.
    func makeModel(context: NNContext, grid: ProcessGrid, log: RunLog) throws -> ClassifierModel

    /// After the model is built, before training or testing, on every rank: checks and records
    /// the kind of model needs (for quantum models the statevector memory check, the QNN feature
    /// cache and, on rank 0, quantum_resources.json).
    func prepareRun(_ model: ClassifierModel, data: [PreparedData], folder: String, communicator: any Communicator,
                    grid: ProcessGrid, log: RunLog) throws

    /// Rank 0, once the weights to be tested are loaded: records written from them (the .qasm
    /// files with the tested angles).
    func recordTestedWeights(_ model: ClassifierModel, folder: String, grid: ProcessGrid, log: RunLog) throws
}
