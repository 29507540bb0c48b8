// QuantumRecords: quantum_resources.json and one OpenQASM 3 file per distinct circuit in the run
// folder, and the HDF5 cache of quanvolved features for the QNN's fixed circuit.
//
// OpenQASM export: the trainable angles are the model's current values (initial when the run
// starts; rewritten with the best checkpoint's values after training); the embedding angles are
// written for all-zero inputs (so RX(0)/RY(0) appear in place of the data-dependent rotations;
// the JSON says which gates read inputs and with what scale).

import Config
import Core
import Datasets
import Foundation
import Models
import Quantum
import Reporting
import Storage
import Training

enum QuantumRecords {
    /// Writes quantum_resources.json and <layer>.qasm (quantum parts only) and logs a summary.
    /// Before training the per-step counts are null; `exportCircuits` rewrites the file after
    /// training with the counts the executors measured in the first training step.
    static func write(_ model: ClassifierModel, config: Config, folder: String, groups: Int = 1, log: RunLog) throws {
        let parts = quantumParts(model, config: config)
        for p in parts {
            let r = CircuitResources(p.circuit)
            try AtomicFile.write(qasm(p), to: RunFolder(existing: folder).file(p.name + ".qasm"))
            log.info("quantum layer \(p.name): \(p.copies) x \(r.qubits) qubits, \(r.totalGates) gates "
                     + "(\(r.gateCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))), depth \(r.depth), "
                     + "\(p.differentiated ? r.trainableParameters * p.copies : 0) trainable parameters (\(p.mode))")
        }
        try writeResources(model, config: config, folder: folder, groups: groups)
        if parts.isEmpty { log.info("no quantum circuits in \(model.name) (classical twin): quantum_resources.json lists no layers") }
        let q = QuantumSettings(config)
        log.info("device \(q.device.requested) -> \(q.device.actual); diffType \(q.diff.requested) -> \(q.diff.method.rawValue)")
    }

