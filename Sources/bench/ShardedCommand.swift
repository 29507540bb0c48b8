// `bench sharded`: one statevector split across MPI ranks, a seeded random circuit, timed
// (Quantum.ShardedRun); run under a launcher. The `sharded` suite of `bench run` is the study.

import ArgumentParser
import BenchSuite
import Core
import Foundation
import NN
import Quantum

struct ShardedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sharded",
        abstract: "One statevector split across MPI ranks: a seeded random circuit (every gate kind), timed; rank 0 prints `<key> <value>` lines.",
        discussion: """
        Run under a launcher with a power-of-two number of ranks, e.g.
          mpirun -np 4 --bind-to none bench sharded --qubits 26 --gates 100 --no-check
          srun --mpi=pmix -n 8 bench sharded --qubits 30 --no-check
        Without --no-check every rank also simulates the whole state in one process and the
        largest amplitude difference is printed (sharded_max_amplitude_diff); scripts/mpi-check.sh
        requires it below 1e-12 on 1, 2 and 4 ranks. `bench run --suite sharded` runs the scaling study.
        """)

    @Option var qubits = 12
    @Option var gates = 200
    @Option var seed: UInt64 = 1
    @Option(help: "Compute threads per rank.")
    var threads = 1
    @Flag(help: "Skip the unsharded reference (needed once one process cannot hold the whole state).")
    var noCheck = false
    @Flag(help: "Run gate by gate, exchanging whole shards per gate on a split wire, instead of the blocked schedule with remapped wires.")
    var noRemap = false
    @Option(help: "Also time forward + adjoint gradient of this many StronglyEntangling layers (0: off).")
    var gradientLayers = 0
    @Option(help: "Amplitudes per message of a remapping exchange (default \(ShardedStatevector.defaultExchangeChunk)).")
    var exchangeChunk = ShardedStatevector.defaultExchangeChunk

    func validate() throws {
        guard exchangeChunk >= 1 else { throw ValidationError("--exchange-chunk must be at least 1, got \(exchangeChunk)") }
    }

    func run() throws {
        Compute.setThreads(threads)
        try asRank { comm in
            let t = Threads(threads)
            var lines = ShardedRun.bindingFigures(communicator: comm, threads: t)
            lines += try ShardedRun.figures(qubits: qubits, gates: gates, seed: seed, communicator: comm,
                                            threads: t, remap: !noRemap, check: !noCheck, exchangeChunk: exchangeChunk)
            if gradientLayers > 0 {
                lines += try ShardedRun.gradientFigures(qubits: qubits, layers: gradientLayers, seed: seed,
                                                        communicator: comm, threads: t, check: !noCheck,
                                                        exchangeChunk: exchangeChunk)
            }
            if comm.isRoot { for (k, v) in lines { print("\(k) \(v)") } }
        }
    }
}
