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

    public func startReduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int],
                                      into mine: UnsafeMutableBufferPointer<Float>) -> PendingCollective {
        checkParts(counts, total: buffer.count, "reduce-scatter")
        precondition(mine.count == counts[rank], "reduce-scatter: rank \(rank) receives \(counts[rank]) values, not \(mine.count)")
        guard size > 1 else {
            _ = mine.update(fromContentsOf: buffer)
            return CompletedCollective()
        }
        // MPI reads the counts until the collective completes: they live in the request.
        let pending = MPIPendingCollective(counts: counts.map { Int32($0) })
        // A rank whose part is empty receives nothing: any address will do for it.
        let rc = MPI_Ireduce_scatter(buffer.baseAddress, mine.baseAddress ?? buffer.baseAddress, pending.counts, df_MPI_FLOAT(), df_MPI_SUM(),
                                     nonblockingComm, &pending.request)
        precondition(rc == 0, "MPI_Ireduce_scatter of \(buffer.count) floats failed (code \(rc))")
        return pending
    }
}

/// One MPI request; `done` once MPI_Test or MPI_Wait has completed (and freed) it.
final class MPIPendingCollective: PendingCollective {
    var request: MPI_Request?
    private var done = false
    /// The per-rank counts of a reduce-scatter, kept allocated while MPI may read them.
    let counts: UnsafeMutablePointer<Int32>?

    init(counts: [Int32] = []) {
        if counts.isEmpty { self.counts = nil } else {
            self.counts = UnsafeMutablePointer<Int32>.allocate(capacity: counts.count)
            self.counts!.initialize(from: counts, count: counts.count)
        }
    }

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

    deinit {
        precondition(done, "a started MPI gradient sum was dropped without wait(): its buffer may still be written")
        counts?.deallocate()
    }
}
