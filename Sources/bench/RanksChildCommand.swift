// `bench ranks-child` (internal): one MPI rank of the ranks suite, started by srun or mpirun.

import ArgumentParser
import BenchSuite
import Core
import MPIComm

struct RanksChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ranks-child", abstract: "(internal) One rank of `bench run --suite ranks`; writes OUT/rank-<r>.json.",
        shouldDisplay: false)

    @Argument var spec: String
    @Argument var out: String
    @Option var threads = 1

    func run() throws {
        let comm = MPICommunicator.processWorld()
        defer { MPICommunicator.finalize() }
        try reportingErrors { try RanksChild.run(specPath: spec, outDirectory: out, threads: threads, communicator: comm) }
    }
}
