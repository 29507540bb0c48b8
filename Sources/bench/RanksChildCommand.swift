// `bench ranks-child` (internal): one MPI rank of the ranks suite, started by srun or mpirun.

import ArgumentParser
import BenchSuite

struct RanksChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ranks-child", abstract: "(internal) One rank of `bench run --suite ranks`; writes OUT/rank-<r>.json.",
        shouldDisplay: false)

    @OptionGroup var child: ChildArguments

    func run() throws {
        try asRank { try RanksChild.run(specPath: child.spec, outDirectory: child.out, threads: child.threads, communicator: $0) }
    }
}
