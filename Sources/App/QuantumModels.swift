// QuantumModels: HQNN and QNN construction from the config, plus the per-run setup they need
// (the QNN feature cache, the quantum_resources.json / .qasm records; see QuantumRecords.swift).

import Config
import Core
import Datasets
import Foundation
import Models
import NN
import Quantum
import Training

enum QuantumModels {
    /// Builds the model of `config.quanType` (HQNN or QNN, or its classical twin) with the
    /// differentiation method the config resolves to, logging the device and method requested vs
    /// what runs. `context`: the run's threads (also the circuit executors') and data-parallel group.
    static func make(_ config: Config, seed: UInt64, context: NNContext, stateGroup: (any Communicator)? = nil,
                     log: RunLog) throws -> ClassifierModel {
        let q = QuantumSettings(config)
        if config.classicalTwin {
            log.info("classicalTwin: every quantum layer is replaced by a classical layer with the same inputs, outputs and trainable-parameter count")
        } else {
            log.info("quantum device: \(q.device.note); diffType: \(q.diff.note)")
        }
        switch config.quanType {
        case .hqnn:
            let model = HQNNModel(numChannels: config.numChannels, numClasses: 2, qubits: config.nQubits,
                                  circuits: config.nQuantumLayers, layers: config.nLayers, template: q.template,
                                  diffMethod: q.diff.method, classicalTwin: config.classicalTwin, seed: seed,
                                  stem: .forImage(height: config.imageHeight, width: config.imageWidth), context: context,
                                  stateGroup: stateGroup)
            // A Classic run's best.h5 (warm start) gives the circuits the same trained features the
            // Classic model had: the fair way to ask what they add.
            if let file = ModelFactory.torchvisionWeightsFile(config.modelPath),
               try !ModelFactory.warmStartIfCheckpoint(model.network, file: file, log: log) {
                let n = try loadBodyWeights(model.network, path: file)
                log.info("loaded \(n) torchvision ResNet-18 tensors from \(file) into the HQNN's CNN body (fc/head keep their fresh initialisation)")
            }
            return model
        case .qnn:
            let mode = qnnMode(config)
            if config.trainable && config.patch {
                log.info("QNN: trainable and patch both set; they coincide here (a trainable circuit is always applied patch-wise as a layer)")
            }
            log.info("QNN quanvolution mode: \(mode.rawValue) (" + [
                QuanvLayer.Mode.cached: "trainable: false, patch: false: the fixed circuit's features are computed once per dataset and cached in HDF5",
                .fixed: "patch: true: the fixed circuit runs as a layer in every forward pass, no cache",
                .trainable: "trainable: true: the circuit angles are learned end to end with \(q.diff.method.rawValue) gradients",
            ][mode]! + ")")
            let norm = Normalisation.imageNet(channels: config.numChannels)
            return QNNModel(numChannels: config.numChannels, seed: seed, mode: mode, mean: norm.mean, std: norm.std,
                            diffMethod: q.diff.method, classicalTwin: config.classicalTwin, context: context,
                            stateGroup: stateGroup)
        }
    }

    /// Refuses a run whose statevectors cannot fit the budget (statevectorMemoryMB, default half of
    /// this machine's memory; StatevectorPlan checks the same before the model is built), instead of
    /// failing mid-run. The bytes come from the model's executors (the same sizing rules their
    /// allocations use): every circuit copy's states, the adjoint workspace or the
    /// parameter-shift batch, for `perRankBatch` images (the most any rank gets in one step).
    static func checkStateMemory(_ model: ClassifierModel, config: Config, perRankBatch: Int,
                                 physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) throws {
        guard let q = model as? QuantumCircuitModel else { return }
        let bytes = Double(q.quantumStateBytes(batch: perRankBatch, height: config.imageHeight, width: config.imageWidth).total)
        let limit = StatevectorPlan.budgetBytes(config, physicalMemory: physicalMemory)
        guard bytes <= limit else {
            throw DeepfakeError(String(format: "%@ with nQubits %d, nQuantumLayers %d, diffType %@ and %d images per rank per step needs %.1f GB "
                + "of statevectors but the budget is %.1f GB per rank (statevectorMemoryMB; 0 = half of this machine's memory): lower nQubits (each qubit less halves it), "
                + "batchSize or nQuantumLayers, use diffType adjoint, or spread the circuits over more ranks (statevectorRanks: HQNN states sharded, trainable QNN patches shared)", model.name, config.nQubits, config.nQuantumLayers,
                config.diffType.rawValue, perRankBatch, bytes / 1e9, limit / 1e9))
        }
    }

    /// The most images one rank gets in a training step: ceil(global batch / ranks).
    static func perRankBatch(_ config: Config, ranks: Int) -> Int {
        RankBatch.largestShare(global: config.batchSize, ranks: ranks)
    }

    /// trainable -> trainable (patch irrelevant); patch only -> fixed layer; neither -> cached.
    static func qnnMode(_ c: Config) -> QuanvLayer.Mode {
        c.trainable ? .trainable : (c.patch ? .fixed : .cached)
    }

    /// Copies every tensor of the file whose name and shape fit a network entry (the CNN body's
    /// torchvision names; Models' NamedWeights, so an RGB conv1 is summed for greyscale as the
    /// Classic loader does); returns how many were copied.
    static func loadBodyWeights(_ network: Network, path: String) throws -> Int {
        let tensors = try NamedWeights.read(path: path, names: network.entries.map(\.name))
        return NamedWeights.copyMatching(tensors, into: network).copied.count
    }

    /// Per-run setup after the model is built: the statevector memory check (for `ranks` ranks),
    /// the QNN feature cache (cached mode) for every prepared dataset, then (rank 0)
    /// quantum_resources.json and the .qasm files in `folder`. Nothing happens for non-quantum models.
    static func prepareRun(_ model: ClassifierModel, config: Config, data: [PreparedData], folder: String,
                           isRoot: Bool, ranks: Int, log: RunLog) throws {
        guard config.modelType == .quantum else { return }
        try checkStateMemory(model, config: config, perRankBatch: perRankBatch(config, ranks: ranks))
        if let qnn = model as? QNNModel, let layer = qnn.quanv, layer.mode == .cached {
            layer.table = try QuanvFeatureCache.table(for: data, circuit: layer.circuit, dataPath: config.dataPath,
                                                      threads: layer.threads, log: log)
        }
        if isRoot { try QuantumRecords.write(model, config: config, folder: folder, groups: ranks, log: log) }
    }
}
