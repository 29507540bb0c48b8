// The `deepfake` executable as a user meets it: the built binary (next to this test bundle in
// .build/<config>/) is run as a child process, and its help text, exit codes and error text are
// checked. The help text is compared with a committed golden file; after an intended change,
// regenerate it with `.build/debug/deepfake --help > Tests/DeepfakeCLITests/Golden/deepfake-help.txt`.

import XCTest
import Core
import Foundation
import TestSupport

final class DeepfakeCLITests: XCTestCase {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// The deepfake binary SwiftPM built with this test bundle.
    func binary() throws -> String { try ChildProcess.builtExecutable("deepfake") }

    /// Runs `deepfake args` in `folder`; returns (exit status, stdout, stderr).
    func run(_ args: [String], in folder: String? = nil) throws -> (status: Int32, out: String, err: String) {
        // ArgumentParser wraps help at $COLUMNS (else the terminal's width, else 80): pin it.
        try ChildProcess.run(try binary(), args, environment: ["COLUMNS": "80"], in: folder)
    }

    func testHelpIsTheGoldenText() throws {
        let golden = try String(contentsOf: Self.here.appendingPathComponent("Golden/deepfake-help.txt"), encoding: .utf8)
        let r = try run(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.out, golden, "deepfake --help changed: if intended, regenerate the golden file (see this file's header)")
        XCTAssertEqual(r.err, "")
    }

    func testKeysPrintsTheReadmeTable() throws {
        let readme = try String(contentsOf: Self.here.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        let r = try run(["keys", "--markdown"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.out.hasPrefix("| key | type | valid values | default | meaning |\n"), r.out)
        XCTAssertTrue(readme.contains(r.out), "README.md's key table differs from `deepfake keys --markdown`")
        let text = try run(["keys"])
        XCTAssertTrue(text.out.contains("batchSize (integer; >= 1; default 32)\n    images per optimiser step over ALL ranks together"), text.out)
    }

    func testABadConfigExitsWithStatus1AndListsEveryProblemWithoutStartingARun() throws {
        let dir = try TemporaryFolder.make(for: self)
        let config = dir + "/bad.yaml"
        try "modelType: Classic\noutputsPath: \(dir)/results\nnumEpochs:\nbatchsize: 3\ntestSize: 0.5\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let r = try run(["-c", config, "-o"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.out, "")
        let valid = "outputsPath, kagglePath, dataPath, modelPath, manualSeed, splitSeed, trainData, testData, valSize, testSize, numWorkers, batchSize, imageHeight, imageWidth, numChannels, modelType, quanType, nQubits, qubitType, diffType, nLayers, typeLayers, trainable, patch, nQuantumLayers, classicalTwin, numEpochs, learningRate, beta1, optimizer, momentum, weightDecay, lrSchedule, warmupEpochs, earlyStoppingPatience, earlyStoppingMetric, augment, blurProbability, blurSigmaMax, jpegProbability, jpegQualityMin, jpegQualityMax, cropProbability, cropScaleMin, resampleProbability, resampleScaleMin, colourProbability, colourJitter, selfBlendProbability, checkpointEverySteps, balanceTrainData, shardOptimizerState, nGPUs, nCPUs, statevectorRanks, statevectorMemoryMB"
        XCTAssertEqual(r.err, """
            error: config \(config) has 3 problems:
            \(config):3: numEpochs has no value (`numEpochs:` with nothing after it): write a value, or delete the line to use the default (10)
            \(config):4: unknown key 'batchsize': did you mean 'batchSize'? Valid keys: \(valid)
            \(config): missing required key 'trainData': add e.g. trainData: {hard1k: "hamzaboulahia/hardfakevsrealfaces/versions/1"}

            """)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/results"), "a bad config must not create a run folder")
    }

    func testAMissingConfigFileAndAMissingFlagNameTheFix() throws {
        let missing = try run(["-c", "/nonexistent/c.yaml"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.err, "error: cannot read config file /nonexistent/c.yaml: check the path (pass it with -c/--config)\n")
        let noFlag = try run([])
        XCTAssertEqual(noFlag.status, 64, "ArgumentParser's usage-error status (EX_USAGE)")
        // -c is optional on the command line (--resume RUN brings its own config.yaml), so its
        // absence is our own error, naming both ways to run.
        XCTAssertTrue(noFlag.err.contains("missing -c CONFIG"), noFlag.err)
        let unknown = try run(["frobnicate", "-c", "x.yaml"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.err.contains("Error: Unexpected argument 'frobnicate'"), unknown.err)
    }
}
