// The trainable QNN on the process grid: the k ranks of a state group split the quanvolution's
// 4-qubit patch circuits (each rank simulates 1/k of them on whole states, SampleSharedExecutor)
// and gather the features and sum the weight gradients over the group. Checked on in-process
// ranks (LoopbackGroup): the layer against the unshared layer (adjoint and parameter shift) plus
// finite differences of the shared layer, the plan and its refusals, and whole training runs
// through DeepfakeApp.train: 1 rank against 1 group of 2 and of 4, and 2 groups of 2 against 2
// groups of 1, the same losses for the same global batch, with records that say patches were split
// and no amplitude was. The real-mpirun counterpart is in scripts/mpi-check.sh.

import Config
import Core
import Foundation
import Models
import NN
import Quantum
import Reporting
import TestSupport
import XCTest
@testable import App
@testable import Training

final class QNNProcessGridTests: TemporaryFolderTestCase {
    /// 2 images x 2 channels of 4 x 6 pixels: 2 x 2 x 6 = 24 patch circuits, split 12/12, 8/8/8
    /// and 6/6/6/6 (and unevenly by 5 ranks: 4/5/5/5/5).
    func testQuanvLayerSharedOverAStateGroupEqualsTheUnsharedLayer() throws {
        var rng = SeededRNG(seed: 5)
        let shape = [2, 2, 4, 6], count = 2 * 2 * 4 * 6, outCount = 2 * 8 * 2 * 3
        let x = (0..<count).map { _ in Float(rng.uniform() * 2 - 1) }, r = (0..<outCount).map { _ in Float(rng.uniform() * 2 - 1) }
        struct Out: Equatable { var y: [Float], dx: [Float], gw: [Float], ran: Int }
        @Sendable func step(_ method: DiffMethod, group: (any Communicator)?, fd: Bool = false) -> (Out, [String]) {
            let layer = QuanvLayer(channels: 2, seed: 9, mode: .trainable, mean: [0.4, 0.5], std: [0.25, 0.2],
                                   diffMethod: method, threads: .serial, stateGroup: group)
            let net = Network(layer, seed: 3)
            let input = Tensor(shape: shape, values: x)
            let y = net.forward(input, training: true).array
            net.zeroGradients()
            let dx = net.backward(Tensor(shape: [2, 8, 2, 3], values: r)).array
            let gw = Array(net.gradients)
            var problems: [String] = []
            if fd {  // central differences of sum(r . y); Float outputs: h 1e-2, tolerance 2e-3 as QuantumLayerTests
                func loss() -> Double { let o = net.forward(input, training: false); return (0..<outCount).reduce(0.0) { $0 + Double(o[$1]) * Double(r[$1]) } }
                let h: Float = 1e-2
                for i in stride(from: 0, to: count, by: 7) {
                    let v = input[i]; input[i] = v + h; let lp = loss(); input[i] = v - h; let lm = loss(); input[i] = v
                    if abs(Double(dx[i]) - (lp - lm) / Double(2 * h)) > 2e-3 { problems.append("input \(i): \(dx[i]) vs \((lp - lm) / Double(2 * h))") }
                }
                for j in 0..<net.parameterCount {
                    let v = net.parameters[j]; net.parameters[j] = v + h; let lp = loss(); net.parameters[j] = v - h; let lm = loss(); net.parameters[j] = v
                    if abs(Double(gw[j]) - (lp - lm) / Double(2 * h)) > 2e-3 { problems.append("weight \(j): \(gw[j]) vs \((lp - lm) / Double(2 * h))") }
                }
            }
            return (Out(y: y, dx: dx, gw: gw, ran: layer.firstTrainingStep?.counters.forward ?? -1), problems)
        }
        for method in [DiffMethod.adjoint, .parameterShift] {
            let (whole, _) = step(method, group: nil)
            XCTAssertEqual(whole.ran, 24)
            XCTAssertGreaterThan(whole.gw.map(abs).max() ?? 0, 1e-3, "the weight gradient must not vanish for the comparison to mean something")
            for ranks in [2, 3, 4, 5] {
                let runs = try LoopbackGroup(size: ranks).run { comm in step(method, group: comm, fd: ranks == 2) }
                for (rank, (out, problems)) in runs.enumerated() {
                    XCTAssertEqual([out.y.count, out.dx.count, out.gw.count], [whole.y.count, whole.dx.count, whole.gw.count])
                    for (a, b) in zip(out.y + out.dx + out.gw, whole.y + whole.dx + whole.gw) {
                        XCTAssertEqual(a, b, accuracy: 1e-6, "\(method) on \(ranks) ranks, rank \(rank): features or gradients")
                    }
                    XCTAssertEqual(out.y + out.dx + out.gw, runs[0].0.y + runs[0].0.dx + runs[0].0.gw, "\(method) on \(ranks) ranks: rank \(rank) differs from rank 0")
                    XCTAssertEqual(out.ran, RankBatch(global: 24, rank: rank, ranks: ranks).count, "\(method) on \(ranks) ranks, rank \(rank): its share of the patches")
                    XCTAssertEqual(problems, [], "\(method) on \(ranks) ranks: finite differences disagree")
                }
                XCTAssertEqual(runs.map(\.0.ran).reduce(0, +), 24)
            }
        }
    }

