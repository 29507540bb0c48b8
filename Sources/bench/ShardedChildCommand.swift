// `bench sharded-child` (internal): one MPI rank of the sharded suite, started by srun or mpirun.

import ArgumentParser
import BenchSuite
import Core
import MPIComm
import NN

struct ShardedChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sharded-child", abstract: "(internal) One rank of `bench run --suite sharded`; writes OUT/rank-<r>.json.",
        shouldDisplay: false)

    @Argument var spec: String
    @Argument var out: String
    @Option var threads = 1

    func run() throws {
        Compute.setThreads(threads)
        let comm = MPICommunicator.processWorld()
        defer { MPICommunicator.finalize() }
        try reportingErrors { try ShardedChild.run(specPath: spec, outDirectory: out, communicator: comm) }
    }
}
