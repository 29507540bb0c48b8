// `bench sharded-child` (internal): one MPI rank of the sharded suite, started by srun or mpirun.

import ArgumentParser
import BenchSuite
import NN

struct ShardedChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sharded-child", abstract: "(internal) One rank of `bench run --suite sharded`; writes OUT/rank-<r>.json.",
        shouldDisplay: false)

    @OptionGroup var child: ChildArguments

    func run() throws {
        Compute.setThreads(child.threads)
        try asRank { try ShardedChild.run(specPath: child.spec, outDirectory: child.out, communicator: $0) }
    }
}
