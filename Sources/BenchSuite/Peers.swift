// `bench peers` and `bench quantum`: the peer comparisons. Peers are Python scripts in
// benchmarks/ (PyTorch, Pillow, PennyLane, qulacs, Qiskit Aer); `bench` never runs Python, it
// prints the exact command pairs (our figure, the peer's figure) for the scripts present, and
// `bench quantum KIND` prints the `<key> <value>` lines the quantum_*.py scripts read through
// their --swift-cmd option (benchmarks/quantum_common.py).

import Core
import Foundation
import NN
import Quantum

public enum Peers {
    /// One comparison: what it compares, our command, the peer's command.
    public struct Comparison: Sendable, Equatable {
        public var script: String
        public var compares: String
        public var swift: String
        public var peer: String
    }

    static let bench = ".build/release/bench"

    /// The interpreter of the peer virtualenv: `--python`, else $DEEPFAKE_BENCH_PYTHON, else `python3`.
    public static func python(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let f = flag, !f.isEmpty { return f }
        if let e = environment["DEEPFAKE_BENCH_PYTHON"], !e.isEmpty { return e }
        return "python3"
    }

    /// Comparisons for the scripts in `benchmarksDir` (known scripts get exact commands; any other
    /// script is listed with `--help`). `python` is the interpreter of a virtualenv outside the
    /// repo; `datasets` the folder holding the kagglehub cache (`--datasets`), else a placeholder.
    public static func comparisons(benchmarksDir: String, python: String, datasets: String? = nil) -> [Comparison] {
        let data = datasets.map { ($0 as NSString).appendingPathComponent("kagglehub/datasets") } ?? "DATASETS/kagglehub/datasets"
        let scripts = ((try? FileManager.default.contentsOfDirectory(atPath: benchmarksDir)) ?? [])
            .filter { $0.hasSuffix(".py") }.sorted()
        let dir = (benchmarksDir as NSString).lastPathComponent == "benchmarks" ? "benchmarks" : benchmarksDir
        func py(_ s: String, _ args: String) -> String { "\(python) \(dir)/\(s)" + (args.isEmpty ? "" : " " + args) }
        return scripts.compactMap { s in
            switch s {
            case "quantum_common.py":
                return nil  // helpers imported by the quantum_*.py scripts
            case "torch_resnet_throughput.py":
                return Comparison(script: s, compares: "Classic ResNet-18 training images/s at 32/64/128 px, batch 32 (PyTorch CPU)",
                                  swift: "\(bench) run --suite throughput --out results/bench",
                                  peer: py(s, "--sizes 32,64,128 --batch 32 --steps 10 --repeats 5 --threads \(ProcessInfo.processInfo.activeProcessorCount)"))
            case "preprocess_pillow.py":
                return Comparison(script: s, compares: "decode + resize + HDF5 cache write, images/s (Pillow + h5py)",
                                  swift: "\(bench) run --suite preprocess --out results/bench",
                                  peer: py(s, "--root \(data) --dataset hard1k=hamzaboulahia/hardfakevsrealfaces/versions/1 --size 64 --processes 2 --repeats 2"))
            case "imageio_pillow_decode.py":
                return Comparison(script: s, compares: "single-thread JPEG decode + resize on hard1k (Pillow)",
                                  swift: "DEEPFAKE_IO_BENCH=1 swift test -c release --filter RealImageTests/testThroughput",
                                  peer: py(s, "--root \(data)"))
            case "quantum_hqnn.py":
                return Comparison(script: s, compares: "HQNN head training step, 8x8 qubits L=6 B=256 (PennyLane default.qubit/lightning)",
                                  swift: "\(bench) quantum hqnn", peer: py(s, "--lightning --swift-cmd \"\(bench) quantum hqnn\""))
            case "quantum_forward.py":
                return Comparison(script: s, compares: "8-qubit layer forward samples/s, batch 4096 (lightning, qulacs, Qiskit Aer)",
                                  swift: "\(bench) quantum fwd", peer: py(s, "--swift-cmd \"\(bench) quantum fwd\""))
            case "quantum_gates.py":
                return Comparison(script: s, compares: "24-qubit single-state RX/CNOT/layer seconds (qulacs)",
                                  swift: "\(bench) quantum gate", peer: "OMP_NUM_THREADS=2 " + py(s, "--swift-cmd \"\(bench) quantum gate\""))
            case "quantum_quanv.py":
                return Comparison(script: s, compares: "quanvolution seconds per 64x64 RGB image (PennyLane default.qubit)",
                                  swift: "\(bench) quantum quanv", peer: py(s, "--swift-cmd \"\(bench) quantum quanv\""))
            case "metrics_sklearn_reference.py":
                return Comparison(script: s, compares: "metric reference values (scikit-learn), pasted into Tests/MetricsTests",
                                  swift: "swift test --filter SklearnComparisonTests", peer: py(s, ""))
            case "convert_torchvision_resnet18.py":
                return Comparison(script: s, compares: "not a benchmark: writes ResNet-18 weights to models/resnet18.h5 for pretrained runs",
                                  swift: "", peer: py(s, "--state-dict resnet18.pth --out models/resnet18.h5"))
            default:
                return Comparison(script: s, compares: "(no preset: see the script's --help)", swift: "", peer: py(s, "--help"))
            }
        }
    }