    /// quantum_resources.json from the model's parts: resources, the method each layer runs, and
    /// the circuit runs its executors counted in the first training step (null before one ran).
    static func writeResources(_ model: ClassifierModel, config: Config, folder: String, groups: Int = 1) throws {
        let parts = quantumParts(model, config: config)
        let q = QuantumSettings(config)
        var layers: [[String: Any]] = []
        for p in parts {
            let r = CircuitResources(p.circuit)
            let step = p.measuredStep()
            var entry: [String: Any] = [
                "name": p.name, "qubits": r.qubits, "copies": p.copies, "gate_counts": r.gateCounts,
                "total_gates": r.totalGates, "depth": r.depth, "trainable_parameters_per_copy": p.differentiated ? r.trainableParameters : 0,
                "trainable_parameters": p.differentiated ? r.trainableParameters * p.copies : 0,
                "circuit_weights_per_copy": r.trainableParameters, "input_angles": r.inputParameters,
                "evaluations_per_image": p.evaluationsPerImage, "batch_size": config.batchSize,
                "diff_method": p.diffMethod?.rawValue ?? "none (not differentiated)",
                "execution": p.mode, "qasm_file": p.name + ".qasm",
                "statevector": StatevectorRecord.entry(p, config: config, groups: groups),
            ]
            if let step {
                entry["circuit_evaluations_per_training_step"] = step.counters.evaluations
                entry["measured_training_step"] = [
                    "images": step.images, "forward_circuits": step.counters.forward, "shifted_circuits": step.counters.shifted,
                    "adjoint_sweeps": step.counters.adjointSweeps,
                    "note": "counted by the circuit executors during the first training step on rank 0, all copies together"
                        + (p.circuitRanks > 1 ? " (rank 0's share: the \(p.circuitRanks) ranks of its state group split the circuits)" : "")
                        + "; evaluations = forward + shifted circuits (an adjoint sweep reuses its forward's state)",
                ] as [String: Any]
            } else {
                entry["circuit_evaluations_per_training_step"] = NSNull()
                entry["measured_training_step"] = NSNull()
            }
            layers.append(entry)
        }
        let ran = Set(parts.compactMap(\.diffMethod)).map(\.rawValue).sorted()
        let doc: [String: Any] = [
            "model": model.name,
            "device": ["requested": q.device.requested, "actual": q.device.actual, "note": q.device.note],
            "diff_method": ["requested": q.diff.requested, "resolved": q.diff.method.rawValue,
                            "actual": ran.isEmpty ? "none (no circuit is differentiated)" : ran.joined(separator: ", "),
                            "note": q.diff.note],
            "classical_twin": config.classicalTwin,
            "layers": layers,
            "qasm_inputs": "embedding angles exported for all-zero inputs; weights are the model's current values",
        ]
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: RunFolder(existing: folder).file(.quantumResources))
    }

    /// Rewrites the .qasm files with the model's current weights (e.g. after loading best.h5) and
    /// quantum_resources.json with the measured per-step counts. Also logs how the QNN cache
    /// served the batches so far, and what the first training step ran.
    static func exportCircuits(_ model: ClassifierModel, config: Config, folder: String, groups: Int = 1, log: RunLog? = nil) throws {
        guard config.modelType == .quantum else { return }
        try writeResources(model, config: config, folder: folder, groups: groups)
        for p in quantumParts(model, config: config) {
            if let step = p.measuredStep() {
                log?.info("quantum layer \(p.name): first training step of \(step.images) images ran \(step.counters.evaluations) "
                          + "circuit evaluations (\(step.counters)), \(p.diffMethod?.rawValue ?? "no") gradients")
            }
        }
        if let q = (model as? QNNModel)?.quanv, q.mode == .cached {
            log?.info("QNN cache lookups: \(q.hits) direct, \(q.flippedHits) mirrored (hflip applied to the feature maps), "
                      + "\(q.misses) computed on the fly (augmented beyond hflip, or not in the cache)")
        }
        for p in quantumParts(model, config: config) {
            try AtomicFile.write(qasm(p), to: RunFolder(existing: folder).file(p.name + ".qasm"))
        }
    }

    static func quantumParts(_ model: ClassifierModel, config: Config) -> [QuantumPart] {
        if let q = model as? QNNModel { return q.quantumParts(height: config.imageHeight, width: config.imageWidth) }
        return (model as? QuantumCircuitModel)?.quantumParts ?? []
    }

    /// One file per distinct circuit; the k copies of an HQNN layer differ only in their weights,
    /// which follow one another as separate programs (copy c after a "// copy c" comment).
    static func qasm(_ p: QuantumPart) -> String {
        let zeros = [Double](repeating: 0, count: p.circuit.nInputs)
        if p.copies == 1 { return OpenQASM.export(p.circuit, inputs: zeros, weights: p.weights(0)) }
        return (0..<p.copies).map { "// copy \($0) of \(p.copies)\n" + OpenQASM.export(p.circuit, inputs: zeros, weights: p.weights($0)) }
            .joined(separator: "\n")
    }
}

/// HDF5 cache of the fixed quanvolution's features of a whole prepared dataset, under dataPath.
/// The key is the circuit (its OpenQASM text with zero inputs, i.e. gates and angles) + seed +
/// the input data's cacheKey + image size; the file name carries a hash of the key and the file
/// stores the key itself, so a change of any part misses and builds a new file.
enum QuanvFeatureCache {
    static func key(circuit: QuanvolutionCircuit, data: PreparedData) -> String {
        let text = OpenQASM.export(circuit.circuit, inputs: [0, 0, 0, 0], weights: circuit.weights)
        return "quanv-v1|seed \(circuit.seed)|\(data.height)x\(data.width)x\(data.channels)|data \(data.cacheKey)|\(text)"
    }

    static func path(dataPath: String, key: String) -> String {
        let h = QuanvFeatureTable.hash(Array(key.utf8))
        return (dataPath as NSString).appendingPathComponent(String(format: "quanv_%016llx.h5", h))
    }

