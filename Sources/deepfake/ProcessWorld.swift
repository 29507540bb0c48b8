// ProcessWorld: the executable's ownership of the MPI world: the communicator it hands to the
// App's commands, finalising at exit, and ending every rank on an error.

import Core
import Foundation
import MPIComm

enum ProcessWorld {
    /// The MPI world when started by mpirun/srun (initialised on first use), else one process.
    static var communicator: any Communicator { MPICommunicator.processWorld() }

    /// Finalises MPI if it was started.
    static func shutdown() { MPICommunicator.finalize() }

    /// Prints `message` on stderr and ends the process's part of the job: in a multi-rank MPI
    /// world that is MPI_Abort (every rank exits non-zero with this message printed, none hangs);
    /// otherwise it finalises and returns, and the caller exits non-zero.
    static func fail(_ message: String) {
        let rank = MPICommunicator.isActive ? MPICommunicator.world().rank : 0
        let prefix = MPICommunicator.isActive && MPICommunicator.world().size > 1 ? "rank \(rank): " : ""
        FileHandle.standardError.write(Data("\(prefix)\(message)\n".utf8))
        MPICommunicator.abortIfMultiRank(code: 1)
        shutdown()
    }
}