    /// Text for `bench peers`.
    public static func text(benchmarksDir: String, python: String, datasets: String? = nil) -> String {
        let list = comparisons(benchmarksDir: benchmarksDir, python: python, datasets: datasets)
        if list.isEmpty {
            return "no peer scripts (*.py) in \(benchmarksDir): run `bench peers` from the DeepfakeDetection package folder\n"
        }
        var out = "Peer comparisons (run each pair on an otherwise idle machine; build first with `swift build -c release`).\n"
        out += "Python: a virtualenv outside the repo (--python or $DEEPFAKE_BENCH_PYTHON); see benchmarks/README.md for its packages.\n"
        for c in list {
            out += "\n# \(c.script): \(c.compares)\n"
            if !c.swift.isEmpty { out += "  ours: \(c.swift)\n" }
            out += "  peer: \(c.peer)\n"
        }
        return out
    }

    /// `<key> <value>` figures for quantum_*.py (keys as those scripts read them), measured with
    /// `threads` threads at the scripts' sizes.
    public static func quantumFigures(_ kind: QuantumFigureKind, threads: Int, qubits: [Int] = [24], layers: Int = 1, repeats: Int = 3,
                                      blockQubits: Int = ExecutorSettings(threads: .serial).blockQubits, perGate: Bool = true) -> [(String, Double)] {
        Compute.setThreads(threads)
        switch kind {
        case .hqnn: return [("hqnn_head_step_s", QuantumBenchmarks.hqnnHead(batch: 256, layers: 6, circuits: 8, qubits: 8, threads: Threads(threads)))]
        case .fwd: return [("forward_samples_per_s", QuantumBenchmarks.forwardThroughput(batch: 4096, qubits: 8, layers: 6, threads: Threads(threads)))]
        case .quanv: return [("quanv_s_per_image", QuantumBenchmarks.quanvolution(images: 1000, size: 64, threads: Threads(threads)))]
        case .gate:
            let layer = QuantumBenchmarks.singleStateLayer(qubits: 24, threads: Threads(threads))
            return [("rx_24q_s", QuantumBenchmarks.singleStateGate(qubits: 24, gate: .rx, threads: Threads(threads))),
                    ("cnot_24q_s", QuantumBenchmarks.singleStateGate(qubits: 24, gate: .cnot, threads: Threads(threads))),
                    ("layer_24q_s", layer.seconds), ("layer_24q_passes", Double(layer.passes)),
                    ("layer_24q_gates", Double(layer.gates))]
        case .layer:
            return qubits.flatMap { QuantumBenchmarks.layerFigures(qubits: $0, layers: layers, repeats: repeats, blockQubits: blockQubits, perGate: perGate, threads: Threads(threads)) }
        }
    }
}
