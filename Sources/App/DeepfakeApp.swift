// DeepfakeApp: the commands behind the `deepfake` executable (train/infer, prepare, qlayer,
// compare, keys), each a function from a request to files on disk, so tests can call them directly.
// The executable owns the MPI world and hands its communicator in.

import Config
import Core
import Foundation
import NN
import Quantum
import Reporting
import Training

public enum DeepfakeApp {
    /// Trains (or with `inferWeights`, tests) as the config says on `communicator`'s ranks;
    /// returns the run folder.
    @discardableResult
    public static func train(_ request: RunRequest, communicator: any Communicator = SingleProcessCommunicator()) throws -> String {
        var request = request
        let config: Config
        if let folder = request.resumeFolder {
            config = try ResumeCheck.config(of: folder, given: request.configPath.isEmpty ? nil : request.configPath)
            guard request.inferWeights == nil else {
                throw DeepfakeError("--resume and -i do not go together: -i tests weights without training; resume first, then test")
            }
            request.configPath = folder + "/config.yaml"
        } else {
            config = try Config.load(path: request.configPath)
        }
        let threads = applyThreads(config)
        let session = try TrainingSession(config: config, request: request, communicator: communicator, threads: threads,
                                          inputs: DeepfakeInputs(config: config, request: request, threads: threads))
        return try session.run()
    }

    /// Downloads (unless offline) and caches the config's datasets, without training.
    public static func prepare(_ request: RunRequest) throws {
        let config = try Config.load(path: request.configPath)
        let log = RunLog()
        let threads = applyThreads(config)
        let stage = DataStage(config: config, offline: request.offline, resort: request.resort, log: log, threads: threads)
        let prepared = try stage.prepareAll()
        for p in prepared {
            log.info("ready: \(p.role) data \(p.data.cachePath): \(p.data.count) images "
                     + "(\(p.data.classCounts[0]) real, \(p.data.classCounts[1]) fake), \(p.data.skipped.count) skipped")
        }
    }

    /// Evaluates one quantum layer from JSON (see Quantum's QLayerEvaluator).
    public static func qlayer(_ input: Data) throws -> Data {
        try QLayerEvaluator.evaluate(json: input)
    }

    /// The JSON file of `deepfake qlayer FILE`, with clear errors for a missing or unreadable file.
    public static func qlayerInput(path: String) throws -> Data {
        try QLayerEvaluator.readInput(path: path)
    }

    /// Writes a comparison table (Markdown + CSV) and SVG curves of several run folders.
    public static func compare(runFolders: [String], outputPrefix: String, force: Bool = false) throws {
        try RunComparison.write(runFolders: runFolders, outputPrefix: outputPrefix, force: force)
    }

    /// Every config key with its type, valid values, default and meaning (Config.keys), as
    /// aligned text or as the README's Markdown table.
    public static func configKeys(markdown: Bool) -> String {
        markdown ? Config.keysMarkdown() : Config.keysText()
    }

    /// "Config keys: a b c ..." wrapped at `width` columns, for `deepfake --help`.
    public static func configKeyNames(width: Int) -> String {
        var lines = ["", "Config keys (`deepfake keys` explains each):"], line = ""
        for name in Config.validKeys {
            if !line.isEmpty && line.count + 1 + name.count > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "  " : " ") + name
        }
        return (lines + [line]).joined(separator: "\n")
    }

    /// Threads for our kernels and OpenBLAS: `nCPUs`, capped by the cores this process may use
    /// (a Slurm task's `SLURM_CPUS_PER_TASK`, else the machine's cores shared by the ranks on it),
    /// because oversubscribed BLAS threads slow training down several times. Sets OpenBLAS's
    /// process-wide pool and returns the count as the `Threads`
    /// value handed to the model's NNContext and the data loaders.
    @discardableResult
    static func applyThreads(_ config: Config) -> Threads {
        let env = ProcessInfo.processInfo.environment
        let ranksOnNode = env["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? 1
        var cap = max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, ranksOnNode))
        if let s = env["SLURM_CPUS_PER_TASK"].flatMap(Int.init), s > 0 { cap = s }
        let threads = Threads(min(max(1, config.nCPUs), cap))
        Compute.setThreads(threads.count)
        return threads
    }
}
