// FaultInjection: the test hook behind scripts/mpi-failure-check.sh. With
// DEEPFAKE_TEST_FAIL="RANK:PHASE" in the environment (PHASE one of data, step, write), rank RANK
// throws a DeepfakeError at that point of a training run (after loading data; in the first
// training step; before writing the first checkpoint), so the check can prove that an error on
// one rank ends every rank (MPI_Abort) instead of hanging them in the next collective.
// Nothing else reads this variable; unset, `check` does nothing.

import Core
import Foundation

enum FaultInjection {
    enum Phase: String { case data, step, write }

    /// Throws when the environment asks this rank to fail at `phase`.
    static func check(_ phase: Phase, rank: Int) throws {
        guard let spec = ProcessInfo.processInfo.environment["DEEPFAKE_TEST_FAIL"] else { return }
        let parts = spec.split(separator: ":").map(String.init)
        guard parts.count == 2, Int(parts[0]) == rank, parts[1] == phase.rawValue else { return }
        throw DeepfakeError("injected failure on rank \(rank) in \(phase.rawValue) (DEEPFAKE_TEST_FAIL=\(spec), a test hook)")
    }
}
