// The nonblocking gradient sum of an MPI world: MPI_Iallreduce on the communicator's duplicate,
// completed by MPI_Test / MPI_Wait (the Trainer's gradient buckets start one per bucket during the
// backward pass and wait for all of them before the optimiser step).

import CMPI
import Core

extension MPICommunicator {
    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingCollective {
        guard size > 1, buffer.count > 0 else { return CompletedCollective() }
        let pending = MPIPendingCollective()
        let rc = MPI_Iallreduce(df_MPI_IN_PLACE(), buffer.baseAddress, Int32(buffer.count), df_MPI_FLOAT(), df_MPI_SUM(),
                                nonblockingComm, &pending.request)
        precondition(rc == 0, "MPI_Iallreduce of \(buffer.count) floats failed (code \(rc))")
        return pending
    }
}

/// One MPI request; `done` once MPI_Test or MPI_Wait has completed (and freed) it.
final class MPIPendingCollective: PendingCollective {
    var request: MPI_Request?
    private var done = false

    func test() -> Bool {
        if done { return true }
        var flag: Int32 = 0
        let rc = MPI_Test(&request, &flag, nil)
        precondition(rc == 0, "MPI_Test of a gradient sum failed (code \(rc))")
        done = flag != 0
        return done
    }

    func wait() {
        if done { return }
        let rc = MPI_Wait(&request, nil)
        precondition(rc == 0, "MPI_Wait of a gradient sum failed (code \(rc))")
        done = true
    }

    deinit { precondition(done, "a started MPI gradient sum was dropped without wait(): its buffer may still be written") }
}