    /// Features [count, 4C, H/2, W/2] of `data`: read from the cache when its key matches, else
    /// computed in batches and written. Returns (features, reused).
    static func features(for data: PreparedData, circuit: QuanvolutionCircuit, dataPath: String, threads: Threads,
                         log: RunLog) throws -> (values: [Float], reused: Bool, path: String) {
        let key = key(circuit: circuit, data: data)
        let file = path(dataPath: dataPath, key: key)
        let row = 4 * data.channels * (data.height / 2) * (data.width / 2)
        if FileManager.default.fileExists(atPath: file), let f = try? H5File.open(file) {
            defer { f.close() }
            if (try? f.attributeString("key")) == key, let (v, shape) = try? f.read("features", as: Float.self),
               shape == [data.count, 4 * data.channels, data.height / 2, data.width / 2] {
                log.info("QNN: reusing quanvolved features \(file) (\(data.count) images)")
                return (v, true, file)
            }
            log.info("QNN: \(file) does not match this circuit/data; rebuilding it")
        }
        let t0 = WallClock.now()
        let (h, w, c) = (data.height, data.width, data.channels), per = h * w * c
        var out = [Float](repeating: 0, count: data.count * row)
        var lo = 0
        let chunk = 256
        while lo < data.count {
            let n = min(chunk, data.count - lo)
            var px = [Float](repeating: 0, count: n * per)
            data.images.withUnsafeBufferPointer { src in
                for i in 0..<n { for y in 0..<h { for x in 0..<w { for ch in 0..<c {
                    px[i * per + (ch * h + y) * w + x] = Float(src[(lo + i) * per + (y * w + x) * c + ch]) / 255
                } } } }
            }
            let f = px.withUnsafeBufferPointer { Quanvolution.apply(images: $0.baseAddress!, n: n, channels: c, height: h, width: w, circuit: circuit, threads: threads) }
            out.replaceSubrange((lo * row)..<((lo + n) * row), with: f)
            lo += n
        }
        try FileManager.default.createDirectory(atPath: dataPath, withIntermediateDirectories: true)
        try AtomicFile.replace(file) { tmp in
            let f = try H5File.create(tmp)
            defer { f.close() }
            try f.write("features", out, shape: [data.count, 4 * c, h / 2, w / 2])
            try f.setAttribute("key", key)
            try f.setAttribute("seed", Int(circuit.seed))
            try f.setAttribute("dataCacheKey", data.cacheKey)
        }
        log.info(String(format: "QNN: quanvolved %d images in %.2fs, cached in %@", data.count, WallClock.now() - t0, file))
        return (out, false, file)
    }

    /// One lookup table over every dataset of the run (train and, if separate, test).
    static func table(for datasets: [PreparedData], circuit: QuanvolutionCircuit, dataPath: String, threads: Threads,
                      log: RunLog) throws -> QuanvFeatureTable {
        var values: [Float] = [], hashes: [UInt64] = [], flipped: [UInt64] = []
        var row = 0
        for d in datasets {
            let r = try features(for: d, circuit: circuit, dataPath: dataPath, threads: threads, log: log)
            values += r.values
            row = 4 * d.channels * (d.height / 2) * (d.width / 2)
            d.images.withUnsafeBufferPointer { src in
                for i in 0..<d.count {
                    let p = src.baseAddress! + i * d.imageSize
                    hashes.append(QuanvFeatureTable.hash(QuanvFeatureTable.chwBytes(hwc: p, channels: d.channels, height: d.height, width: d.width, mirrored: false)))
                    flipped.append(QuanvFeatureTable.hash(QuanvFeatureTable.chwBytes(hwc: p, channels: d.channels, height: d.height, width: d.width, mirrored: true)))
                }
            }
        }
        return QuanvFeatureTable(features: values, rowSize: row, hashes: hashes, flippedHashes: flipped)
    }
}
