// DeepfakeApp: the commands behind the `deepfake` executable (train/infer, prepare, qlayer,
// compare, keys), each a function from a request to files on disk, so tests can call them directly.

import Config
import Core
import Distributed
import Foundation
import NN
import Quantum
import Reporting

/// What the user asked for on the command line.
public struct RunRequest: Sendable {
    public var configPath: String
    public var offline: Bool
    public var resort: Bool
    /// `-i WEIGHTS`: test these weights instead of training.
    public var inferWeights: String?
    /// `--resume RUN_FOLDER`: continue that run from its last.h5 with its own config.yaml
    /// (`configPath`, when not empty, must agree with it in everything but paths).
    public var resumeFolder: String?
    /// `--job-record FILE`: write the run folder's path there (slurm/train.sh's record per job id).
    public var jobRecord: String?

    public init(configPath: String, offline: Bool = false, resort: Bool = false, inferWeights: String? = nil,
                resumeFolder: String? = nil, jobRecord: String? = nil) {
        self.configPath = configPath; self.offline = offline; self.resort = resort
        self.inferWeights = inferWeights; self.resumeFolder = resumeFolder; self.jobRecord = jobRecord
    }
}

public enum DeepfakeApp {
    /// The process's communicator: MPI when started by mpirun/srun, else a single process.
    public static func communicator() -> any Communicator {
        MPICommunicator.launchedUnderMPI ? MPICommunicator.world() : SingleProcessCommunicator()
    }

    /// Trains (or with `inferWeights`, tests) as the config says; returns the run folder.
    @discardableResult
    public static func train(_ request: RunRequest, communicator: (any Communicator)? = nil) throws -> String {
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
        let session = try TrainingSession(config: config, request: request, communicator: communicator ?? self.communicator())
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

    /// Finalises MPI if it was started.
    public static func shutdown() { MPICommunicator.finalize() }

    /// Prints `message` on stderr and ends the process's part of the job: in a multi-rank MPI
    /// world that is MPI_Abort (every rank exits non-zero with this message printed, none hangs);
    /// otherwise it finalises and returns, and the caller exits non-zero.
    public static func fail(_ message: String) {
        let rank = MPICommunicator.isActive ? MPICommunicator.world().rank : 0
        let prefix = MPICommunicator.isActive && MPICommunicator.world().size > 1 ? "rank \(rank): " : ""
        FileHandle.standardError.write(Data("\(prefix)\(message)\n".utf8))
        MPICommunicator.abortIfMultiRank(code: 1)
        shutdown()
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
