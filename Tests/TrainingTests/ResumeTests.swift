// Kill and resume through the real executable: a run killed at a step boundary's neighbourhood
// (SIGKILL mid-epoch, after a mid-epoch checkpoint) or stopped by SIGTERM, then continued with
// `deepfake --resume RUN -o`, gives the same epochs.csv (all but the timing and memory columns)
// and test metrics as the same run left alone, for the Classic ResNet-18 and the HQNN. Also: the
// resumable checkpoint round-trips, a damaged or NaN checkpoint is refused, and a `-c` that
// differs from the run's own config is refused naming the keys.

import Config
import Core
import Foundation
import NN
import Reporting
import Storage
import TestSupport
import XCTest
@testable import Training

final class ResumeTests: TemporaryFolderTestCase {

    /// Tiny settings: built-in small set at 16 px, 2 epochs of 16-image batches, a mid-epoch
    /// checkpoint every 5 steps (the same in the reference run, so the runs do the same work).
    func writeConfig(_ model: String, outputs: String) throws -> String {
        let path = tmp + "/config-\(UUID().uuidString).yaml"
        try """
            \(model)
            trainData:
              demo: "builtin:small"
            valSize: 0.25
            testSize: 0.5
            batchSize: 16
            imageHeight: 16
            imageWidth: 16
            numEpochs: 2
            learningRate: 0.002
            beta1: 0.9
            augment: [hflip]
            nCPUs: 2
            checkpointEverySteps: 5
            dataPath: \(tmp)/data
            outputsPath: \(outputs)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts the executable with `arguments`; stdout and stderr go to `log`.
    func start(_ arguments: [String], log: String) throws -> Process {
        try ChildProcess.start(try ChildProcess.builtExecutable("deepfake"), arguments,
                               environment: ["SWIFT_BACKTRACE": "enable=no"], log: log)
    }

    func runToEnd(_ arguments: [String], log: String) throws -> Int32 {
        let p = try start(arguments, log: log)
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// The single run folder under `outputs`.
    func runFolder(_ outputs: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: outputs).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(names.count, 1, "run folders in \(outputs): \(names)")
        return outputs + "/" + (names.first ?? "")
    }

    /// Waits (up to 300 s) until `file` contains `text`.
    func waitFor(_ text: String, in file: String, process: Process) throws {
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: file, encoding: .utf8), s.contains(text) { return }
            if !process.isRunning { XCTFail("the run ended before '\(text)' appeared in \(file)"); return }
            usleep(20_000)
        }
        XCTFail("'\(text)' did not appear in \(file) within 300 s")
    }

    /// epochs.csv without the timing and memory columns, and test_metrics.json without its paths.
    func outcome(_ run: String) throws -> (epochs: [[Double]], metrics: NSDictionary) {
        let rows = try EpochCSVWriter.read(path: run + "/epochs.csv").map {
            [Double($0.epoch), $0.trainLoss, $0.trainAccuracy, $0.valLoss, $0.valAccuracy, $0.valPrecision,
             $0.valRecall, $0.valF1, $0.valAUC, $0.learningRate]
        }
        let data = try XCTUnwrap(FileManager.default.contents(atPath: run + "/test_metrics.json"))
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        var context = try XCTUnwrap(json["context"] as? [String: Any])
        XCTAssertNotNil(context.removeValue(forKey: "weights"))  // the run folder's own best.h5
        json["context"] = context
        return (rows, json as NSDictionary)
    }

    func status(_ run: String) -> String? { RunStatus.read(runFolder: run)?.state.rawValue }

    /// Reference run, then a run interrupted by `interrupt` and resumed; both must agree.
    func checkResumeMatches(_ model: String, interrupt: (Process, String) throws -> Void) throws {
        let refConfig = try writeConfig(model, outputs: tmp + "/ref")
        XCTAssertEqual(try runToEnd(["-c", refConfig, "-o"], log: tmp + "/ref.log"), 0,
                       (try? String(contentsOfFile: tmp + "/ref.log", encoding: .utf8)) ?? "")
        let reference = try runFolder(tmp + "/ref")
        XCTAssertEqual(status(reference), "done")

        let config = try writeConfig(model, outputs: tmp + "/cut")
        let p = try start(["-c", config, "-o"], log: tmp + "/cut.log")
        try waitFor("run folder: ", in: tmp + "/cut.log", process: p)
        let run = try runFolder(tmp + "/cut")
        try interrupt(p, run)
        XCTAssertNotEqual(status(run), "done", "the interrupted run must not look finished")
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/test_metrics.json"), "interrupted too late: the run had finished")

        XCTAssertEqual(try runToEnd(["--resume", run, "-o"], log: tmp + "/resume.log"), 0,
                       (try? String(contentsOfFile: tmp + "/resume.log", encoding: .utf8)) ?? "")
        XCTAssertEqual(status(run), "done")
        XCTAssertGreaterThanOrEqual(RunStatus.read(runFolder: run)?.resumes ?? 0, 1)
        let (a, b) = (try outcome(reference), try outcome(run))
        XCTAssertEqual(a.epochs.count, 2)
        // Same ranks and threads: bit-identical.
        XCTAssertEqual(a.epochs.map { $0.map(\.bitPattern) }, b.epochs.map { $0.map(\.bitPattern) },
                       "epochs.csv differs:\n\(a.epochs)\n\(b.epochs)")
        XCTAssertEqual(a.metrics, b.metrics)
    }

    /// SIGKILL in epoch 1 just after the checkpoint of step 5 (no handler runs; the mid-epoch last.h5 is all there is).
    func killMidEpoch(_ p: Process, _ run: String) throws {
        try waitFor("checkpoint last.h5 (epoch 1, batch 5)", in: run + "/run.log", process: p)
        usleep(300_000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(status(run), "running", "a SIGKILLed run keeps its last written state")
    }

    /// SIGTERM during epoch 2: stops at the next step boundary, writes last.h5, exits 75, status interrupted.
    func terminateInEpoch2(_ p: Process, _ run: String) throws {
        try waitFor("epoch 1/2:", in: run + "/run.log", process: p)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, StopSignal.exitCode)
        XCTAssertEqual(status(run), "interrupted")
    }

    static let hqnn = "modelType: Quantum\nquanType: HQNN\nnQubits: 3\nnQuantumLayers: 1\nnLayers: 1"

    func testClassicKilledMidEpochResumesToTheSameResult() throws {
        try checkResumeMatches("modelType: Classic", interrupt: killMidEpoch)
    }

    func testClassicStoppedBySIGTERMResumesToTheSameResult() throws {
        try checkResumeMatches("modelType: Classic", interrupt: terminateInEpoch2)
    }

    func testHQNNKilledMidEpochResumesToTheSameResult() throws {
        try checkResumeMatches(Self.hqnn, interrupt: killMidEpoch)
    }

    func testHQNNStoppedBySIGTERMResumesToTheSameResult() throws {
        try checkResumeMatches(Self.hqnn, interrupt: terminateInEpoch2)
    }

    func testResumeRefusesAConfigThatDiffersInSettings() throws {
        let config = try writeConfig("modelType: Classic", outputs: tmp + "/r")
        let folder = tmp + "/run"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: config, toPath: folder + "/config.yaml")
        FileManager.default.createFile(atPath: folder + "/last.h5", contents: Data())
        // Paths may differ.
        let moved = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "outputsPath: \(tmp)/r", with: "outputsPath: /elsewhere")
        try moved.write(toFile: tmp + "/moved.yaml", atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try ResumeCheck.config(of: folder, given: tmp + "/moved.yaml"))
        let changed = moved.replacingOccurrences(of: "learningRate: 0.002", with: "learningRate: 0.01")
            .replacingOccurrences(of: "numEpochs: 2", with: "numEpochs: 5")
        try changed.write(toFile: tmp + "/changed.yaml", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResumeCheck.config(of: folder, given: tmp + "/changed.yaml")) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("numEpochs") && text.contains("learningRate") && !text.contains("outputsPath"), text)
        }
    }

    func testResumableCheckpointRoundTripsOptimizerAndState() throws {
        let net = Network(Sequential([Linear(4, 3)]), seed: 3)
        let opt = Adam(learningRate: 0.01)
        for i in 0..<net.parameterCount { net.gradients[i] = Float(i % 5) - 2 }
        opt.step(net); opt.step(net)
        var state = ResumeState(epoch: 3, batchesDone: 2, finished: false, globalStep: 17, optimizerSteps: opt.stepCount,
                                partial: EpochPartial(), stopper: EarlyStopping(mode: .max, patience: 2).state, bestEpoch: 2,
                                bestMetric: 0.75, history: [], manualSeed: 999, rngStreams: ResumeState.streamRecipe)
        state.partial.lossSum = 1.25
        let path = tmp + "/last.h5"
        try Checkpoint.save(net, info: CheckpointInfo(model: "t", epoch: 2, metricName: "val_auc", metricValue: 0.75),
                            to: path, optimizerBuffers: opt.checkpointBuffers(), resume: state)
        let net2 = Network(Sequential([Linear(4, 3)]), seed: 77)
        let opt2 = Adam(learningRate: 0.01)
        let back = try Checkpoint.loadResumable(into: net2, optimizer: opt2, from: path)
        XCTAssertEqual(back.globalStep, 17); XCTAssertEqual(back.partial, state.partial); XCTAssertEqual(back.bestMetric, 0.75)
        XCTAssertEqual(Array(net2.parameters), Array(net.parameters))
        XCTAssertEqual(opt2.stepCount, 2)
        XCTAssertEqual(opt2.stateBuffers, opt.stateBuffers)
        // The next step from the restored optimiser is the one the original takes.
        for i in 0..<net.parameterCount { net.gradients[i] = 0.5; net2.gradients[i] = 0.5 }
        opt.step(net); opt2.step(net2)
        XCTAssertEqual(Array(net2.parameters), Array(net.parameters))
    }

    /// The probe: 4 MB of a checkpoint overwritten with 0xFF bytes (NaNs) used to load silently.
    func testDamagedCheckpointIsRefused() throws {
        let net = Network(Sequential([Linear(1024, 1100)]), seed: 3)  // 4.5 MB of weights
        let path = tmp + "/best.h5"
        try Checkpoint.save(net, info: CheckpointInfo(model: "t", epoch: 1, metricName: "val_auc", metricValue: 0.5), to: path)
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try h.seek(toOffset: 200_000)
        try h.write(contentsOf: Data(repeating: 0xFF, count: 4 << 20))
        try h.close()
        XCTAssertThrowsError(try Checkpoint.load(into: net, from: path)) {
            XCTAssertTrue("\($0)".contains("damaged"), "\($0)")
        }
    }

    func testNonFiniteWeightsAreRefusedNamingTheTensor() throws {
        let net = Network(Sequential([Linear(4, 3)]), seed: 3)
        net.parameters[net.parameterCount - 1] = .nan  // the bias, registered after the weight
        let path = tmp + "/nan.h5"
        try Checkpoint.save(net, info: CheckpointInfo(model: "t", epoch: 1, metricName: "val_auc", metricValue: 0.5), to: path)
        XCTAssertThrowsError(try Checkpoint.load(into: net, from: path)) {
            XCTAssertTrue("\($0)".contains("non-finite") && "\($0)".contains(net.entries.last!.name), "\($0)")
        }
        XCTAssertThrowsError(try Checkpoint.loadMatching(into: net, from: path))
    }
}
