// Explanation: `deepfake explain RUN [RUN2]`: Grad-CAM maps (Models' GradCAM; or IntegratedGradients)
// of a run's best.h5
// on its own test images, chosen across real/fake and correct/wrong, written as a PNG grid
// (Reporting's ExplanationGrid) and a CSV, with a second run's maps beside the first's on the
// same images. Never trains, never downloads, never overwrites.

import Config
import Core
import Datasets
import Foundation
import Models
import NN
import Reporting
import Training
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `deepfake explain` was asked for.
public struct ExplainRequest: Sendable {
    /// One run folder, or two (shown side by side on the same images).
    public var runs: [String]
    /// How many test images to show.
    public var images: Int
    /// The output folder (must not exist); nil: `<first run>/explain` (one run) or
    /// `<first run>/explain-vs-<second run's name>` (two).
    public var output: String?
    /// The layer whose output is explained; nil: the model's last convolutional stage with maps
    /// of at least 4x4 (GradCAM.defaultLayer).
    public var layer: String?

    /// Grad-CAM (default), or integrated gradients with `steps` path points for the shown images.
    public var method: ExplanationMethod
    public var steps: Int

    public init(runs: [String], images: Int = 8, output: String? = nil, layer: String? = nil,
                method: ExplanationMethod = .gradCAM, steps: Int = 32) {
        self.runs = runs; self.images = images; self.output = output; self.layer = layer
        self.method = method; self.steps = steps
    }

    /// The folder the request writes into.
    public var outputFolder: String {
        if let output { return output }
        let first = runs.first ?? "."
        let name = runs.count > 1 ? "explain-vs-" + ((runs[1] as NSString).standardizingPath as NSString).lastPathComponent : "explain"
        return (first as NSString).appendingPathComponent(name)
    }
}

/// How the maps are made.
public enum ExplanationMethod: String, CaseIterable, Sendable {
    case gradCAM = "gradcam"
    case integratedGradients = "integrated-gradients"
}

/// One run's Grad-CAM of every test image it was tested on.
public struct RunExplanation {
    public var run: String
    public var model: String
    public var layer: String
    /// Size of the explained feature maps.
    public var featureHeight: Int, featureWidth: Int
    /// The run's test data and the positions of its test images in it.
    public var data: PreparedData
    public var testIndices: [Int]
    /// Per test image (same order as testIndices): p_fake, and the map at image resolution.
    public var pFake: [Double]
    public var maps: [[Float]]
    /// Per test image: the map before upsampling (featureHeight x featureWidth).
    public var featureMaps: [[Float]]
    /// The loaded model and the evaluation batch builder (for integrated gradients of chosen images).
    var network: Network
    var assembler: BatchAssembler
}

public enum Explanation {
    /// Checks the runs and the output folder, computes the maps and writes the grid; returns the
    /// output folder.
    @discardableResult
    public static func run(_ request: ExplainRequest, log: RunLog = RunLog()) throws -> String {
        guard (1...2).contains(request.runs.count) else {
            throw DeepfakeError("explain takes one run folder, or two to show side by side; got \(request.runs.count)")
        }
        guard request.images >= 1 else { throw DeepfakeError("--images must be at least 1 (got \(request.images))") }
        let out = request.outputFolder
        try refuseExisting(out)
        for r in request.runs { try checkRunFolder(r) }
        var explained: [RunExplanation] = []
        for r in request.runs {
            log.info("explaining \(r)/\(RunFile.bestWeights.rawValue) on its test images")
            explained.append(try explain(run: r, layer: request.layer, log: log))
        }
        guard request.steps >= 1 else { throw DeepfakeError("--steps must be at least 1 (got \(request.steps))") }
        try write(explained, images: request.images, method: request.method, steps: request.steps, to: out)
        log.info("wrote \(out)/\(gridFile(request.method)) and \(out)/\(tableFile)")
        return out
    }

    /// gradcam.png or integrated-gradients.png, and the table.
    public static func gridFile(_ method: ExplanationMethod) -> String { method.rawValue + ".png" }
    public static let tableFile = "explanations.csv"

