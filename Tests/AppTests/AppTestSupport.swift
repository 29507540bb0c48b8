// Shared by the AppTests: the per-test temporary folder (TestSupport's), and the README demo's
// data and optimiser settings (configs/demo.yaml: 1,000 built-in faces at 32 px, 20 % validation,
// half the rest test, batch 32, Adam with beta1 0.9) for the tests that ask a model to learn.

import Foundation
import TestSupport
import XCTest

/// TestSupport's per-test temporary folder, visible to every file of this target.
typealias TemporaryFolderTestCase = TestSupport.TemporaryFolderTestCase

/// YAML lines of the demo settings for `epochs` (append model keys and paths).
func demoSettingsYAML(epochs: Int, learningRate: Double = 0.001, augment: Bool = false) -> String {
    """
    trainData:
      demo: builtin
    valSize: 0.2
    testSize: 0.5
    batchSize: 32
    imageHeight: 32
    imageWidth: 32
    numEpochs: \(epochs)
    learningRate: \(learningRate)
    beta1: 0.9
    nCPUs: 2
    """ + (augment ? "\naugment: [hflip]" : "")
}

/// The process-grid tests' run config (ProcessGridTests, QNNProcessGridTests; scripts/mpi-check.sh
/// writes the same one in shell): `model` (the quantum model's lines), the built-in small set at
/// 16 px split half and half, one epoch of SGD in batches of 32, one thread, then `grid` (the
/// statevectorRanks/memory-budget lines under test) and the paths.
func processGridConfigYAML(model: String, grid: String, dataPath: String, outputsPath: String) -> String {
    """
    modelType: Quantum
    \(model)
    trainData: {demo: "builtin:small"}
    valSize: 0.5
    testSize: 0.5
    batchSize: 32
    imageHeight: 16
    imageWidth: 16
    numEpochs: 1
    optimizer: sgd
    learningRate: 0.0005
    augment: []
    nCPUs: 1
    \(grid)
    dataPath: \(dataPath)
    outputsPath: \(outputsPath)
    """
}
