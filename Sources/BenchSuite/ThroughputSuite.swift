// The `throughput` and `scaling` suites: Classic ResNet-18 training throughput at several image
// sizes (Models.measureClassicTrainingThroughput) and the simulator micro-benchmarks
// (Quantum.QuantumBenchmarks: HQNN head, 8-qubit layer forward, quanvolution), each row carrying
// its speed and, for circuits, the resources (gates by kind, depth, qubits, parameters) of the
// circuit that was timed. (Scaling over ranks, qubits and shards: RanksSuite, QubitsSuite, ShardedSuite.)

import Core
import Foundation
import Models
import NN
import Quantum
import Reporting

/// What the throughput suite measures.
public struct ThroughputStudy: Sendable {
    public var classicSizes: [Int]
    public var classicBatch: Int
    public var classicSteps: Int
    /// HQNN head: batch, StronglyEntangling layers, circuits of 8 qubits.
    public var hqnnBatch: Int, hqnnLayers: Int, hqnnCircuits: Int
    /// 8-qubit layer forward batch.
    public var forwardBatch: Int
    /// Quanvolution: images of quanvSize x quanvSize RGB.
    public var quanvImages: Int, quanvSize: Int
    public var repeats: Int

    public init(classicSizes: [Int] = [32, 64, 128], classicBatch: Int = 32, classicSteps: Int = 3,
                hqnnBatch: Int = 256, hqnnLayers: Int = 6, hqnnCircuits: Int = 8, forwardBatch: Int = 4096,
                quanvImages: Int = 200, quanvSize: Int = 64, repeats: Int = 3) {
        self.classicSizes = classicSizes; self.classicBatch = classicBatch; self.classicSteps = classicSteps
        self.hqnnBatch = hqnnBatch; self.hqnnLayers = hqnnLayers; self.hqnnCircuits = hqnnCircuits
        self.forwardBatch = forwardBatch; self.quanvImages = quanvImages; self.quanvSize = quanvSize; self.repeats = repeats
    }

    /// `--quick`: one small step of each benchmark (seconds, even in a debug build).
    public static var quick: ThroughputStudy {
        ThroughputStudy(classicSizes: [32], classicBatch: 16, classicSteps: 1, hqnnBatch: 32, hqnnLayers: 2, hqnnCircuits: 2,
                        forwardBatch: 256, quanvImages: 4, quanvSize: 32, repeats: 1)
    }
}

public enum ThroughputSuite {
    /// Runs the study with `threads` compute threads.
    public static func run(_ s: ThroughputStudy, threads: Int, log: (String) -> Void = { print($0) }) -> [BenchRecord] {
        var out: [BenchRecord] = []
        func add(_ r: BenchRecord) {
            out.append(r)
            log(String(format: "throughput: %@: %.1f %@ (%.3f s)", r.row.name, r.throughput, r.throughputUnit, r.row.wallSeconds))
        }
        let classicName = { (size: Int) in "Classic ResNet-18 train \(size)px b\(s.classicBatch)" }
        // Quantum rows compare with the Classic row at 64 px (hard1k's size) when it was measured.
        let quantumBaseline = s.classicSizes.contains(64) ? classicName(64) : ""
        for size in s.classicSizes {
            let t0 = WallClock.now()
            let ips = measureClassicTrainingThroughput(imageSize: size, batch: s.classicBatch, steps: s.classicSteps, threads: threads)
            let params = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 1).network.parameterCount
            add(BenchRecord(row: BenchmarkRow(name: classicName(size), accuracy: .nan, loss: .nan, auc: .nan, parameters: params,
                                              wallSeconds: WallClock.now() - t0),
                            model: "Classic", dataset: "random", imageSize: size, batchSize: s.classicBatch, threads: threads,
                            throughput: ips, throughputUnit: "images/s", baseline: "",
                            note: "\(s.classicSteps) timed step(s) after 1 warm-up; forward+backward+Adam"))
        }
        Compute.setThreads(threads)

        // HQNN head: circuits parallel 8-qubit AngleEmbedding + StronglyEntangling circuits, forward + adjoint backward.
        let head = Templates.layerCircuit(template: .strong, wires: 8, layers: s.hqnnLayers, features: 8)
        var t0 = WallClock.now()
        let stepSeconds = QuantumBenchmarks.hqnnHead(batch: s.hqnnBatch, layers: s.hqnnLayers, circuits: s.hqnnCircuits,
                                                     qubits: 8, repeats: s.repeats, threads: Threads(threads))
        add(quantumRecord("HQNN head \(s.hqnnCircuits)x8q L=\(s.hqnnLayers) B=\(s.hqnnBatch)", circuit: head,
                          copies: s.hqnnCircuits, wall: WallClock.now() - t0, batch: s.hqnnBatch, threads: threads,
                          throughput: Double(s.hqnnBatch) / stepSeconds, unit: "samples/s", baseline: quantumBaseline,
                          note: String(format: "%.4f s per training step (forward + adjoint backward), median of %d", stepSeconds, s.repeats)))

        // One 8-qubit layer, forward only.
        let layer = Templates.layerCircuit(template: .strong, wires: 8, layers: 6, features: 8)
        t0 = WallClock.now()
        let fwd = QuantumBenchmarks.forwardThroughput(batch: s.forwardBatch, qubits: 8, layers: 6, repeats: s.repeats, threads: Threads(threads))
        add(quantumRecord("8-qubit layer forward L=6 B=\(s.forwardBatch)", circuit: layer, copies: 1,
                          wall: WallClock.now() - t0, batch: s.forwardBatch, threads: threads, throughput: fwd,
                          unit: "samples/s", baseline: quantumBaseline, note: "forward only, median of \(s.repeats)"))

        // Quanvolution: one 4-qubit circuit per 2x2 patch and channel.
        let quanv = QuanvolutionCircuit(seed: 999).circuit
        t0 = WallClock.now()
        let perImage = QuantumBenchmarks.quanvolution(images: s.quanvImages, size: s.quanvSize, repeats: s.repeats, threads: Threads(threads))
        let patches = 3 * (s.quanvSize / 2) * (s.quanvSize / 2)
        var q = quantumRecord("quanvolution \(s.quanvSize)px", circuit: quanv, copies: 1, wall: WallClock.now() - t0,
                              batch: s.quanvImages, threads: threads, throughput: 1 / perImage, unit: "images/s",
                              baseline: quantumBaseline,
                              note: String(format: "%.3f ms per image, %d circuit runs per image (gates: one patch circuit)",
                                           perImage * 1000, patches))
        q.imageSize = s.quanvSize
        add(q)
        return out
    }

    static func quantumRecord(_ name: String, circuit: Circuit, copies: Int, wall: Double, batch: Int, threads: Int,
                              throughput: Double, unit: String, baseline: String, note: String) -> BenchRecord {
        let r = CircuitResources(circuit)
        let gates = r.gateCounts.mapValues { $0 * copies }
        return BenchRecord(row: BenchmarkRow(name: name, accuracy: .nan, loss: .nan, auc: .nan, gateCounts: gates, depth: r.depth,
                                             qubits: r.qubits, parameters: r.trainableParameters * copies, wallSeconds: wall),
                           model: "Quantum", dataset: "random", batchSize: batch, threads: threads, throughput: throughput,
                           throughputUnit: unit, baseline: baseline, note: note)
    }
}