    func qnn(_ extra: String) throws -> Config {
        try Config.parse(yaml: """
            modelType: Quantum
            quanType: QNN
            trainData: {demo: "builtin:small"}
            testSize: 0.5
            batchSize: 32
            imageHeight: 16
            imageWidth: 16
            \(extra)
            """)
    }

    func testPlanSharesTrainableQNNPatchesAndRefusesTheFixedModes() throws {
        let two = try StatevectorPlan.resolve(try qnn("trainable: true\nstatevectorRanks: 2"), worldSize: 4)
        XCTAssertEqual(two.work, .circuits)
        XCTAssertEqual([two.statevectorRanks, two.groups, two.perRankBatch], [2, 2, 16])
        // 16 images x 3 channels x 64 patches = 3072 circuits per group, 1536 per rank: the rank's states are its share's.
        let layer = QuanvLayer(channels: 3, seed: 0, mode: .trainable, mean: [0, 0, 0], std: [1, 1, 1], diffMethod: .adjoint, threads: .serial)
        XCTAssertEqual(two.bytesPerRank, Double(layer.stateBytes(images: 16, height: 16, width: 16, ranks: 2).total))
        XCTAssertLessThan(two.bytesPerRank, Double(layer.stateBytes(images: 16, height: 16, width: 16).total))
        XCTAssertTrue(GridSetup.describe(two, worldSize: 4).contains(
            "process grid: 4 rank(s) = 2 data-parallel group(s) x 2 rank(s) sharing the patch circuits (split by patches"), GridSetup.describe(two, worldSize: 4))
        // auto: the fewest that fit. On 4 ranks, 4 groups of 8 images hold as many patch states per
        // rank as 1 group of 32 split 4 ways, so sharing never beats data parallelism on memory:
        // auto keeps 1 rank per group; under a budget below that share it is refused with the numbers.
        let quarterMB = Double(layer.stateBytes(images: 32, height: 16, width: 16, ranks: 4).total) / 1e6
        XCTAssertEqual(quarterMB, Double(layer.stateBytes(images: 8, height: 16, width: 16).total) / 1e6)
        let tight = try StatevectorPlan.resolve(try qnn("trainable: true\nstatevectorRanks: auto\nstatevectorMemoryMB: \(quarterMB)"), worldSize: 4)
        XCTAssertEqual([tight.statevectorRanks, tight.groups], [1, 4])
        XCTAssertThrowsError(try StatevectorPlan.resolve(try qnn("trainable: true\nstatevectorRanks: auto\nstatevectorMemoryMB: \(quarterMB / 2)"), worldSize: 4)) {
            for part in ["does not fit its statevector memory budget", "per rank with 1 rank(s) sharing the patches",
                         "per rank with 4 rank(s) sharing the patches", "Fix: more ranks", "smaller batchSize"] {
                XCTAssertTrue("\($0)".contains(part), "missing '\(part)' in \($0)")
            }
        }
        XCTAssertThrowsError(try StatevectorPlan.resolve(try qnn("trainable: true\nstatevectorRanks: 4"), worldSize: 2)) {
            XCTAssertTrue("\($0)".contains("does not divide"), "\($0)")
        }
        // Fixed circuit (patch layer or cached features) and the classical twin: nothing to share.
        for extra in ["patch: true", "", "trainable: true\nclassicalTwin: true"] {
            XCTAssertThrowsError(try StatevectorPlan.resolve(try qnn(extra + "\nstatevectorRanks: 2"), worldSize: 2), extra) {
                XCTAssertTrue("\($0)".contains("no circuit a group of ranks can share") && "\($0)".contains("set statevectorRanks: 1"), "\($0)")
            }
            XCTAssertEqual(try StatevectorPlan.resolve(try qnn(extra + "\nstatevectorRanks: auto"), worldSize: 2).work, .none)
        }
    }

