// ShardedOptimizer: the optimiser step of a data-parallel run split over its ranks, ZeRO stage 1
// (Rajbhandari et al., SC 2020). Without it every rank sums the whole gradient (allreduce) and
// then runs the same update over all parameters, holding all of the optimiser's moments: Adam's
// step over ResNet-18's 11.2M parameters reads and writes 313 MB (19 ms a step on one core here),
// paid in full by every rank. Sharded, rank r of N owns a contiguous 1/N of the flat parameter
// buffer: the gradient buckets reduce-scatter (each rank receives the sum of its part only), the
// inner optimiser updates that part with moments of that size, and an allgather hands every rank
// the others' updated parameters. The bytes moved equal the allreduce's (a reduce-scatter and an
// allgather), the update and the moments' memory shrink N times.
//
// The step is the unsharded one: the inner optimisers are elementwise, so updating a part with its
// own moments gives the same floats, and the reduce-scatter adds the same values as the allreduce
// (bitwise on 2 ranks and for the rank-order loopback group; MPI may order the sums of more ranks
// differently, as with the allreduce). Checkpoints hold the moments of all parameters
// (`checkpointBuffers()` gathers them), so a run resumes on any rank count.

import Core
import NN

public final class ShardedOptimizer: Optimizer {
    /// Parts are whole multiples of this many floats (one 64-byte line) except the last, so every
    /// rank's vector loops start aligned.
    public static let partGranule = 16

    public let inner: Optimizer
    public let communicator: any Communicator
    /// Floats of the flat parameter buffer each rank updates, in rank order (they add up to it).
    public let counts: [Int]
    /// This rank's part of the flat parameter buffer.
    public let mine: Range<Int>
    public let parameterCount: Int

    public init(_ inner: Optimizer, parameterCount: Int, communicator: any Communicator) {
        self.inner = inner
        self.communicator = communicator
        self.parameterCount = parameterCount
        counts = ShardedOptimizer.parts(parameterCount, ranks: communicator.size)
        let lo = communicator.partOffset(counts, rank: communicator.rank)
        mine = lo..<(lo + counts[communicator.rank])
    }

    /// `count` floats split over `ranks` in contiguous parts of whole granules, differing by at
    /// most one granule (the last part takes the remainder).
    public static func parts(_ count: Int, ranks: Int) -> [Int] {
        precondition(ranks > 0 && count >= 0)
        let granules = (count + partGranule - 1) / partGranule
        var out: [Int] = []
        for r in 0..<ranks {
            let batch = RankBatch(global: granules, rank: r, ranks: ranks)
            let lo = Swift.min(count, batch.range.lowerBound * partGranule), hi = Swift.min(count, batch.range.upperBound * partGranule)
            out.append(hi - lo)
        }
        return out
    }

    public var learningRate: Float {
        get { inner.learningRate }
        set { inner.learningRate = newValue }
    }
    public var stepCount: Int { inner.stepCount }

    /// `gradients` must hold the sum over the ranks in this rank's part (GradientBuckets built with
    /// this optimiser's `counts` leaves it there); the rest of it is not read. Collective.
    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>, threads: Threads) {
        precondition(parameters.count == gradients.count && parameters.count == parameterCount,
                     "a sharded optimiser built for another parameter count")
        inner.step(parameters: UnsafeMutableBufferPointer(rebasing: parameters[mine]),
                   gradients: UnsafeMutableBufferPointer(rebasing: gradients[mine]), threads: threads)
        communicator.allgather(parameters, counts: counts)
    }

    /// This rank's part of each moment buffer.
    public var stateBuffers: [[Float]] { inner.stateBuffers }

    /// Each moment buffer over all parameters, gathered from every rank (collective).
    public func checkpointBuffers() -> [[Float]] {
        inner.stateBuffers.map { part in
            var full = [Float](repeating: 0, count: parameterCount)
            full.replaceSubrange(mine, with: part)
            full.withUnsafeMutableBufferPointer { communicator.allgather($0, counts: counts) }
            return full
        }
    }

    /// Takes buffers over all parameters (as `checkpointBuffers()` wrote them, on any rank count)
    /// and keeps this rank's part.
    public func restoreState(stepCount: Int, buffers: [[Float]]) throws {
        guard buffers.allSatisfy({ $0.count == parameterCount }) else {
            throw DeepfakeError("optimiser state of lengths \(buffers.map(\.count)) does not fit the model's \(parameterCount) parameters; "
                + "resume with the run's own config.yaml")
        }
        try inner.restoreState(stepCount: stepCount, buffers: buffers.map { Array($0[mine]) })
    }
}