    /// A clear error unless `run` is a folder holding config.yaml and best.h5.
    static func checkRunFolder(_ run: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: run, isDirectory: &isDir), isDir.boolValue else {
            throw DeepfakeError("run folder \(run) does not exist: pass a folder made by `deepfake -c CONFIG` (under outputsPath)")
        }
        let folder = RunFolder(existing: run)
        guard FileManager.default.fileExists(atPath: folder.file(.config)) else {
            throw DeepfakeError("\(run) has no \(RunFile.config.rawValue): it is not a run folder; pass a folder made by `deepfake -c CONFIG`")
        }
        guard FileManager.default.fileExists(atPath: folder.file(.bestWeights)) else {
            throw DeepfakeError("\(run) has no \(RunFile.bestWeights.rawValue): explain needs the best checkpoint a training run writes after "
                + "its first epoch (an inference run made with -i has none, nor a run stopped before its first epoch ended); "
                + "pass the folder of the run that trained the model")
        }
    }

    static func refuseExisting(_ out: String) throws {
        if FileManager.default.fileExists(atPath: out) {
            throw DeepfakeError("output folder \(out) already exists and explain never overwrites: pass -o NEW_FOLDER, or move \(out) away")
        }
    }

    /// Grad-CAM of `run`'s best.h5 on every image of its test set (the split's test part, or
    /// testData), with the run's own config, data cache and evaluation normalisation.
    public static func explain(run: String, layer: String? = nil, log: RunLog = RunLog(echo: false)) throws -> RunExplanation {
        try checkRunFolder(run)
        let folder = RunFolder(existing: run)
        let config = try Config.load(path: folder.file(.config))
        let threads = DeepfakeApp.applyThreads(config)
        let quiet = RunLog(echo: false)
        let prepared = try DataStage(config: config, offline: true, resort: false, log: quiet, threads: threads).prepareAll()
        let data: PreparedData, indices: [Int]
        if prepared.count > 1 {
            data = prepared[1].data; indices = Array(0..<data.count)
        } else {
            data = prepared[0].data
            indices = try DataSplit.load(from: folder.file(.split), expectedCount: data.count, cacheKey: data.cacheKey).test
        }
        guard !indices.isEmpty else {
            throw DeepfakeError("\(run) tested on no images (its config has testSize 0 and no testData): nothing to explain")
        }
        let context = NNContext(threads: threads)
        let model = try ModelFactory.make(config, context: context, log: quiet)
        try Checkpoint.load(into: model.network, from: folder.file(.bestWeights))
        let layerName = try layer ?? GradCAM.defaultLayer(of: model.network, height: data.height, width: data.width,
                                                                 channels: data.channels)
        let assembler = BatchAssembler(seed: UInt64(config.manualSeed), augmentation: .none, channels: config.numChannels,
                                       threads: threads)
        let batch = Tensor(zeros: [0])
        var pFake: [Double] = [], maps: [[Float]] = [], small: [[Float]] = []
        var fh = 0, fw = 0
        var lo = 0
        while lo < indices.count {
            let chunk = Array(indices[lo..<min(lo + max(1, config.batchSize), indices.count)])
            assembler.assemble(data, indices: chunk, into: batch, training: false)
            let fg = try GradCAM.featureGradient(model.network, images: batch, layer: layerName)
            fh = fg.features.shape[2]; fw = fg.features.shape[3]
            let cams = GradCAM.maps(features: fg.features, gradient: fg.gradient)
            pFake += fg.pFake
            small += cams
            maps += cams.map { GradCAM.upsample($0, height: fh, width: fw, toHeight: data.height, toWidth: data.width) }
            lo += chunk.count
        }
        log.info("  \(model.name): Grad-CAM of '\(layerName)' (\(fh)x\(fw) maps) on \(indices.count) test images")
        return RunExplanation(run: run, model: model.name, layer: layerName, featureHeight: fh, featureWidth: fw,
                              data: data, testIndices: indices, pFake: pFake, maps: maps, featureMaps: small,
                              network: model.network, assembler: assembler)
    }

    /// The grid and table of up to `images` test images, chosen by the first run's predictions
    /// among the images every run was tested on (matched by path).
    static func write(_ runs: [RunExplanation], images: Int, method: ExplanationMethod = .gradCAM, steps: Int = 32,
                      to out: String) throws {
        let first = runs[0]
        for r in runs.dropFirst() {
            guard r.data.height == first.data.height, r.data.width == first.data.width, r.data.channels == first.data.channels else {
                throw DeepfakeError("\(r.run) works on \(r.data.height)x\(r.data.width)x\(r.data.channels) images but \(first.run) on "
                    + "\(first.data.height)x\(first.data.width)x\(first.data.channels): side-by-side maps need runs with the same "
                    + "imageHeight, imageWidth and numChannels")
            }
        }
        // Position of each test path in every other run's test list.
        let lookups: [[String: Int]] = runs.map { r in
            Dictionary(r.testIndices.enumerated().map { (r.data.paths[$0.element], $0.offset) }, uniquingKeysWith: { a, _ in a })
        }
        let shared = first.testIndices.indices.filter { p in
            let path = first.data.paths[first.testIndices[p]]
            return lookups.allSatisfy { $0[path] != nil }
        }
        guard !shared.isEmpty else {
            throw DeepfakeError("the runs share no test image (matched by path): side-by-side maps need runs tested on the same data")
        }
        let labels = shared.map { first.data.labels[first.testIndices[$0]] }
        let chosen = ExplanationSelection.choose(labels: labels, pFake: shared.map { first.pFake[$0] }, count: images)
        let d = first.data, size = d.imageSize
        // Integrated gradients replace the Grad-CAM maps of the chosen images (only those: each
        // costs `steps` forward and backward passes of the whole model).
        var igMaps: [[String: [Float]]] = runs.map { _ in [:] }
        if method == .integratedGradients {
            let paths = chosen.map { d.paths[first.testIndices[shared[$0.position]]] }
            for (r, run) in runs.enumerated() {
                let positions = paths.map { lookups[r][$0]! }
                let batch = Tensor(zeros: [0])
                run.assembler.assemble(run.data, indices: positions.map { run.testIndices[$0] }, into: batch, training: false)
                let maps = IntegratedGradients.maps(try IntegratedGradients.attributions(run.network, images: batch, steps: steps).attributions)
                for (k, path) in paths.enumerated() { igMaps[r][path] = maps[k] }
            }
        }
        var rows: [ExplanationGrid.Row] = []
        var csv = ["row,path,dataset,label,category,run,model,method,p_fake,predicted,correct,map_max,map_peak_row,map_peak_column"]
        for (row, pick) in chosen.enumerated() {
            let p = shared[pick.position], index = first.testIndices[p], path = d.paths[index], label = d.labels[index]
            var cells: [ExplanationGrid.Cell] = []
            for (r, run) in runs.enumerated() {
                let q = lookups[r][path]!
                let predicted = run.pFake[q] >= 0.5 ? 1 : 0
                let map = igMaps[r][path] ?? run.maps[q], top = map.max() ?? 0, peak = map.firstIndex(of: top) ?? 0
                cells.append(ExplanationGrid.Cell(map: map, correct: Int32(predicted) == label))
                csv.append([String(row + 1), csvField(path), csvField(d.datasetNames[index]), String(label), pick.category.rawValue,
                            csvField(run.run), run.model, method == .gradCAM ? "gradcam:" + run.layer : "integrated-gradients:\(steps)", String(format: "%.6f", run.pFake[q]), String(predicted),
                            Int32(predicted) == label ? "1" : "0", String(format: "%.6g", top),
                            String(peak / d.width), String(peak % d.width)].joined(separator: ","))
            }
            rows.append(ExplanationGrid.Row(pixels: Array(d.images[(index * size)..<((index + 1) * size)]), fake: label == 1, cells: cells))
        }
        let png = try ExplanationGrid.png(rows, height: d.height, width: d.width, channels: d.channels)
        try createFolder(out)
        try AtomicFile.write(Data(png), to: (out as NSString).appendingPathComponent(gridFile(method)))
        try AtomicFile.write((csv + [""]).joined(separator: "\n"), to: (out as NSString).appendingPathComponent(tableFile))
    }

    /// Creates `out` (and its parents) with a final mkdir(2) that fails if it appeared meanwhile.
    static func createFolder(_ out: String) throws {
        let parent = (out as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        guard mkdir(out, 0o755) == 0 else {
            let err = errno
            if err == EEXIST { try refuseExisting(out) }
            throw DeepfakeError("cannot create output folder \(out): \(String(cString: strerror(err))); check the parent folder is writable")
        }
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