    struct Run { var epochs: [EpochRecord], log: String, layer: [String: Any], step: [String: Any], trained: [Double], initial: [Double] }

    /// One trainable-QNN run through DeepfakeApp.train on `ranks` loopback ranks.
    func train(ranks: Int, _ grid: String, diffType: String = "adjoint") throws -> Run {
        let name = "q\(ranks)-\(UUID().uuidString.prefix(6))"
        let path = tmp + "/\(name).yaml"
        try processGridConfigYAML(model: "quanType: QNN\ntrainable: true\ndiffType: \(diffType)", grid: grid, dataPath: "\(tmp)/data", outputsPath: "\(tmp)/\(name)")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let folders = try LoopbackGroup(size: ranks).run { comm in
            try DeepfakeApp.train(RunRequest(configPath: path, offline: true), communicator: comm)
        }
        XCTAssertEqual(Set(folders).count, 1)
        let doc = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: folders[0] + "/quantum_resources.json"))) as! [String: Any]
        let layer = (doc["layers"] as! [[String: Any]])[0]
        // The circuit angles the run ended with (last.h5), and the seeded ones it started from.
        let model = try ModelFactory.make(try Config.parse(yaml: try String(contentsOfFile: path, encoding: .utf8)), context: .serial, log: RunLog(echo: false))
        let quanv = try XCTUnwrap((model as? QNNModel)?.quanv)
        let initial = quanv.currentWeights
        _ = try Checkpoint.load(into: model.network, from: folders[0] + "/last.h5")
        return Run(epochs: try EpochCSVWriter.read(path: folders[0] + "/epochs.csv"),
                   log: try String(contentsOfFile: folders[0] + "/run.log", encoding: .utf8),
                   layer: layer["statevector"] as! [String: Any], step: layer["measured_training_step"] as! [String: Any],
                   trained: quanv.currentWeights, initial: initial)
    }

    func assertSameLosses(_ name: String, _ run: Run, _ reference: Run, relative: Double = 0, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.epochs.count, reference.epochs.count, name, file: file, line: line)
        XCTAssertFalse(reference.epochs.isEmpty, name, file: file, line: line)
        for (a, b) in zip(reference.epochs, run.epochs) {
            print("QNN process grid check, \(name), epoch \(a.epoch): train loss \(a.trainLoss) vs \(b.trainLoss), validation loss \(a.valLoss) vs \(b.valLoss)")
            XCTAssertEqual(a.trainLoss, b.trainLoss, accuracy: max(1e-6, relative * a.trainLoss), "\(name), epoch \(a.epoch): training loss", file: file, line: line)
            XCTAssertEqual(a.valLoss, b.valLoss, accuracy: max(1e-6, relative * a.valLoss), "\(name), epoch \(a.epoch): validation loss", file: file, line: line)
        }
        // The circuit's weight gradients, summed over the group, trained the same angles; and they
        // did move (so the comparison covers the shared backward, not only the forward).
        print("QNN process grid check, \(name): circuit angles \(reference.initial) -> \(reference.trained) vs \(run.trained)")
        XCTAssertEqual(run.trained.count, 4, name, file: file, line: line)
        for (a, b) in zip(reference.trained, run.trained) {
            XCTAssertEqual(a, b, accuracy: max(1e-6, relative * abs(a)), "\(name): trained circuit angles", file: file, line: line)
        }
        XCTAssertGreaterThan(zip(run.trained, run.initial).map { abs($0 - $1) }.max() ?? 0, 1e-5, "\(name): the circuit angles did not train", file: file, line: line)
    }

    /// Ranks sharing the patches change only who simulates which patch: 1 rank, 1 group of 2 and
    /// 1 group of 4 give the same losses to 1e-6, and 2 groups of 2 the same as 2 groups of 1 (the
    /// same data-parallel sums); 2 groups against 1 rank differ as any data-parallel run does
    /// (float summation order in BatchNorm statistics and the allreduce), held to 1e-4 relative as
    /// in ProcessGridTests. Parameter shift: 1 rank against a group of 2.
    func testSharedQNNPatchesTrainAsOneRankDoesOnTwoAndFourRanks() throws {
        let one = try train(ranks: 1, "")
        let shared = try train(ranks: 2, "statevectorRanks: 2")
        let wide = try train(ranks: 4, "statevectorRanks: 4")
        let grid = try train(ranks: 4, "statevectorRanks: 2")
        let dataParallel = try train(ranks: 2, "")
        assertSameLosses("1 group of 2 sharing the patches", shared, one)
        assertSameLosses("1 group of 4 sharing the patches", wide, one)
        assertSameLosses("2 groups x 2 against 2 groups x 1", grid, dataParallel)
        assertSameLosses("2 groups x 2 against 1 rank", grid, one, relative: 1e-4)
        XCTAssertTrue(shared.log.contains("process grid: 2 rank(s) = 1 data-parallel group(s) x 2 rank(s) sharing the patch circuits"), shared.log)
        XCTAssertTrue(grid.log.contains("process grid: 4 rank(s) = 2 data-parallel group(s) x 2 rank(s) sharing the patch circuits"), grid.log)
        XCTAssertTrue(wide.log.contains("patches of a batch split over the 4 ranks of a state group"), wide.log)
        // The records: whole states everywhere (ranks_per_state 1, no exchanges), the circuits split;
        // rank 0 counted its share of the first step's images x 3 channels x 64 patches (at most 32
        // images per group, 16 with 2 groups).
        XCTAssertEqual(one.layer["ranks_sharing_circuits"] as? Int, 1)
        XCTAssertEqual(one.step["forward_circuits"] as? Int, (one.step["images"] as? Int).map { $0 * 3 * 64 })
        for (run, k, images) in [(shared, 2, 32), (wide, 4, 32), (grid, 2, 16)] {
            XCTAssertEqual(run.layer["ranks_per_state"] as? Int, 1)
            XCTAssertEqual(run.layer["ranks_sharing_circuits"] as? Int, k)
            XCTAssertEqual(run.layer["exchanges_per_step"] as? Int, 0)
            XCTAssertEqual(run.layer["images_per_rank_per_step"] as? Int, images)
            XCTAssertTrue((run.layer["layout"] as? String)?.hasPrefix("circuits: the \(k) ranks of a state group each simulate 1/\(k)") == true, "\(run.layer)")
            let stepImages = try XCTUnwrap(run.step["images"] as? Int)
            XCTAssertLessThanOrEqual(stepImages, images)
            XCTAssertEqual(run.step["forward_circuits"] as? Int, stepImages * 3 * 64 / k)
            XCTAssertTrue((run.step["note"] as? String)?.contains("rank 0's share") == true, "\(run.step)")
        }
        let shift = try train(ranks: 1, "", diffType: "parameter-shift")
        let sharedShift = try train(ranks: 2, "statevectorRanks: 2", diffType: "parameter-shift")
        assertSameLosses("parameter shift, 1 group of 2 sharing the patches", sharedShift, shift)
        XCTAssertGreaterThan(sharedShift.step["shifted_circuits"] as? Int ?? 0, 0)
    }
}
