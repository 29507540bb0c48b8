// The root `bench` command, the error-reporting wrapper every command uses, and the flag
// conformances of BenchSuite's choice enums (a typo is an error listing the valid values).

import ArgumentParser
import BenchSuite
import Core
import Foundation
import MPIComm
import Quantum

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the deepfake models and kernels; results go to HDF5 files that `bench report` tabulates.",
        discussion: """
        Suites: \(BenchSuiteName.choiceList).
        Examples:
          bench run --out results/bench            every suite (but comparison)
          bench run --suite ranks --quick          1 and 2 ranks, Classic, seconds
          bench run --suite qubits --max-qubits 22 layer cost, 4 to 22 qubits
          bench run --suite comparison --study configs/bench/comparison.yaml
                                                   seeds x models x datasets, resumable
          bench report results/bench --plots results/bench/plots
          bench peers                              the Python peer comparisons
        The multi-rank suites launch with srun inside a Slurm allocation,
        otherwise with mpirun --bind-to none.
        """,
        subcommands: [RunCommand.self, ReportCommand.self, PeersCommand.self, QuantumCommand.self, ShardedCommand.self,
                      ClassicCommand.self, CollectivesCommand.self, TrainConfigCommand.self, RanksChildCommand.self, ShardedChildCommand.self])
}

/// Prints a DeepfakeError's message and exits 1 instead of a stack trace.
func reportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as DeepfakeError {
        FileHandle.standardError.write(Data("bench: error: \(e.message)\n".utf8))
        throw ExitCode(1)
    }
}

/// The arguments of an internal child command (one rank of a multi-rank suite): the spec file the
/// suite wrote, the folder for this rank's report, threads per rank.
struct ChildArguments: ParsableArguments {
    @Argument var spec: String
    @Argument var out: String
    @Option var threads = 1
}

/// One rank of a child launch: the MPI world this executable owns (finalised at the end) handed
/// to `body`, errors reported as for every command.
func asRank(_ body: (any Communicator) throws -> Void) throws {
    let comm = MPICommunicator.processWorld()
    defer { MPICommunicator.finalize() }
    try reportingErrors { try body(comm) }
}

extension BenchSuiteName: ExpressibleByArgument {}
extension ModelChoice: ExpressibleByArgument {}
extension ScalingMode: ExpressibleByArgument {}
extension StemChoice: ExpressibleByArgument {}
extension QuantumFigureKind: ExpressibleByArgument {}
extension BenchReport.Format: ExpressibleByArgument {}

/// "32,64" as [32, 64]; anything else is a parse error naming the expected form.
struct IntList: ExpressibleByArgument {
    var values: [Int]
    init?(argument: String) {
        let v = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !v.isEmpty, v.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        values = v.map { $0! }
    }
    static var defaultCompletionKind: CompletionKind { .default }
}
