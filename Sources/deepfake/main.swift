// deepfake: the thin command-line front of the App library (train, infer, prepare, qlayer,
// compare, explain, keys). Every flag keeps the old Python tool's meaning; nothing here ever prompts.

import ArgumentParser
import Foundation
import App
import NN
import Training

struct Deepfake: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deepfake",
        abstract: "Train and test real-vs-fake face classifiers (Classic CNN, HQNN, QNN).",
        discussion: """
        Examples:
          deepfake -c configs/demo.yaml -o              train on built-in data, offline
          deepfake -c Deepfake.conf.yaml                download, sort, train, test
          deepfake -c RUN/config.yaml -oi RUN/best.h5   test saved weights, offline
          deepfake --resume RUN -o                      continue an interrupted run
          deepfake prepare -c Deepfake.conf.yaml        download and cache data only
          deepfake qlayer circuit.json                  one quantum layer, JSON in/out
          deepfake compare results/RUN_A results/RUN_B  a table and curves of runs
          deepfake explain results/RUN_A results/RUN_B  Grad-CAM maps, side by side
          deepfake keys                                 every config key explained
          deepfake audit -c Deepfake.conf.yaml -o       shortcut audit of the datasets

        """ + DeepfakeApp.configKeyNames(width: 78),
        subcommands: [Train.self, Prepare.self, QLayer.self, Compare.self, Explain.self, Audit.self, Keys.self],
        defaultSubcommand: Train.self)
}

struct DataFlags: ParsableArguments {
    @Option(name: [.short, .customLong("config")], help: "YAML config file (the old tool's keys).")
    var config: String?

    /// The -c value, required unless `optional` (with --resume the run's own config.yaml is used).
    func configPath(optional: Bool = false) throws -> String {
        if let config { return config }
        if optional { return "" }
        throw ValidationError("missing -c CONFIG: the YAML config to run (for example configs/demo.yaml)")
    }

    @Flag(name: [.short, .long], help: "Offline: never touch the network; use data already in the kagglehub cache.")
    var offline = false

    @Flag(name: [.short, .long], help: "Re-sort: rebuild the preprocessed HDF5 data cache even if it is up to date.")
    var resort = false
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model (or, with -i, test saved weights) as the config says. The default command.")

    @OptionGroup var data: DataFlags

    @Option(name: [.short, .customLong("infer")], help: "Test these saved weights (HDF5) instead of training.")
    var infer: String?

    @Option(name: .customLong("resume"), help: "Continue this run folder from its last.h5, with its own config.yaml.")
    var resume: String?

    @Option(name: .customLong("job-record"), help: "Write the run folder's path to this file (slurm/train.sh uses it to resume a requeued job).")
    var jobRecord: String?

    func run() throws {
        let path = try data.configPath(optional: resume != nil)
        try runReportingErrors {
            try DeepfakeApp.train(RunRequest(configPath: path, offline: data.offline, resort: data.resort,
                                              inferWeights: infer, resumeFolder: resume, jobRecord: jobRecord),
                                   communicator: ProcessWorld.communicator)
        }
    }
}

struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download (unless -o) and sort the config's datasets into the HDF5 cache; no training.")

    @OptionGroup var data: DataFlags

    func run() throws {
        try runReportingErrors {
            try DeepfakeApp.prepare(RunRequest(configPath: try data.configPath(), offline: data.offline, resort: data.resort))
        }
    }
}

struct QLayer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qlayer",
        abstract: "Evaluate one quantum layer: JSON in (file or - for stdin), JSON out (expvals and Jacobians).")

    @Argument(help: "JSON file, or - for standard input.")
    var file: String

    func run() throws {
        try runReportingErrors {
            let input: Data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile()
                : try DeepfakeApp.qlayerInput(path: file)
            let output = try DeepfakeApp.qlayer(input)
            FileHandle.standardOutput.write(output)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare runs: a table of their best validation and test metrics and an SVG of their curves.")

    @Argument(help: "Run folders to compare.")
    var runs: [String]

    @Option(name: .shortAndLong, help: "Where to write the comparison SVG and table.")
    var output: String = "results/comparison"

    @Flag(help: "Replace existing output files (never a file of a run folder being compared).")
    var force = false

    func run() throws {
        try runReportingErrors { try DeepfakeApp.compare(runFolders: runs, outputPrefix: output, force: force) }
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every config key with its type, valid values, default and meaning.")

    @Flag(help: "Print the README's Markdown table instead of text.")
    var markdown = false

    func run() throws {
        print(DeepfakeApp.configKeys(markdown: markdown), terminator: "")
    }
}

/// Prints a user-fixable error as one clear message (no backtrace) and exits non-zero. Under MPI
/// an error on one rank ends every rank (ProcessWorld.fail calls MPI_Abort) instead of leaving the
/// others waiting in a collective. A run stopped by SIGTERM/SIGUSR1 after its checkpoint exits
/// with StopSignal.exitCode (75), which slurm/train.sh takes as "requeue me".
func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let error as ValidationError { throw error } catch let stop as TrainingInterrupted {
        FileHandle.standardError.write(Data("\(stop)\n".utf8))
        ProcessWorld.shutdown()
        throw ExitCode(StopSignal.exitCode)
    } catch {
        ProcessWorld.fail("error: \(error)")
        throw ExitCode(1)
    }
    ProcessWorld.shutdown()
}

// Before anything else (MPI, threads): make OpenBLAS load its kernels for this CPU.
Compute.reexecWithTunedOpenBLASIfNeeded()
Deepfake.main()
