// Weight loading has one home (Models' NamedWeights): the three ways the model factory loads
// weights (torchvision file into the Classic model, torchvision file into the HQNN's CNN body,
// a run's checkpoint as a warm start) give the same body tensors, greyscale included.

import Config
import Core
import Foundation
import Models
import NN
import Storage
import XCTest
@testable import App
@testable import Training

final class WeightLoadingTests: TemporaryFolderTestCase {
    /// An RGB Classic model (random weights, BatchNorm statistics moved off 0/1 by one training
    /// forward), saved both as torchvision-style HDF5 and as a run's checkpoint.
    func sources() throws -> (model: ClassicResNet18, torchvision: String, checkpoint: String) {
        let source = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 11, stem: .highResolution)
        var rng = SeededRNG(seed: 11)
        _ = source.forward(Tensor(shape: [2, 3, 16, 16], values: (0..<(2 * 3 * 16 * 16)).map { _ in Float(rng.normal()) }),
                           training: true)
        let torchvision = tmp + "/torchvision.h5", checkpoint = tmp + "/best.h5"
        let file = try H5File.create(torchvision)
        for e in source.network.entries {
            try file.write(e.name, Array(source.network.values(named: e.name)!), shape: e.shape)
        }
        file.close()
        try Checkpoint.save(source.network, info: CheckpointInfo(model: "Classic", epoch: 1, metricName: "val_auc", metricValue: 0.5),
                            to: checkpoint)
        return (source, torchvision, checkpoint)
    }

    /// The model ModelFactory builds for `channels` with `modelPath`, as a run would.
    func built(_ type: ModelType, channels: Int, modelPath: String) throws -> ClassifierModel {
        var c = Config(modelType: type)
        c.numChannels = channels; c.nQubits = 2; c.nQuantumLayers = 1; c.modelPath = modelPath
        return try ModelFactory.make(c, context: NNContext(threads: Threads(2)), log: RunLog(echo: false))
    }

    func testTheThreeLoadersGiveTheSameBodyInRGBAndGreyscale() throws {
        let (source, torchvision, checkpoint) = try sources()
        let body = source.network.entries.map(\.name).filter { !$0.hasPrefix("fc.") }
        let rgbConv1 = Array(source.network.values(named: "conv1.weight")!)
        for channels in [3, 1] {
            let loaded = try [(ModelType.classic, torchvision), (.classic, checkpoint), (.quantum, torchvision), (.quantum, checkpoint)]
                .map { try built($0.0, channels: channels, modelPath: $0.1) }
            for name in body {
                let reference = Array(loaded[0].network.values(named: name)!)
                for (i, m) in loaded.enumerated().dropFirst() {
                    XCTAssertEqual(Array(m.network.values(named: name)!), reference, "\(name), \(channels) channel(s), loader \(i)")
                }
                if name != "conv1.weight" {
                    XCTAssertEqual(reference, Array(source.network.values(named: name)!), name)
                }
            }
            let conv1 = Array(loaded[0].network.values(named: "conv1.weight")!)
            if channels == 3 {
                XCTAssertEqual(conv1, rgbConv1)
            } else {
                // [64, 1, 7, 7]: each filter the sum of its three RGB planes.
                XCTAssertEqual(conv1.count, 64 * 49)
                for (o, k) in [(0, 0), (10, 20), (63, 48)] {
                    XCTAssertEqual(conv1[o * 49 + k], rgbConv1[(o * 3) * 49 + k] + rgbConv1[(o * 3 + 1) * 49 + k]
                                   + rgbConv1[(o * 3 + 2) * 49 + k], accuracy: 1e-6)
                }
            }
        }
    }

    func testCopyMatchingReportsAdaptedAndMismatchedTensors() {
        let rgb = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 1)
        var tensors: NamedTensors = [:]
        for e in rgb.network.entries { tensors[e.name] = (e.shape, Array(rgb.network.values(named: e.name)!)) }
        tensors["fc.weight"] = ([1000, 512], [Float](repeating: 1, count: 1000 * 512))
        let grey = ClassicResNet18(numChannels: 1, numClasses: 2, seed: 2)
        let freshFC = Array(grey.network.values(named: "fc.weight")!)
        let report = NamedWeights.copyMatching(tensors, into: grey.network)
        XCTAssertEqual(report.mismatched, ["fc.weight"])
        XCTAssertEqual(report.adapted, ["conv1.weight: summed the 3 RGB input channels into 1 for greyscale input"])
        XCTAssertEqual(report.copied.count, grey.network.entries.count - 1)
        XCTAssertTrue(report.copied.contains("conv1.weight"))
        XCTAssertEqual(Array(grey.network.values(named: "fc.weight")!), freshFC)
    }
}
