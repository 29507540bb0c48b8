// Loading torchvision-named ResNet-18 weights: by dictionary, adaptations, errors, and from HDF5.
import Foundation

import TestSupport
import XCTest
import Core
import NN
import Storage
@testable import Models

final class ClassicWeightsTests: XCTestCase {
    /// Every tensor of `model` as a torchvision-style dictionary (plus a num_batches_tracked extra).
    private func export(_ model: ClassicResNet18) -> NamedTensors {
        var d: NamedTensors = [:]
        for e in model.network.entries { d[e.name] = (e.shape, Array(model.network.values(named: e.name)!)) }
        d["bn1.num_batches_tracked"] = ([], [0])
        return d
    }

    func testLoadsEveryTensorAndSkipsAnImageNetHead() throws {
        let source = SharedResNets.imageNet
        var tensors = export(source)
        tensors["layer2.1.bn2.running_var"]!.values[5] = 3.5
        let target = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 2)
        let freshFC = Array(target.network.values(named: "fc.weight")!)
        let notes = try target.loadTorchvisionWeights(tensors)
        XCTAssertEqual(Array(target.network.values(named: "layer3.1.conv2.weight")!),
                       Array(source.network.values(named: "layer3.1.conv2.weight")!))
        XCTAssertEqual(target.network.values(named: "layer2.1.bn2.running_var")![5], 3.5)
        XCTAssertEqual(Array(target.network.values(named: "fc.weight")!), freshFC)
        XCTAssertEqual(notes.count, 2)  // fc.weight and fc.bias
        XCTAssertTrue(notes[0].hasPrefix("fc."))
    }

    func testGreyscaleSumsConv1OverInputChannels() throws {
        var d = export(SharedResNets.rgb)
        let rgb = d["conv1.weight"]!.values
        let grey = ClassicResNet18(numChannels: 1, numClasses: 2, seed: 2)
        try grey.loadTorchvisionWeights(d)
        let w = grey.network.values(named: "conv1.weight")!
        XCTAssertEqual(w[10 * 49 + 20], rgb[30 * 49 + 20] + rgb[31 * 49 + 20] + rgb[32 * 49 + 20], accuracy: 1e-6)
        // Missing and mis-shaped tensors are clear errors.
        d["layer1.0.conv1.weight"] = nil
        XCTAssertThrowsError(try grey.loadTorchvisionWeights(d)) { e in
            XCTAssertTrue("\(e)".contains("no tensor 'layer1.0.conv1.weight'"), "\(e)")
        }
        d["layer1.0.conv1.weight"] = ([64, 64, 1, 1], [Float](repeating: 0, count: 64 * 64))
        XCTAssertThrowsError(try grey.loadTorchvisionWeights(d)) { e in
            XCTAssertTrue("\(e)".contains("has shape [64, 64, 1, 1] but the Classic model expects [64, 64, 3, 3]"), "\(e)")
        }
    }

    func testLoadsFromHDF5File() throws {
        let source = SharedResNets.imageNet
        let path = try TemporaryFolder.make(for: self, label: "classic-weights") + "/resnet18.h5"
        let file = try H5File.create(path)
        for e in source.network.entries {
            try file.write(e.name, Array(source.network.values(named: e.name)!), shape: e.shape)
        }
        file.close()
        let target = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 5)
        let notes = try target.loadTorchvisionWeights(path: path)
        XCTAssertEqual(notes.count, 2)
        XCTAssertEqual(Array(target.network.values(named: "layer4.0.downsample.1.running_mean")!),
                       Array(source.network.values(named: "layer4.0.downsample.1.running_mean")!))
        XCTAssertEqual(Array(target.network.values(named: "conv1.weight")!), Array(source.network.values(named: "conv1.weight")!))
        XCTAssertThrowsError(try target.loadTorchvisionWeights(path: path + ".missing"))
    }

    /// Opt-in check against PyTorch itself (the fixture is 45 MB, so it is generated, not committed):
    ///   /work/venv-nn/bin/python benchmarks/convert_torchvision_resnet18.py --random 0 \
    ///       --out /tmp/r18.h5 --check-out /tmp/r18-check.h5
    ///   DEEPFAKE_RESNET_FIXTURE=/tmp/r18 swift test --filter ClassicWeightsTests
    /// The same weights and input must give the same eval-mode logits as the plain-torch ResNet-18
    /// (whose names and layout are torchvision's); measured difference 2.3e-6 on logits up to 4.8.
    func testLogitsMatchPyTorchWhenFixtureGiven() throws {
        guard let prefix = ProcessInfo.processInfo.environment["DEEPFAKE_RESNET_FIXTURE"] else {
            throw XCTSkip("set DEEPFAKE_RESNET_FIXTURE to a prefix made by convert_torchvision_resnet18.py --random")
        }
        let model = ClassicResNet18(numChannels: 3, numClasses: 1000, seed: 9)
        XCTAssertEqual(try model.loadTorchvisionWeights(path: prefix + ".h5"), [])
        let check = try H5File.open(prefix + "-check.h5")
        defer { check.close() }
        let x = try check.readTensor("x")
        let (reference, shape) = try check.read("logits", as: Float.self)
        let logits = model.forward(x, training: false)
        XCTAssertEqual(logits.shape, shape)
        for i in 0..<logits.count { XCTAssertEqual(logits[i], reference[i], accuracy: 1e-4, "logit \(i)") }
    }
}
